import ArgumentParser
import Foundation
import HostSystem
import Reporting

struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Say whether the difference between two sets of run reports is a real change or noise.",
        discussion: """
            BASE and CANDIDATE are run reports (JSON from `snapbench run`), directories (every *.json in \
            them), or the name of a committed baseline (Reports/baselines/NAME.json or \
            Reports/baselines/NAME/). Give several per side, e.g. alternating runs of two builds, and their \
            samples are pooled.

            The run is the unit. For every scenario both sides ran, for `overall` and each measured phase, \
            for every latency metric, each run gives two values (its mean and its p95); compare tests whether \
            the candidate's runs differ from the base's with a two-sided permutation test over those values \
            (every split counted), as Firecracker's CI compares two revisions run in the same job. The decided \
            rows — `overall`, for the latency metrics the scenario's gates name and the headline spawn and \
            restore — share one Benjamini–Hochberg false-discovery correction (--fdr, 5 %); a decided row \
            REGRESSED (or IMPROVED) when it is a discovery and it changed by more than the noise threshold (5 % \
            of the base) and --min-change (0.05 ms). Other rows are reported, corrected apart, and never set the \
            exit code. Each change has a 95 % bootstrap interval over runs.

            With too few runs a side (fewer than 4 at 5 %: 3 a side cannot give p below 0.1), a row says "not \
            enough runs to decide" and the exit code is 4. Runs of one build differ by more than 5 % on shared \
            hosts, so a stored baseline from another day is for absolute targets and trends; for a regression \
            verdict, run both builds interleaved on one host: `snapbench ab BASE CANDIDATE`.

            The result is printed as a table (decided rows, and reported rows that changed; every row with \
            --all) and can also be written as Markdown (--markdown), JSON (--json) and a self-contained HTML \
            page (--html).

            Gates that passed in every base run and fail in a candidate run are listed; they do not change \
            the exit code (`snapbench run` already failed on them).

            Examples:
              snapbench compare ab-out/base --candidate ab-out/candidate   # what `snapbench ab` ran
              snapbench compare a1.json a2.json a3.json a4.json a5.json --candidate b1.json … b5.json
              snapbench compare old new --all --markdown compare.md --json compare.json --html compare.html

            Exit codes: 0 no decided row regressed; 1 a decided row regressed; 3 invalid input (a report that \
            is missing or unreadable, named in the message; no scenario on both sides); 4 inconclusive (a \
            decided row had too few runs a side).
            """
    )

    @Argument(help: ArgumentHelp("Base reports, directories or baseline names.", valueName: "base"))
    var reports: [String] = []

    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp("Candidate reports, directories or baseline names.", valueName: "candidate")
    )
    var candidate: [String] = []

    @Flag(help: "List every row, not only those that changed.")
    var all = false

    @Option(help: ArgumentHelp("Write the comparison as a Markdown table to this file.", valueName: "file"))
    var markdown: String?

    @Option(help: ArgumentHelp("Write the comparison as JSON to this file.", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Write the comparison as a self-contained HTML page to this file.", valueName: "file"))
    var html: String?

    @Option(
        name: .customLong("fdr"),
        help: ArgumentHelp("False-discovery level over the decided rows, in percent.", valueName: "percent")
    )
    var falseDiscoveryPercent: Double = 5

    @Option(
        name: .customLong("noise-threshold"),
        help: ArgumentHelp("Smallest change that counts, in percent of the base.", valueName: "percent")
    )
    var noiseThreshold: Double = 5

    @Option(
        name: .customLong("min-change"),
        help: ArgumentHelp("Smallest change that counts, in milliseconds (0: none).", valueName: "ms")
    )
    var minimumChange: Double = 0.05

    @Option(help: ArgumentHelp("Bootstrap resamples for the intervals.", valueName: "n"))
    var resamples: Int = 2_000

    @Option(help: ArgumentHelp("Seed of every random choice.", valueName: "n"))
    var seed: UInt64 = 1

    func validate() throws {
        guard noiseThreshold >= 0, minimumChange >= 0 else {
            throw ValidationError("--noise-threshold and --min-change must be 0 or more")
        }
        guard falseDiscoveryPercent > 0, falseDiscoveryPercent < 100 else {
            throw ValidationError("--fdr must be in (0, 100)")
        }
        guard resamples > 0 else { throw ValidationError("--resamples must be positive") }
    }

    func run() async throws {
        let comparison: ComparisonReport
        do {
            comparison = try compare()
            // Each file a flag names: its directory ours, the file no link.
            for (path, flag) in [(markdown, "--markdown"), (json, "--json"), (html, "--html")] {
                if let path { try PrivateDirectory.prepareFile(path, role: "comparison file", flag: flag) }
            }
        } catch {
            FileHandle.standardError.write(Data("snapbench: invalid input: \(error)\n".utf8))
            throw ExitCode(.invalidInput)
        }
        print(comparison.renderText(all: all))
        if let markdown {
            try comparison.renderMarkdown().write(toFile: markdown, atomically: true, encoding: .utf8)
            print("markdown: \(markdown)")
        }
        if let json {
            try comparison.writeJSON(to: json)
            print("json: \(json)")
        }
        if let html {
            try comparison.writeHTML(to: html)
            print("html: \(html)")
        }
        if comparison.exitStatus != .success { throw ExitCode(comparison.exitStatus) }
    }

    /// Everything that can be wrong with the input is found here, before anything is written.
    private func compare() throws -> ComparisonReport {
        let sides = try ComparisonSides(positional: reports, candidate: candidate)
        // Baselines are searched where scenarios are: an installed snapbench finds those installed beside it.
        let roots = ProjectPaths.dataRoots()
        var settings = ComparisonSettings()
        settings.falseDiscoveryLevel = falseDiscoveryPercent / 100
        settings.noiseThreshold = noiseThreshold / 100
        settings.minimumChangeMilliseconds = minimumChange
        settings.bootstrapResamples = resamples
        settings.seed = seed
        return try ReportComparator(settings: settings).compare(
            base: ReportLoader.load(sides.base, projectRoots: roots),
            candidate: ReportLoader.load(sides.candidate, projectRoots: roots)
        )
    }
}
