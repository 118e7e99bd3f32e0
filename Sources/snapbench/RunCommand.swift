import ArgumentParser
import Dispatch
import Firecracker
import Foundation
import Glibc
import Harness
import Logging
import Reporting

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run scenarios against the snapshot pool and judge them by their gates.",
        discussion: """
            Each SCENARIO is a YAML file or the name of one in Scenarios/ (see Scenarios/README.md). With none, \
            the default suite runs: \(defaultSuite.joined(separator: ", ")). For each scenario, --output gets \
            <scenario>.json (the report), <scenario>.html (a self-contained page with charts), \
            <scenario>.junit.xml (one test case per gate), <scenario>.md (a summary for CI) and \
            <scenario>.audit.jsonl (the pool's audit log; `snapbench audit verify` checks it).

            Examples:
              snapbench run                                  # the default suite
              snapbench run smoke --gate "spawn_ms p99 < 40"  # one scenario, one more gate
              snapbench run Scenarios/churn.yaml --backend simulated

            Exit codes: 0 every gate passed; 1 a gate failed; 2 a run could not complete; 3 invalid input \
            (a scenario or gate that does not parse; nothing was started).
            """
    )

    static let defaultSuite = ["smoke", "burst", "steady"]

    @OptionGroup var common: CommonOptions

    @Argument(help: ArgumentHelp("Scenario files or names.", valueName: "scenario"))
    var scenarios: [String] = []

    @Option(
        name: .customLong("gate"),
        help: ArgumentHelp("An extra gate, e.g. \"spawn_ms p95 < 50\"; repeatable.", valueName: "expression")
    )
    var gates: [String] = []

    @Option(help: "auto, firecracker or simulated (overrides the scenarios' choice).")
    var backend: String?

    @Option(help: ArgumentHelp("Directory reports are written to.", valueName: "dir"))
    var output: String = "Reports"

    @Flag(name: .customLong("no-progress"), help: "Print no progress while running.")
    var noProgress = false

    func run() async throws {
        let logger = common.makeLogger("snapbench.run")
        // Everything is parsed before anything starts: bad input is exit code 3 with nothing running.
        var parsed: [Scenario] = []
        var extraGates: [Gate] = []
        var choice: BackendChoice?
        do {
            if let backend {
                guard let value = BackendChoice(rawValue: backend) else {
                    throw ValidationError("--backend must be auto, firecracker or simulated, not \(backend)")
                }
                choice = value
            }
            extraGates = try gates.map { try ScenarioParser.parseGate($0) }
            for name in scenarios.isEmpty ? Self.defaultSuite : scenarios {
                parsed.append(try ScenarioParser.parse(file: try Self.resolve(name)))
            }
        } catch {
            FileHandle.standardError.write(Data("snapbench: invalid input: \(error)\n".utf8))
            throw ExitCode(3)
        }
        // SIGINT/SIGTERM cancel the run: the pool drains (every VMM stopped, every file removed) and the
        // report says `incomplete`, instead of the process dying with its VMMs orphaned.
        let work = Task { try await runAll(parsed, extraGates: extraGates, choice: choice, logger: logger) }
        let signals = SignalCanceller(signals: [SIGINT, SIGTERM]) { work.cancel() }
        defer { signals.stop() }
        let worst = try await work.value
        if worst != 0 { throw ExitCode(worst) }
    }

    private func runAll(
        _ parsed: [Scenario],
        extraGates: [Gate],
        choice: BackendChoice?,
        logger: Logger
    )
        async throws -> Int32
    {
        let snapshots = common.workDirectory + "/run-snapshots-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: snapshots) }
        var worst: Int32 = 0
        for scenario in parsed {
            if Task.isCancelled {
                print("   not run: interrupted")
                worst = max(worst, 2)
                continue
            }
            print("== \(scenario.name): \(scenario.description)")
            // One shared VM directory: a run reclaims the VMMs and files of a run that was killed.
            var options = ScenarioRunner.Options(workDirectory: common.workDirectory + "/run")
            options.snapshotDirectory = snapshots
            options.firecrackerPath = common.firecracker
            options.guestPath = common.guest
            options.backend = choice
            options.extraGates = extraGates
            options.logger = logger
            options.auditPath = "\(output)/\(scenario.name).audit.jsonl"
            if !noProgress { options.progress = ProgressPrinter.make() }
            let report: RunReport
            do {
                report = try await ScenarioRunner(scenario: scenario, options: options).run()
            } catch {
                print("   could not run: \(error)")
                worst = max(worst, 2)
                continue
            }
            ProgressPrinter.finish()
            let path = "\(output)/\(scenario.name).json"
            try report.writeJSON(to: path)
            try report.write(ReportFormat.renderings, to: output, name: scenario.name)
            print(Summary.render(report))
            print("   report: \(path)")
            switch report.verdict {
            case .pass: break
            case .fail: worst = max(worst, 1)
            case .incomplete: worst = max(worst, 2)
            }
        }
        return worst
    }

    /// A path as given, or `Scenarios/<name>.yaml` in a project root.
    static func resolve(_ name: String) throws -> String {
        if FileManager.default.fileExists(atPath: name) { return name }
        for root in ProjectPaths.candidateRoots() {
            let path = "\(root)/Scenarios/\(name).yaml"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw ValidationError("no scenario \(name): neither a file nor Scenarios/\(name).yaml")
    }
}

