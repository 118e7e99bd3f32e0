import Foundation
import Randomness

/// Compares the reports of two sides (each one or more runs, e.g. interleaved runs of two builds): for every
/// scenario both ran, every measured phase and `overall`, every latency metric, and each run's mean and p95 of
/// it, a permutation test over the runs' values, with the false-discovery rate controlled over the rows that
/// decide (the scenario's gated latency metrics and the headline spawn and restore, `overall`).
///
/// ```swift
/// let comparison = try ReportComparator().compare(
///     base: ReportLoader.load(["runs/base"], projectRoots: ["."]),
///     candidate: ReportLoader.load(["runs/candidate"], projectRoots: ["."]))
/// print(comparison.renderText())
/// ```
package struct ReportComparator: Sendable {
    /// The statistics' settings.
    package var settings: ComparisonSettings

    package init(settings: ComparisonSettings = ComparisonSettings()) {
        self.settings = settings
    }

    /// The statistics each run contributes per metric.
    static let statistics: [Statistic] = [.mean, .p95]

    /// The comparison of `base` with `candidate`.
    ///
    /// - Throws: ``ComparisonError`` when a side is empty or the sides share no scenario.
    package func compare(base: [LoadedReport], candidate: [LoadedReport]) throws -> ComparisonReport {
        guard !base.isEmpty else { throw ComparisonError(.noReports, "no base report") }
        guard !candidate.isEmpty else { throw ComparisonError(.noReports, "no candidate report") }
        let baseScenarios = Self.scenarios(base)
        let candidateScenarios = Self.scenarios(candidate)
        let common = baseScenarios.filter(candidateScenarios.contains)
        guard !common.isEmpty else {
            throw ComparisonError(
                .noCommonScenario,
                "no scenario on both sides: base has \(baseScenarios.joined(separator: ", ")), candidate has "
                    + candidateScenarios.joined(separator: ", ")
            )
        }
        var notes = Self.inputNotes(base: base, candidate: candidate)
        for scenario in baseScenarios where !common.contains(scenario) {
            notes.append("\(scenario): only in base; not compared")
        }
        for scenario in candidateScenarios where !common.contains(scenario) {
            notes.append("\(scenario): only in candidate; not compared")
        }
        var jobs: [Job] = []
        var gateChanges: [GateChange] = []
        for scenario in common {
            let baseRuns = base.map(\.report).filter { $0.scenario == scenario }
            let candidateRuns = candidate.map(\.report).filter { $0.scenario == scenario }
            jobs += Self.jobs(scenario: scenario, base: baseRuns, candidate: candidateRuns, notes: &notes)
            gateChanges += GateChange.changes(scenario: scenario, base: baseRuns, candidate: candidateRuns)
        }
        let minimum = settings.minimumRuns
        if jobs.contains(where: { $0.decides && min($0.base.count, $0.candidate.count) < minimum }) {
            notes.append(
                "a decided row has fewer than \(minimum) runs a side: with fewer, the permutation test cannot reach "
                    + "p ≤ \(formatNumber(settings.falseDiscoveryLevel)) at all, so it is not decided (run "
                    + "`snapbench ab` for interleaved runs of both builds)"
            )
        }
        return ComparisonReport(
            settings: settings,
            base: base.map(Self.comparedRun),
            candidate: candidate.map(Self.comparedRun),
            rows: rows(for: jobs),
            gateChanges: gateChanges,
            notes: notes
        )
    }

    // MARK: - Rows

    /// One row to compute: its names and each run's value per side.
    struct Job: Sendable {
        var scenario: String
        var phase: String
        var metric: String
        var statistic: String
        var base: [Double]
        var candidate: [Double]
        var baseSamples: Int
        var candidateSamples: Int
        var decides: Bool
    }

    /// Tests every row, then corrects each family (decided, reported) for its number of rows.
    private func rows(for jobs: [Job]) -> [ComparisonRow] {
        let level = settings.falseDiscoveryLevel
        var tested: [(job: Job, p: Double, change: ConfidenceInterval)] = jobs.map { job in
            var random = SplitMix64(
                seed: settings.seed,
                label: "\(job.scenario)/\(job.phase)/\(job.metric)/\(job.statistic)"
            )
            let p = RunStatistics.permutationTest(base: job.base, candidate: job.candidate, using: &random)
            let interval = RunStatistics.bootstrapDifference(
                base: job.base,
                candidate: job.candidate,
                resamples: settings.bootstrapResamples,
                level: settings.confidenceLevel,
                using: &random
            )
            return (
                job, p,
                ConfidenceInterval(
                    estimate: interval.estimate,
                    lower: interval.lower,
                    upper: interval.upper,
                    level: settings.confidenceLevel
                )
            )
        }
        var adjusted = [Double](repeating: 1, count: tested.count)
        for decides in [true, false] {
            let family = tested.indices.filter { tested[$0].job.decides == decides }
            let corrected = RunStatistics.benjaminiHochberg(family.map { tested[$0].p })
            for (index, q) in zip(family, corrected) { adjusted[index] = q }
        }
        defer { tested.removeAll() }
        return tested.indices.map { index in
            let (job, p, change) = tested[index]
            let baseSide = SideSummary(runValues: job.base, samples: job.baseSamples)
            let candidateSide = SideSummary(runValues: job.candidate, samples: job.candidateSamples)
            let relative = baseSide.mean == 0 ? nil : change.estimate / baseSide.mean
            let verdict: ComparisonVerdict
            if RunStatistics.smallestPValue(base: job.base.count, candidate: job.candidate.count) > level {
                verdict = .notEnoughRuns
            } else if adjusted[index] <= level, abs(change.estimate) >= settings.minimumChangeMilliseconds,
                abs(change.estimate) > settings.noiseThreshold * abs(baseSide.mean)
            {
                verdict = change.estimate > 0 ? .regressed : .improved
            } else {
                verdict = .withinNoise
            }
            return ComparisonRow(
                scenario: job.scenario,
                phase: job.phase,
                metric: job.metric,
                statistic: job.statistic,
                base: baseSide,
                candidate: candidateSide,
                change: change,
                relativeChange: relative,
                pValue: p,
                adjustedPValue: adjusted[index],
                decides: job.decides,
                verdict: verdict
            )
        }
    }

    /// The phases compared: `overall`, and each measured phase when there are several (a single measured
    /// phase is `overall`). Warm-up phases are left out, as they are of the gates.
    private static func jobs(
        scenario: String,
        base: [RunReport],
        candidate: [RunReport],
        notes: inout [String]
    ) -> [Job] {
        let measured = ordered((base + candidate).flatMap { $0.phases.filter { !$0.warmup }.map(\.name) })
        let phases = ["overall"] + (measured.count > 1 ? measured : [])
        let gated = Set(
            (base + candidate).flatMap(\.gates).compactMap { $0.gate?.metric }.filter { $0.kind == .latency }
        )
        let decided = Set(Metric.allCases.filter { $0.isHeadline || gated.contains($0) }.compactMap(\.latencyKey))
        var jobs: [Job] = []
        for phase in phases {
            func reports(_ runs: [RunReport]) -> [PhaseReport] {
                phase == "overall" ? runs.map(\.overall) : runs.flatMap { $0.phases.filter { $0.name == phase } }
            }
            let basePhases = reports(base)
            let candidatePhases = reports(candidate)
            guard !basePhases.isEmpty, !candidatePhases.isEmpty else {
                notes.append(
                    "\(scenario)/\(phase): phase only in \(basePhases.isEmpty ? "candidate" : "base"); not compared"
                )
                continue
            }
            let metrics = Set(basePhases.flatMap(\.latencies.keys) + candidatePhases.flatMap(\.latencies.keys))
            for metric in LatencyMetricOrder.sorted(metrics) {
                let name = "\(scenario)/\(phase)/\(metric)"
                let baseSpectra = basePhases.compactMap { $0.latencies[metric] }
                let candidateSpectra = candidatePhases.compactMap { $0.latencies[metric] }
                if baseSpectra.isEmpty || candidateSpectra.isEmpty {
                    notes.append(
                        "\(name): measured only in \(baseSpectra.isEmpty ? "candidate" : "base"); not compared"
                    )
                    continue
                }
                for statistic in statistics {
                    jobs.append(
                        Job(
                            scenario: scenario,
                            phase: phase,
                            metric: metric,
                            statistic: statistic.rawValue,
                            base: baseSpectra.compactMap { $0.value(of: statistic) },
                            candidate: candidateSpectra.compactMap { $0.value(of: statistic) },
                            baseSamples: baseSpectra.map(\.count).reduce(0, +),
                            candidateSamples: candidateSpectra.map(\.count).reduce(0, +),
                            decides: phase == "overall" && decided.contains(metric)
                        )
                    )
                }
            }
        }
        return jobs
    }

    // MARK: - Inputs

    private static func ordered(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }

    private static func scenarios(_ reports: [LoadedReport]) -> [String] {
        ordered(reports.map(\.report.scenario))
    }

    /// Differences in how the sides were measured that can explain a change on their own.
    private static func inputNotes(base: [LoadedReport], candidate: [LoadedReport]) -> [String] {
        var notes: [String] = []
        func values(_ reports: [LoadedReport], _ key: (EnvironmentInfo) -> String) -> [String] {
            ordered(reports.map { key($0.report.environment) })
        }
        for (what, key) in [("backend", \EnvironmentInfo.backend), ("host", \.hostname), ("CPU", \.cpuModel)] {
            let baseValues = values(base, { $0[keyPath: key] })
            let candidateValues = values(candidate, { $0[keyPath: key] })
            if baseValues != candidateValues {
                notes.append(
                    "\(what) differs: base \(baseValues.joined(separator: ", ")), candidate "
                        + candidateValues.joined(separator: ", ")
                )
            }
        }
        for loaded in base + candidate where loaded.report.verdict == .incomplete {
            notes.append("\(loaded.source): the run was incomplete; its samples are compared as recorded")
        }
        return notes
    }

    private static func comparedRun(_ loaded: LoadedReport) -> ComparedRun {
        ComparedRun(
            source: loaded.source,
            scenario: loaded.report.scenario,
            startedAt: loaded.report.startedAt,
            backend: loaded.report.environment.backend,
            hostname: loaded.report.environment.hostname,
            commit: loaded.report.environment.commit,
            verdict: loaded.report.verdict
        )
    }
}
