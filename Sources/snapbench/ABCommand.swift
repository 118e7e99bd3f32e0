import ArgumentParser
import Firecracker
import Foundation
import Harness
import History
import HostSystem
import Reporting

struct ABCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ab",
        abstract: "Run two builds interleaved on this host and say whether the candidate regressed.",
        discussion: """
            BASE and CANDIDATE are snapbench executables, or git revisions of this checkout (a commit, branch or \
            tag), which are checked out into --build-cache and built in release mode (once each; minutes on a \
            cold cache). Each scenario runs --runs rounds; a round runs both builds back to back, in an order a \
            fair coin picks (seeded by --order-seed, printed), so neither the host's drift nor noise that repeats \
            at the rhythm of the runs can pass for a difference between the builds; then `compare` decides with \
            the run as the unit (see `snapbench compare --help`).

            This is the path for a pull request's gate and for regression hunts. A baseline stored from another \
            day answers absolute targets and trends, not a p ≤ 0.05 decision: on these shared hosts, runs of one \
            build on different occasions differ by more than the changes worth catching.

            The default of \(defaultRuns) runs a side comes from calibrating this command on its own host (see \
            the README): with 5 a side the permutation test can reach p = 0.008, and a regression of a decided \
            metric survives the false-discovery correction.

            Each run's reports and output go to --output/<base|candidate>/<scenario>-<n>/; the comparison is \
            written there as compare.json, compare.md and compare.html.

            Examples:
              snapbench ab main HEAD                                  # this change against main, smoke
              snapbench ab .build-old/release/snapbench .build/release/snapbench --scenario smoke --scenario burst
              snapbench ab v1.2.0 HEAD --runs 8 --output /tmp/ab
              snapbench ab HEAD HEAD --candidate-run-arg=--hedging --candidate-run-arg=on   # a setting, not a build

            Exit codes: 0 no decided metric regressed; 1 a decided metric regressed; 2 a run could not complete \
            (its output is shown); 3 invalid input; 4 inconclusive (too few runs to decide).
            """
    )

    static let defaultRuns = 5

    @Argument(help: ArgumentHelp("The base build: an executable or a git revision.", valueName: "base"))
    var base: String

    @Argument(help: ArgumentHelp("The candidate build: an executable or a git revision.", valueName: "candidate"))
    var candidate: String

    @Option(
        name: .customLong("scenario"),
        help: ArgumentHelp("A scenario file or name; repeatable (default: smoke).", valueName: "scenario")
    )
    var scenarios: [String] = []

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("Runs of each build per scenario.", valueName: "n"))
    var runs: Int = defaultRuns

    @Option(help: ArgumentHelp("Where the runs and the comparison are written.", valueName: "dir"))
    var output: String = "Reports/ab"

    @Option(
        name: .customLong("build-cache"),
        help: ArgumentHelp(
            "Where revisions are checked out and built, once each (default: .snapbench/ab-builds in this checkout; "
                + "a relative path is taken from the working directory).",
            valueName: "dir"
        )
    )
    var buildCache: String?

    @Option(
        name: .customLong("order-seed"),
        help: ArgumentHelp("Seed of the coin that orders each round (default: random, printed).", valueName: "n")
    )
    var orderSeed: UInt64?

    @Option(
        name: .customLong("base-run-arg"),
        parsing: .unconditionalSingleValue,
        help: ArgumentHelp(
            "An argument added to the base's `run`; repeatable. With the same build on both sides this compares a "
                + "setting, e.g. --candidate-run-arg=--hedging --candidate-run-arg=on.",
            valueName: "arg"
        )
    )
    var baseRunArguments: [String] = []

    @Option(
        name: .customLong("candidate-run-arg"),
        parsing: .unconditionalSingleValue,
        help: ArgumentHelp("An argument added to the candidate's `run`; repeatable.", valueName: "arg")
    )
    var candidateRunArguments: [String] = []

    @Option(help: ArgumentHelp("Path of the firecracker binary both builds use.", valueName: "path"))
    var firecracker: String?

    @Option(help: ArgumentHelp("Path of the built-in guest both builds use.", valueName: "path"))
    var guest: String?

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() async throws {
        let scenarioFiles: [String]
        let storeLocation: StoreLocation
        let output: String
        do {
            storeLocation = try store.location()
            output = try PrivateDirectory.prepare(self.output, role: "output directory", flag: "--output")
            scenarioFiles = try (scenarios.isEmpty ? ["smoke"] : scenarios).map {
                URL(fileURLWithPath: try RunCommand.resolve($0)).standardizedFileURL.path
            }
        } catch {
            FileHandle.standardError.write(Data("snapbench: invalid input: \(error)\n".utf8))
            throw ExitCode(.invalidInput)
        }
        let repository = ProjectPaths.repository()
        let buildCache = buildCache.map(ProjectPaths.absolute) ?? (repository ?? ".") + "/.snapbench/ab-builds"
        let say: @Sendable (String) -> Void = { print($0) }
        let work: @Sendable () async throws -> (base: [LoadedReport], candidate: [LoadedReport]) = {
            var baseBuild = try await BuildUnderTest.resolve(
                base,
                repository: repository ?? ".",
                cache: buildCache,
                progress: say
            )
            var candidateBuild = try await BuildUnderTest.resolve(
                candidate,
                repository: repository ?? ".",
                cache: buildCache,
                progress: say
            )
            let installation = try? await FirecrackerInstallation.locate(explicitPath: firecracker)
            let guestPath = try? ProjectPaths.locateGuest(explicitPath: guest)
            baseBuild.runArguments = baseRunArguments
            candidateBuild.runArguments = candidateRunArguments
            let seed = orderSeed ?? UInt64.random(in: .min ... .max)
            print(
                "ab: base \(baseBuild.label), candidate \(candidateBuild.label); \(runs) runs each, interleaved "
                    + "in random order (--order-seed \(seed))"
            )
            return try await InterleavedRuns(
                base: baseBuild,
                candidate: candidateBuild,
                scenarios: scenarioFiles,
                runs: runs,
                output: output,
                firecracker: installation?.firecrackerPath,
                guest: guestPath,
                orderSeed: seed
            )
            .run(progress: say)
        }
        let reports: (base: [LoadedReport], candidate: [LoadedReport])
        do {
            reports = try await Interruption.cancellingOnSignals(work)
        } catch let error as ABError {
            FileHandle.standardError.write(Data("snapbench: \(error)\n".utf8))
            throw ExitCode(.incomplete)
        }
        // Every run of both builds goes into the history too, here only: its runs record nothing themselves.
        let recorder = RunRecorderStore(location: storeLocation)
        for loaded in reports.base + reports.candidate { await recorder.record(loaded.report) }
        await recorder.close()
        let comparison = try ReportComparator().compare(base: reports.base, candidate: reports.candidate)
        print(comparison.renderText())
        try comparison.writeJSON(to: output + "/compare.json")
        try comparison.renderMarkdown().write(toFile: output + "/compare.md", atomically: true, encoding: .utf8)
        try comparison.writeHTML(to: output + "/compare.html")
        print("comparison: \(output)/compare.json, compare.md, compare.html")
        let status = await recorder.adjust(comparison.exitStatus)
        if status != .success { throw ExitCode(status) }
    }
}