/// Progress on a terminal (one line, rewritten) or as plain lines every 5 s elsewhere.
enum ProgressPrinter {
    static func make() -> @Sendable (RunProgress) -> Void {
        let terminal = isatty(STDOUT_FILENO) == 1
        return { progress in
            let seconds = Int(progress.elapsed.components.seconds)
            let total = progress.phaseDuration.map { " / \(Int($0.components.seconds))s" } ?? ""
            let p95 = progress.spawnP95Milliseconds.map { String(format: "%.2f", $0) } ?? "–"
            let line =
                "   [\(progress.phase)] \(seconds)s\(total)  leases ok \(progress.served) failed \(progress.failed)"
                + "  spawn p95 \(p95) ms  warm \(progress.warm)"
            if terminal {
                FileHandle.standardOutput.write(Data(("\r\u{1B}[2K" + line).utf8))
            } else if seconds % 5 == 0 {
                print(line)
            }
        }
    }

    static func finish() {
        if isatty(STDOUT_FILENO) == 1 { print("") }
    }
}

/// The few lines a person reads after each scenario.
enum Summary {
    static func render(_ report: RunReport) -> String {
        var lines = [
            "   verdict: \(report.verdict.rawValue.uppercased())  (backend \(report.environment.backend), \(String(format: "%.1f", report.durationSeconds)) s)"
        ]
        var table = TextTable(
            columns: ["metric (ms)", "p50", "p95", "p99", "max", "n"],
            alignments: [.left, .right, .right, .right, .right, .right]
        )
        for name in ["spawn", "spawn_warm", "spawn_on_demand", "restore", "firecracker_load", "dispatch_lag"] {
            guard let spectrum = report.overall.latencies[name] else { continue }
            table.append([
                name, formatMilliseconds(spectrum.p50), formatMilliseconds(spectrum.p95),
                formatMilliseconds(spectrum.p99),
                formatMilliseconds(spectrum.max), String(spectrum.count),
            ])
        }
        lines.append(table.render().split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
        let resident = report.timeline.compactMap(\.jemallocResident).max().map { Double($0) / 1_048_576 }
        lines.append(
            "   outcomes: \(report.overall.outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) of \(report.overall.scheduled) scheduled; late starts \(report.overall.lateStarts)"
        )
        lines.append(
            "   memory: jemalloc resident max \(resident.map { String(format: "%.1f", $0) } ?? "–") MiB; leaks: \(report.leakCheck.problems.isEmpty ? "none" : report.leakCheck.problems.joined(separator: "; "))"
        )
        for gate in report.gates {
            lines.append(
                "   \(gate.passed ? "PASS" : "FAIL")  \(gate.expression)"
                    + (gate.measured.map { "  (measured \(String(format: "%.3f", $0)))" } ?? "")
                    + (gate.reason.map { gate.passed ? "" : "  — \($0)" } ?? "")
            )
        }
        return lines.joined(separator: "\n")
    }
}

/// Calls `action` when one of `signals` arrives (the default action — dying — is replaced while it lives).
final class SignalCanceller {
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32], action: @escaping @Sendable () -> Void) {
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\nsnapbench: interrupted; draining the pool…\n".utf8))
                action()
            }
            source.resume()
            return source
        }
    }

    func stop() {
        for source in sources { source.cancel() }
    }
}
