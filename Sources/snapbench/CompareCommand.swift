import ArgumentParser
import Firecracker
import Foundation
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

            For every scenario both sides ran, for `overall` and each measured phase, and for every latency \
            metric (spawn, restore, …), compare tests the difference of the means with a two-sided \
            permutation test (10 000 resamples; significant when p < 0.01, as Firecracker's A/B test) and \
            estimates the change in p95 with a 99 % bootstrap confidence interval. A metric has REGRESSED \
            (or IMPROVED) when its mean changed significantly, by more than the noise threshold (5 % of the \
            base mean) and by at least --min-change (0.05 ms: sub-0.1 ms metrics such as dispatch lag move \
            by tens of percent with scheduler jitter alone); otherwise it is WITHIN NOISE. Sides with more \
            than --max-samples values are tested on a seeded random subsample; every result is \
            deterministic for a given --seed.

            The result is printed as a table (changed rows; every row with --all) and can also be written as \
            Markdown (--markdown), JSON (--json) and a self-contained HTML page (--html) with every row coloured \
            by verdict, a chart of each row's relative change of the mean over the shaded noise threshold, and \
            a chart of each p95 change with its bootstrap interval.

            Gates that passed in every base run and fail in a candidate run are listed; they do not change \
            the exit code (`snapbench run` already failed on them).

            Examples:
              snapbench compare Reports/baselines/default-suite.json Reports/smoke.json
              snapbench compare default-suite --candidate Reports  # baseline vs this build
              snapbench compare a1.json a2.json a3.json --candidate b1.json b2.json b3.json
              snapbench compare old new --all --markdown compare.md --json compare.json
              snapbench compare old new --html compare.html

            Exit codes: 0 no metric regressed; 1 a metric regressed; 3 invalid input (a report that is \
            missing or unreadable, named in the message; no scenario on both sides).
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
        name: .customLong("noise-threshold"),
        help: ArgumentHelp(
            "Smallest change of the mean that counts, in percent of the base mean.",
            valueName: "percent"
        )
    )
    var noiseThreshold: Double = 5

    @Option(
        name: .customLong("min-change"),
        help: ArgumentHelp("Smallest change of the mean that counts, in milliseconds (0: none).", valueName: "ms")
    )
    var minimumChange: Double = 0.05

    @Option(help: ArgumentHelp("p-value below which a change is significant.", valueName: "p"))
    var significance: Double = 0.01

    @Option(help: ArgumentHelp("Permutations per test.", valueName: "n"))
    var resamples: Int = 10_000

    @Option(
        name: .customLong("max-samples"),
        help: ArgumentHelp("Samples per side the tests use at most (a seeded random subsample).", valueName: "n")
    )
    var maximumSamples: Int = 2_000

    @Option(help: ArgumentHelp("Seed of every random choice.", valueName: "n"))
    var seed: UInt64 = 1

    func run() async throws {
        let comparison: ComparisonReport
        do {
            comparison = try compare()
        } catch {
            FileHandle.standardError.write(Data("snapbench: invalid input: \(error)\n".utf8))
            throw ExitCode(3)
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
        if comparison.hasRegression { throw ExitCode(1) }
    }

    /// Everything that can be wrong with the input is found here, before anything is written.
    private func compare() throws -> ComparisonReport {
        guard noiseThreshold >= 0, minimumChange >= 0 else {
            throw ValidationError("--noise-threshold and --min-change must be 0 or more")
        }
        guard significance > 0, significance < 1 else { throw ValidationError("--significance must be in (0, 1)") }
        guard resamples > 0, maximumSamples > 1 else {
            throw ValidationError("--resamples must be positive and --max-samples at least 2")
        }
        let sides = try ComparisonSides(positional: reports, candidate: candidate)
        let roots = ProjectPaths.candidateRoots()
        var settings = ComparisonSettings()
        settings.noiseThreshold = noiseThreshold / 100
        settings.minimumChangeMilliseconds = minimumChange
        settings.significance = significance
        settings.resamples = resamples
        settings.maximumSamplesPerSide = maximumSamples
        settings.seed = seed
        return try ReportComparator(settings: settings).compare(
            base: ReportLoader.load(sides.base, projectRoots: roots),
            candidate: ReportLoader.load(sides.candidate, projectRoots: roots)
        )
    }
}
