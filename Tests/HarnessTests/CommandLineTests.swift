import Foundation
import Glibc
import Reporting
import Subprocess
import SystemPackage
import TestSupport
import Testing

/// The `snapbench` executable as a user runs it: exit codes, messages and files, end to end.
@Suite("snapbench on the command line", .serialized, .timeLimit(.minutes(2)))
struct CommandLineTests {
    /// The executable SwiftPM built beside the tests: in the directory of the test bundle, whatever the build
    /// configuration, triple or `--scratch-path`.
    static func executable() throws -> String {
        let tests = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let products = URL(fileURLWithPath: tests).deletingLastPathComponent().path
        let candidate = products + "/snapbench"
        return try #require(
            FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil,
            "no snapbench executable beside the tests in \(products): build the package with its tests first"
        )
    }

    /// Runs snapbench with `arguments` (without `SNAPBENCH_FIRECRACKER`, so only what the arguments name counts).
    static func run(_ arguments: [String], in directory: String) async throws -> (status: Int32, output: String) {
        let result = try await Subprocess.run(
            .path(FilePath(try executable())),
            arguments: Arguments(arguments),
            // No test writes to the user's results store unless it names one.
            environment: .inherit.updating(["SNAPBENCH_FIRECRACKER": nil, "SNAPBENCH_STORE": "none"]),
            workingDirectory: FilePath(directory),
            output: .string(limit: 1 << 22),
            error: .string(limit: 1 << 22)
        )
        guard case .exited(let code) = result.terminationStatus else {
            Issue.record("snapbench ended by \(result.terminationStatus)")
            return (-1, "")
        }
        return (code, result.standardOutput + result.standardError)
    }

    /// A short scenario: 60 arrivals, enough to decide a p95.
    static let tiny = """
        name: tiny
        description: a short scenario for the command-line tests
        pool: {warm_target: 2}
        phases:
          - {name: load, executor: constant-arrival-rate, rate: 60/s, duration: 1s, hold: 5ms}
        gates:
          - spawn_ms p95 < 1000
          - errors count == 0

        """

    @Test("Firecracker hidden: exit 2 and a message that says what is missing and how to fix it; nothing written")
    func hiddenFirecracker() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let (status, output) = try await Self.run(
            [
                "run", "smoke", "--firecracker", scratch + "/no-firecracker", "--output", scratch + "/out",
                "--no-progress", "--work-dir", scratch + "/work",
            ],
            in: TestEnvironment.packageRoot
        )
        #expect(status == ExitStatus.incomplete.rawValue, "\(output)")
        #expect(output.contains("real Firecracker cannot run here"))
        #expect(output.contains("scripts/setup") && output.contains("--firecracker PATH"))
        #expect(!FileManager.default.fileExists(atPath: scratch + "/out/smoke.json"))
    }

    @Test(
        "without network namespaces: devices refused whole, each root-only variant named, nothing made; --plan exits 0"
    )
    func rootOnlyScenarioRefusedWhole() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let arguments = [
            "run", "devices", "--output", scratch + "/out", "--work-dir", scratch + "/work", "--no-progress",
        ]
        // As root, the refusal is shown for `nobody` (runuser drops every capability); as anyone else, for them.
        let asRoot = getuid() == 0
        if asRoot { chmod(scratch, 0o777) }
        let executable = try Self.executable()
        let asTheUser = { (arguments: [String]) async throws -> (TerminationStatus, String) in
            let result = try await Subprocess.run(
                asRoot ? .name("runuser") : .path(FilePath(executable)),
                arguments: Arguments(asRoot ? ["-u", "nobody", "--", executable] + arguments : arguments),
                environment: .inherit.updating(["SNAPBENCH_STORE": "none"]),
                workingDirectory: FilePath(scratch),
                output: .string(limit: 1 << 20),
                error: .string(limit: 1 << 20)
            )
            return (result.terminationStatus, result.standardOutput + result.standardError)
        }
        let (status, output) = try await asTheUser(arguments)
        #expect(status == .exited(ExitStatus.incomplete.rawValue), "\(output)")
        #expect(output.contains("nothing was started"), "\(output)")
        for variant in ["nic1", "nic3", "all", "none-jailed", "all-jailed-standby"] {
            #expect(output.contains("devices.\(variant): "), "\(variant) not named: \(output)")
        }
        #expect(!output.contains("devices.none: ") && !output.contains("devices.balloon: "), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: scratch + "/out"), "the refused run made its output directory")
        #expect(!FileManager.default.fileExists(atPath: scratch + "/work"), "the refused run made its work directory")
        // Its plan is still a plan, which starts nothing: exit 0, with what this user would be refused as a note.
        let (planStatus, plan) = try await asTheUser(["run", "--plan", "devices"])
        #expect(planStatus == .exited(0), "\(plan)")
        #expect(plan.contains("a run would be refused") && plan.contains("devices.nic1: "), "\(plan)")
        #expect(plan.contains("measured acquires"), "the plan itself is missing: \(plan)")
    }

    @Test("a simulated run that passes exits 5 and says SIMULATED in every output; compare of one run each exits 4")
    func simulated() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        try Self.tiny.write(toFile: scratch + "/tiny.yaml", atomically: true, encoding: .utf8)
        for side in ["a", "b"] {
            let (status, output) = try await Self.run(
                [
                    "run", "tiny.yaml", "--backend", "simulated", "--output", side, "--no-progress", "--work-dir",
                    scratch + "/work",
                ],
                in: scratch
            )
            #expect(status == ExitStatus.simulated.rawValue, "\(output)")
            #expect(output.contains("verdict: PASS (SIMULATED)"))
        }
        let markdown = try String(contentsOfFile: scratch + "/a/tiny.md", encoding: .utf8)
        #expect(markdown.contains("PASS (SIMULATED)"))
        let junit = try String(contentsOfFile: scratch + "/a/tiny.junit.xml", encoding: .utf8)
        #expect(junit.contains("name=\"backend is firecracker\"") && junit.contains("type=\"simulated\""))
        let report = try RunReport.readJSON(from: scratch + "/a/tiny.json")
        #expect(report.environment.backend == "simulated" && report.audit != nil)
        let (compareStatus, compareOutput) = try await Self.run(
            ["compare", "a/tiny.json", "--candidate", "b/tiny.json"],
            in: scratch
        )
        #expect(compareStatus == ExitStatus.inconclusive.rawValue, "\(compareOutput)")
        #expect(compareOutput.contains("not enough runs to decide"))
        // The audit log verifies against the end its report recorded, and not once cut.
        let (auditStatus, auditOutput) = try await Self.run(
            ["audit", "verify", "a/tiny.audit.jsonl", "--report", "a/tiny.json"],
            in: scratch
        )
        #expect(auditStatus == 0, "\(auditOutput)")
        #expect(auditOutput.contains("end anchored"))
        let log = try String(contentsOfFile: scratch + "/a/tiny.audit.jsonl", encoding: .utf8)
        let lines = log.split(separator: "\n")
        try (lines.dropLast(3).joined(separator: "\n") + "\n")
            .write(toFile: scratch + "/a/tiny.audit.jsonl", atomically: true, encoding: .utf8)
        let (cutStatus, cutOutput) = try await Self.run(
            ["audit", "verify", "a/tiny.audit.jsonl", "--report", "a/tiny.json"],
            in: scratch
        )
        #expect(cutStatus == ExitStatus.failure.rawValue)
        #expect(cutOutput.contains("3 records were cut from its end"), "\(cutOutput)")
        let (aloneStatus, aloneOutput) = try await Self.run(["audit", "verify", "a/tiny.audit.jsonl"], in: scratch)
        #expect(aloneStatus == ExitStatus.failure.rawValue)
        #expect(aloneOutput.contains("end UNANCHORED") && aloneOutput.contains("does not end with the pool's shutdown"))
    }

    @Test(
        "a run is recorded in the store and `history` shows it; a store that is down loses no run: exit 6, the JSON written",
        .requiresKVM
    )
    func resultsStore() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        try Self.tiny.write(toFile: scratch + "/tiny.yaml", atomically: true, encoding: .utf8)
        let store = "sqlite:" + scratch + "/results.sqlite"
        let common = ["--no-progress", "--work-dir", scratch + "/work"]
        let (status, output) = try await Self.run(
            ["run", "tiny.yaml", "--output", "a", "--store", store] + common,
            in: scratch
        )
        #expect(status == ExitStatus.success.rawValue, "\(output)")
        #expect(output.contains("results store: recorded run"), "\(output)")
        let (historyStatus, history) = try await Self.run(
            ["history", "--scenario", "tiny", "--metric", "spawn_ms", "--store", store, "--html", "h.html"],
            in: scratch
        )
        #expect(historyStatus == 0, "\(history)")
        #expect(history.contains("(1 runs)") && history.contains("no change point found"), "\(history)")
        #expect(FileManager.default.fileExists(atPath: scratch + "/h.html"))
        let (importStatus, imported) = try await Self.run(["history", "import", "a", "--store", store], in: scratch)
        #expect(importStatus == 0, "\(imported)")
        #expect(imported.contains("imported 0 new runs") && imported.contains("1 were kept already"), "\(imported)")
        // Nothing listens on port 1: the run still ends with its report written, and says what was lost.
        let (downStatus, down) = try await Self.run(
            ["run", "tiny.yaml", "--output", "b", "--store", "postgres://snapbench@127.0.0.1:1/results"] + common,
            in: scratch
        )
        #expect(downStatus == ExitStatus.storeFailed.rawValue, "\(down)")
        #expect(down.contains("results store: NOT RECORDED") && down.contains("the JSON report is written"))
        #expect(FileManager.default.fileExists(atPath: scratch + "/b/tiny.json"))
        let (badStatus, bad) = try await Self.run(["run", "tiny.yaml", "--store", "mysql://x/y"] + common, in: scratch)
        #expect(badStatus == ExitStatus.invalidInput.rawValue, "\(bad)")
    }

    @Test("a scenario's variants each get their reports, and a table puts them side by side")
    func variants() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let yaml =
            Self.tiny + """
                vm: {working_set_mib: 8, touch_mib: 4}
                variants:
                  - {name: small}
                  - {name: large, vm: {working_set_mib: 16, touch_mib: 16}}

                """
        try yaml.write(toFile: scratch + "/tiny.yaml", atomically: true, encoding: .utf8)
        let (status, output) = try await Self.run(
            ["run", "tiny.yaml", "--backend", "simulated", "--output", "out", "--no-progress", "--work-dir", "work"],
            in: scratch
        )
        #expect(status == ExitStatus.simulated.rawValue, "\(output)")
        for variant in ["tiny.small", "tiny.large"] {
            #expect(FileManager.default.fileExists(atPath: "\(scratch)/out/\(variant).json"), "\(variant)")
        }
        #expect(output.contains("tiny: variants side by side"))
        let table = try String(contentsOfFile: scratch + "/out/tiny.md", encoding: .utf8)
        // The simulated guest's work grows with the pages it touches: the large variant's row says so.
        let small = try RunReport.readJSON(from: scratch + "/out/tiny.small.json")
        let large = try RunReport.readJSON(from: scratch + "/out/tiny.large.json")
        let smallWork = try #require(small.overall.latencies["working_set"]?.p50)
        let largeWork = try #require(large.overall.latencies["working_set"]?.p50)
        #expect(largeWork > smallWork * 2)
        #expect(table.contains("| small |") && table.contains("| large |"))
    }

    @Test("invalid input exits 3 before anything starts: an undecidable gate, a sign-off on simulated, a bad option")
    func invalidInput() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        try Self.tiny.replacingOccurrences(of: "errors count == 0", with: "late_starts rate < 0.01")
            .write(toFile: scratch + "/tiny.yaml", atomically: true, encoding: .utf8)
        let undecidable = try await Self.run(["run", "tiny.yaml", "--backend", "simulated"], in: scratch)
        #expect(undecidable.status == ExitStatus.invalidInput.rawValue)
        #expect(undecidable.output.contains("tiny.yaml:8:5: gates[1]"), "\(undecidable.output)")
        #expect(undecidable.output.contains("cannot pass with 60 measured acquires"))
        let signOff = try await Self.run(["run", "smoke", "--sign-off", "--backend", "simulated"], in: scratch)
        #expect(signOff.status == ExitStatus.invalidInput.rawValue)
        #expect(signOff.output.contains("--sign-off runs on real Firecracker only"))
        let option = try await Self.run(["run", "smoke", "--backend", "auto"], in: scratch)
        #expect(option.status == ExitStatus.invalidInput.rawValue)
        let format = try await Self.run(["report", "missing.json", "--format", "html,pdf"], in: scratch)
        #expect(format.status == ExitStatus.invalidInput.rawValue && format.output.contains("pdf"), "\(format.output)")
        let warm = try await Self.run(["pool-bench", "--warm", "4"], in: scratch)
        #expect(warm.status == ExitStatus.invalidInput.rawValue && warm.output.contains("--warm applies to --burst"))
        let level = try await Self.run(["probe", "--log-level", "loud"], in: scratch)
        #expect(level.status == ExitStatus.invalidInput.rawValue && level.output.contains("loud"))
        #expect(!FileManager.default.fileExists(atPath: scratch + "/Reports"))
    }

    @Test(
        "--plan prints each phase's arrivals and each gate's needs, starts and writes nothing; an undecidable gate exits 3"
    )
    func plan() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        try Self.tiny.write(toFile: scratch + "/tiny.yaml", atomically: true, encoding: .utf8)
        let decidable = try await Self.run(["run", "--plan", "tiny.yaml", "burst"], in: scratch)
        #expect(decidable.status == 0, "\(decidable.output)")
        #expect(decidable.output.contains("tiny: 1 phase, 1 s of load; 60 measured acquires"), "\(decidable.output)")
        #expect(decidable.output.contains("phase load: 60/s, evenly spaced; 60 arrivals over 1 s"))
        #expect(
            decidable.output.contains(
                "gate spawn_ms p95 < 1000: needs ≥ 59 samples (for its 95 % upper bound), scheduled"
            )
        )
        #expect(decidable.output.contains("18 bursts of 16 within 0 ms, 2 s apart; 288 arrivals over 34 s"))
        #expect(decidable.output.contains("gate late_starts rate < 0.05: needs ≥ 52 measured acquires"))
        let undecidable = try await Self.run(
            ["run", "--plan", "tiny.yaml", "--gate", "late_starts rate < 0.01"],
            in: scratch
        )
        #expect(undecidable.status == ExitStatus.invalidInput.rawValue)
        #expect(undecidable.output.contains("cannot be decided by tiny"), "\(undecidable.output)")
        let contents = try FileManager.default.contentsOfDirectory(atPath: scratch)
        #expect(contents == ["tiny.yaml"], "\(contents)")
    }

    @Test("ab compares a setting on one build: each side's run arguments reach its runs, and its label names them")
    func abOfASetting() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        try Self.tiny.write(toFile: scratch + "/tiny.yaml", atomically: true, encoding: .utf8)
        let executable = try Self.executable()
        let simulated = ["--base-run-arg=--backend", "--base-run-arg=simulated"]
        let (status, output) = try await Self.run(
            [
                "ab", executable, executable, "--scenario", "tiny.yaml", "--runs", "2", "--order-seed", "7", "--output",
                "ab",
            ]
                + simulated + ["--candidate-run-arg=--backend", "--candidate-run-arg=simulated"]
                + ["--candidate-run-arg=--hedging", "--candidate-run-arg=on"],
            in: scratch
        )
        // Two runs a side decide nothing: inconclusive, with every run completed.
        #expect(status == ExitStatus.inconclusive.rawValue, "\(output)")
        #expect(output.contains("candidate \(executable) --backend simulated --hedging on"), "\(output)")
        for round in 1...2 {
            let base = try String(contentsOfFile: "\(scratch)/ab/base/tiny-\(round)/tiny.json", encoding: .utf8)
            let candidate = try String(
                contentsOfFile: "\(scratch)/ab/candidate/tiny-\(round)/tiny.json",
                encoding: .utf8
            )
            #expect(!base.contains("\"hedging\""))
            #expect(candidate.contains("\"hedging\""))
        }
    }

    @Test("ab of a scenario with variants, in a file named apart from it: each variant read and compared as its own")
    func abOfVariants() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let variants =
            Self.tiny + """
                variants:
                  - {name: two, pool: {warm_target: 2}}
                  - {name: three, pool: {warm_target: 3}}

                """
        try variants.write(toFile: scratch + "/copy.yaml", atomically: true, encoding: .utf8)
        let executable = try Self.executable()
        let simulated = ["--backend", "simulated"].flatMap { ["--base-run-arg=\($0)", "--candidate-run-arg=\($0)"] }
        let (status, output) = try await Self.run(
            ["ab", executable, executable, "--scenario", "copy.yaml", "--runs", "2", "--output", "ab"] + simulated,
            in: scratch
        )
        // Two runs a side decide nothing: inconclusive, with every run completed and both variants compared.
        #expect(status == ExitStatus.inconclusive.rawValue, "\(output)")
        for variant in ["tiny.two", "tiny.three"] {
            #expect(output.contains(variant), "\(variant) not compared: \(output)")
            for side in ["base", "candidate"] {
                #expect(FileManager.default.fileExists(atPath: "\(scratch)/ab/\(side)/copy-2/\(variant).json"))
            }
        }
    }

    @Test("a hostile scenario name is refused with file, line and key; nothing is written outside --output")
    func hostileName() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        try FileManager.default.createDirectory(atPath: scratch + "/a/b", withIntermediateDirectories: true)
        try Self.tiny.replacingOccurrences(of: "name: tiny", with: "name: ../../evil")
            .write(toFile: scratch + "/a/b/evil.yaml", atomically: true, encoding: .utf8)
        let (status, output) = try await Self.run(
            ["run", "evil.yaml", "--backend", "simulated", "--output", "out", "--work-dir", scratch + "/work"],
            in: scratch + "/a/b"
        )
        #expect(status == ExitStatus.invalidInput.rawValue, "\(output)")
        #expect(output.contains("evil.yaml:1:7: name: the scenario's name may not contain `/`"), "\(output)")
        let everything = FileManager.default.subpaths(atPath: scratch) ?? []
        #expect(everything.filter { $0.contains("evil") } == ["a/b/evil.yaml"], "\(everything)")
        #expect(!everything.contains { $0.hasPrefix("a/b/out") || $0.hasPrefix("work") })
    }

    @Test(
        "a linked, foreign or world-writable --output, --work-dir or --vm-dir is refused before anything is written",
        .enabled(if: geteuid() == 0, "only root can give a directory to another user")
    )
    func unsafeDirectories() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        try Self.tiny.write(toFile: scratch + "/tiny.yaml", atomically: true, encoding: .utf8)
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: scratch + "/elsewhere", withIntermediateDirectories: true)
        try fileManager.createSymbolicLink(atPath: scratch + "/linked", withDestinationPath: scratch + "/elsewhere")
        try fileManager.createDirectory(atPath: scratch + "/nobodys", withIntermediateDirectories: true)
        #expect(chown(scratch + "/nobodys", 65534, 65534) == 0)
        try fileManager.createDirectory(atPath: scratch + "/open", withIntermediateDirectories: true)
        #expect(chmod(scratch + "/open", 0o777) == 0)
        let safe = ["--output", scratch + "/out", "--work-dir", scratch + "/work", "--vm-dir", scratch + "/vms"]
        for (flag, directory, problem) in [
            ("--output", "linked", "is a symbolic link"), ("--work-dir", "linked", "is a symbolic link"),
            ("--vm-dir", "linked", "is a symbolic link"), ("--work-dir", "nobodys", "belongs to"),
            ("--output", "open", "is writable by every user (mode 777)"),
        ] {
            var arguments = ["run", "tiny.yaml", "--backend", "simulated", "--no-progress"] + safe
            arguments[arguments.firstIndex(of: flag)! + 1] = scratch + "/" + directory
            let (status, output) = try await Self.run(arguments, in: scratch)
            #expect(status == ExitStatus.invalidInput.rawValue, "\(flag) \(directory): \(output)")
            #expect(output.contains("\(scratch)/\(directory) \(problem)"), "\(output)")
            #expect(output.contains("pass \(flag) with a directory of your own"), "\(output)")
        }
        #expect(try fileManager.contentsOfDirectory(atPath: scratch + "/elsewhere").isEmpty)
        #expect(try fileManager.contentsOfDirectory(atPath: scratch + "/nobodys").isEmpty)
        #expect(try fileManager.contentsOfDirectory(atPath: scratch + "/open").isEmpty)
        #expect(!fileManager.fileExists(atPath: scratch + "/out/tiny.json"))
    }

    @Test("--help teaches: the commands, the exit codes, and how gates are decided")
    func help() async throws {
        let root = try await Self.run(["--help"], in: TestEnvironment.packageRoot)
        #expect(root.status == 0)
        #expect(root.output.contains("ab") && root.output.contains("Exit codes: 0"))
        // Every subcommand is named as the README names it (a type name never leaks into the CLI).
        for command in ["run", "ab", "compare", "report", "doctor", "snapshot", "probe", "pool-bench", "audit"] {
            #expect(root.output.contains("\n  \(command) "), "no `\(command)` in: \(root.output)")
        }
        #expect(!root.output.contains("-command"))
        let run = try await Self.run(["run", "--help"], in: TestEnvironment.packageRoot)
        #expect(run.status == 0)
        #expect(run.output.contains("95 % confidence bounds") && run.output.contains("4 inconclusive"))
        let ab = try await Self.run(["ab", "--help"], in: TestEnvironment.packageRoot)
        #expect(ab.status == 0 && ab.output.contains("interleaved"))
    }
}
