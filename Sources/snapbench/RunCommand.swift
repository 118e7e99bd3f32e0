import ArgumentParser
import Dispatch
import Firecracker
import Foundation
import Glibc
import Harness
import History
import HostSystem
import Logging
import Reporting
package import Scenarios
import SnapshotPool

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

            Every run uses real Firecracker unless the simulated backend is asked for by name (--backend \
            simulated, or `backend: simulated` in the file): when KVM, Firecracker or the guest is missing, the \
            run stops with exit code 2 and says how to fix it. A simulated run is marked as such in every output \
            and never exits 0.

            Gates on rates and percentiles are decided with 95 % confidence bounds: pass when the whole bound is \
            on the passing side, fail when it is on the failing side, inconclusive otherwise. A gate that the \
            scenario cannot decide from the arrivals it schedules (a 1 % rate of 40 arrivals) is refused before \
            anything starts. A gate that failed while the host was disturbed (CPU steal, other processes, a \
            stalled real-time thread) is judged again without the acquires the disturbance touched.

            Examples:
              snapbench run                                  # the default suite
              snapbench run smoke --gate "spawn_ms p99 < 40"  # one scenario, one more gate
              snapbench run faults-all --sign-off            # a release sign-off
              snapbench run Scenarios/churn.yaml --backend simulated
              snapbench run --plan burst agent               # what they would do, starting nothing

            \(ExitStatus.help)
            """
    )

    static let defaultSuite = ["smoke", "burst", "steady"]

    @OptionGroup var common: CommonOptions

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("Scenario files or names.", valueName: "scenario"))
    var scenarios: [String] = []

    @Option(
        name: .customLong("gate"),
        help: ArgumentHelp("An extra gate, e.g. \"spawn_ms p95 < 50\"; repeatable.", valueName: "expression")
    )
    var gates: [String] = []

    @Option(help: "firecracker (the default) or simulated; overrides the scenarios' choice.")
    var backend: BackendChoice?

    @Flag(
        name: .customLong("sign-off"),
        help: "A release sign-off: refuse anything but real Firecracker, and say so in every report."
    )
    var signOff = false

    @Option(
        help: ArgumentHelp(
            "on or off: hedged acquires in every scenario, whatever its pool.hedging says (on: the automatic delay, "
                + "from the pool's own readiness times; see Scenarios/README.md).",
            valueName: "on|off"
        )
    )
    var hedging: HedgingChoice?

    @Option(help: ArgumentHelp("Directory reports are written to.", valueName: "dir"))
    var output: String = "Reports"

    @Option(
        name: .customLong("snapshot"),
        help: ArgumentHelp(
            "Restore every scenario's clones from a snapshot another tool made, in DIR (vm.state and vm.mem, or "
                + "snapshot_file and mem_file), read-only, instead of one snapbench builds. It is checked first: files, "
                + "format version against this Firecracker, memory file size, drives, vsock socket. Readiness is the "
                + "agent's reply over vsock: the scenario's vm.readiness, else `ready` on port 52 answered with a line "
                + "starting `R`. See docs/your-own-vm.md.",
            valueName: "dir"
        )
    )
    var snapshot: String?

    @Flag(
        help: """
            Check the scenarios and print what each would do — every phase's arrivals and length, every gate with \
            the samples it needs — then exit 0, or 3 when one is invalid or has a gate it cannot decide. Starts \
            nothing and writes nothing.
            """
    )
    var plan = false

    @Flag(name: .customLong("no-progress"), help: "Print no progress while running.")
    var noProgress = false

    @Option(
        name: .customLong("metrics-listen"),
        help: ArgumentHelp(
            "Serve live metrics (Prometheus text: pool state, spawn and restore histograms, memory, pool events) at "
                + "HOST:PORT while each scenario runs, e.g. 127.0.0.1:9464.",
            valueName: "host:port"
        )
    )
    var metricsListen: String?

    func validate() throws {
        if signOff, backend == .simulated {
            throw ValidationError(
                "--sign-off runs on real Firecracker only; it cannot be combined with --backend simulated"
            )
        }
    }

    func run() async throws {
        let logger = common.makeLogger("snapbench.run")
        // Everything is parsed before anything starts: bad input is exit code 3 with nothing running.
        var parsed: [[Scenario]] = []
        var extraGates: [Gate] = []
        let recorder: RunRecorderStore
        let directories: (work: String, vms: String)
        let output: String
        do {
            extraGates = try gates.map { try ScenarioParser.parseGate($0) }
            for name in scenarios.isEmpty ? Self.defaultSuite : scenarios {
                var variants = try ScenarioParser.parseVariants(file: try Self.resolve(name))
                if let snapshot {
                    guard let files = ExternalSnapshot.inDirectory(ProjectPaths.absolute(snapshot)) else {
                        throw ValidationError(
                            "--snapshot \(snapshot): no vm.state and vm.mem (nor snapshot_file and mem_file) there"
                        )
                    }
                    for index in variants.indices {
                        variants[index].vm = .snapshot(files)
                        variants[index].devices = DeviceSettings()
                        // No serial line of another tool's guest is known here: its agent over vsock is the only
                        // readiness, asked as the scenario says, else `ready` on port 52, answered with `R…`.
                        if variants[index].readiness == nil { variants[index].readiness = .builtIn }
                    }
                }
                if let hedging {
                    for index in variants.indices {
                        variants[index].pool.configuration.hedging = Hedging(enabled: hedging == .on)
                    }
                }
                for scenario in variants {
                    for gate in extraGates { try ScenarioParser.checkDecidable(gate, in: scenario) }
                    if signOff || scenario.signOff, (backend ?? scenario.backend) == .simulated {
                        throw ValidationError("\(scenario.name) is a sign-off, which only real Firecracker may run")
                    }
                }
                parsed.append(variants)
            }
            if plan { try Self.printPlans(parsed, extraGates: extraGates) }
        } catch {
            FileHandle.standardError.write(Data("snapbench: invalid input: \(error)\n".utf8))
            throw ExitCode(.invalidInput)
        }
        // Every variant's root-only keys, before any of them starts: a scenario runs whole or not at all.
        let refusals = parsed.joined().filter { (backend ?? $0.backend) == .firecracker }.flatMap { scenario in
            PrivilegeCheck(scenario: scenario).missing().map { "\(scenario.name): \($0)" }
        }
        if plan {
            // A plan starts nothing, so what this user may not run is a note on it, not a refused run: the
            // plan's verdict (0, or 3 for invalid input) stays the scenario's own.
            if !refusals.isEmpty {
                print(
                    "As this user a run would be refused (see `snapbench doctor`):\n"
                        + refusals.map { "  \($0)\n" }.joined(),
                    terminator: ""
                )
            }
            return
        }
        guard refusals.isEmpty else {
            FileHandle.standardError.write(
                Data(
                    ("snapbench: this user may not run what these scenarios need, so nothing was started (see "
                        + "`snapbench doctor`):\n" + refusals.map { "  \($0)\n" }.joined()).utf8
                )
            )
            throw ExitCode(.incomplete)
        }
        do {
            recorder = RunRecorderStore(location: try store.location())
            // Checked before anything is written: no link, no other user's directory, nothing others may change.
            directories = try common.directories()
            output = try PrivateDirectory.prepare(self.output, role: "output directory", flag: "--output")
        } catch {
            FileHandle.standardError.write(Data("snapbench: invalid input: \(error)\n".utf8))
            throw ExitCode(.invalidInput)
        }
        // SIGINT/SIGTERM cancel the run: the pool drains (every VMM stopped, every file removed) and the
        // report says `incomplete`, instead of the process dying with its VMMs orphaned.
        let ran = try await Interruption.cancellingOnSignals { [parsed, extraGates] in
            try await runAll(
                parsed,
                extraGates: extraGates,
                places: Places(work: directories.work, vms: directories.vms, output: output),
                recorder: recorder,
                logger: logger
            )
        }
        await recorder.close()
        let worst = await recorder.adjust(ran)
        if worst != .success { throw ExitCode(worst) }
    }

    /// Prints each scenario's ``ScenarioPlan``; throws when a gate cannot be decided (invalid input).
    private static func printPlans(_ parsed: [[Scenario]], extraGates: [Gate]) throws {
        var undecidable: [String] = []
        for scenario in parsed.joined() {
            let plan = ScenarioPlan(scenario, extraGates: extraGates)
            print(plan.text)
            undecidable += plan.gates.filter { $0.problem != nil }.map { "\(scenario.name): `\($0.expression)`" }
        }
        guard undecidable.isEmpty else {
            throw ValidationError("gates these scenarios cannot decide: " + undecidable.joined(separator: ", "))
        }
    }

    /// Where a run works and writes, each checked (``PrivateDirectory``).
    private struct Places {
        var work: String
        var vms: String
        var output: String
    }

    private func runAll(
        _ parsed: [[Scenario]],
        extraGates: [Gate],
        places: Places,
        recorder: RunRecorderStore,
        logger: Logger
    ) async throws -> ExitStatus {
        let output = places.output
        let snapshots = await ScratchDirectory.claim(kind: "snapshots", purpose: "run", in: places.work)
        defer { try? FileManager.default.removeItem(atPath: snapshots) }
        var statuses: [ExitStatus] = []
        for variants in parsed {
            var reports: [RunReport] = []
            for scenario in variants {
                let ran = try await runOne(
                    scenario,
                    extraGates: extraGates,
                    places: places,
                    snapshots: snapshots,
                    recorder: recorder,
                    logger: logger
                )
                statuses.append(ran.status)
                if let report = ran.report { reports.append(report) }
                // Nothing else can run without Firecracker, KVM or the guest.
                if ran.prerequisitesMissing { return ExitStatus.worst(statuses) }
            }
            if variants.count > 1, let dot = variants[0].name.lastIndex(of: ".") {
                let base = String(variants[0].name[..<dot])
                // The variants side by side: the point of running them.
                let table = VariantTable(scenario: base, reports: reports)
                let markdown = try FileName.path(base, suffix: ".md", in: output)
                let html = try FileName.path(base, suffix: ".html", in: output)
                try table.markdown().write(toFile: markdown, atomically: true, encoding: .utf8)
                try table.html().write(toFile: html, atomically: true, encoding: .utf8)
                print(table.text())
                print("   side by side: \(markdown), \(html)")
            }
        }
        return ExitStatus.worst(statuses)
    }

    /// How one scenario's run ended.
    private struct Ran {
        var status: ExitStatus
        var report: RunReport? = nil
        var prerequisitesMissing = false
    }

    /// Runs one scenario and writes its reports.
    private func runOne(
        _ scenario: Scenario,
        extraGates: [Gate],
        places: Places,
        snapshots: String,
        recorder: RunRecorderStore,
        logger: Logger
    ) async throws -> Ran {
        if Task.isCancelled {
            print("   not run: interrupted")
            return Ran(status: .incomplete)
        }
        print("== \(scenario.name): \(scenario.description)")
        // One shared VM directory: a run reclaims the VMMs and files of a run that was killed.
        var options = ScenarioRunner.Options(workDirectory: places.work + "/run")
        options.vmDirectory = places.vms + "/run"
        options.snapshotDirectory = snapshots
        options.firecrackerPath = common.firecracker
        options.guestPath = common.guest
        options.backend = backend
        options.signOff = signOff
        options.extraGates = extraGates
        options.logger = logger
        options.commit = GitCommit.current()
        options.auditPath = try FileName.path(scenario.name, suffix: ".audit.jsonl", in: places.output)
        options.metricsListen = metricsListen
        options.metricsListening = { address in print("   live metrics: http://\(address)/metrics") }
        if !noProgress { options.progress = ProgressPrinter.make() }
        let report: RunReport
        do {
            report = try await ScenarioRunner(scenario: scenario, options: options).run()
        } catch let error as RunError {
            FileHandle.standardError.write(Data("snapbench: \(scenario.name): \(error)\n".utf8))
            return Ran(
                status: error.code == .invalidRequest ? .invalidInput : .incomplete,
                prerequisitesMissing: error.code == .prerequisitesMissing
            )
        } catch {
            print("   could not run: \(error)")
            return Ran(status: .incomplete)
        }
        ProgressPrinter.finish()
        let path = try FileName.path(scenario.name, suffix: ".json", in: places.output)
        try report.writeJSON(to: path)
        try report.write(ReportFormat.renderings, to: places.output, name: scenario.name)
        print(report.summaryText())
        print("   report: \(path)")
        await recorder.record(report)
        return Ran(status: ExitStatus.of(report), report: report)
    }

    /// A path as given, or `Scenarios/<name>.yaml` where ``ProjectPaths`` searches: `$SNAPBENCH_HOME`, the install
    /// prefix of this executable, then the checkout.
    static func resolve(_ name: String) throws -> String {
        if FileManager.default.fileExists(atPath: name) { return name }
        do {
            return try ProjectPaths.locateScenario(named: name)
        } catch let error as ProjectPaths.NotFound {
            throw ValidationError(
                "no scenario \(name): neither a file nor \(error.what) "
                    + "(searched: \(error.searched.joined(separator: ", ")))"
            )
        }
    }
}

extension BackendChoice: ExpressibleByArgument {}

/// Progress on a terminal (one line, rewritten) or as plain lines every 5 s elsewhere.
enum ProgressPrinter {
    static func make() -> @Sendable (RunProgress) -> Void {
        let terminal = isatty(STDOUT_FILENO) == 1
        return { progress in
            let seconds = Int(progress.elapsed.components.seconds)
            let total = progress.phaseDuration.map { " / \(Int($0.components.seconds))s" } ?? ""
            let p95 = progress.spawnP95Milliseconds.map { String(format: "%.2f", $0) } ?? "–"
            let disturbed = progress.disturbed > 0 ? "  host-disturbed \(progress.disturbed)" : ""
            let line =
                "   [\(progress.phase)] \(seconds)s\(total)  leases ok \(progress.served) failed \(progress.failed)"
                + "  spawn p95 \(p95) ms  warm \(progress.warm)\(disturbed)"
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

/// `--hedging`: hedged acquires on or off for every scenario of a run.
enum HedgingChoice: String, CaseIterable, ExpressibleByArgument {
    case on
    case off
}
