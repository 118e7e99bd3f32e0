import Dispatch
import Foundation
import Synchronization

/// Compares the reports of two sides (each one or more runs, e.g. alternating runs of two builds): for every
/// scenario both ran, every measured phase and `overall`, and every latency metric, it pools each side's
/// recorded samples and lets ``SampleComparer`` judge the difference.
///
/// ```swift
/// let comparison = try ReportComparator().compare(
///     base: ReportLoader.load(["default-suite"], projectRoots: ["."]),
///     candidate: ReportLoader.load(["Reports"]))
/// print(comparison.renderText())
/// ```
public struct ReportComparator: Sendable {
    /// The statistics' settings.
    public var settings: ComparisonSettings

    public init(settings: ComparisonSettings = ComparisonSettings()) {
        self.settings = settings
    }

    /// The comparison of `base` with `candidate`.
    ///
    /// - Throws: ``ComparisonError`` when a side is empty or the sides share no scenario.
    public func compare(base: [LoadedReport], candidate: [LoadedReport]) throws -> ComparisonReport {
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
        let subsampled = jobs.contains {
            $0.base.count > settings.maximumSamplesPerSide || $0.candidate.count > settings.maximumSamplesPerSide
        }
        // Per row, not per side: a directory of one run per scenario gives a side several reports, not several runs.
        if jobs.contains(where: { $0.runMeans.base.count > 1 || $0.runMeans.candidate.count > 1 }) {
            notes.append(
                "a side has several runs: each row's noise threshold is at least the spread of that side's run means "
                    + "(largest − smallest, relative to the base mean), since runs of one build differ by that much"
            )
        }
        if subsampled {
            notes.append(
                "sides with more than \(settings.maximumSamplesPerSide) samples were tested on a seeded random "
                    + "subsample of \(settings.maximumSamplesPerSide) (column n tested); means and p95 use every sample"
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

    /// One row to compute: its names and the pooled samples of each side.
    struct Job: Sendable {
        var scenario: String
        var phase: String
        var metric: String
        var base: [Double]
        var candidate: [Double]
        /// Each run's mean, per side.
        var runMeans: (base: [Double], candidate: [Double]) = ([], [])
    }

    /// Rows are independent and seeded by their names, so they run in parallel and still come out the same.
    private func rows(for jobs: [Job]) -> [ComparisonRow] {
        let comparer = SampleComparer(settings: settings)
        let results = Mutex<[ComparisonRow?]>(Array(repeating: nil, count: jobs.count))
        DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
            let job = jobs[index]
            let row = comparer.compare(
                scenario: job.scenario,
                phase: job.phase,
                metric: job.metric,
                base: job.base,
                candidate: job.candidate,
                runMeans: job.runMeans
            )
            results.withLock { $0[index] = row }
        }
        return results.withLock { $0.compactMap { $0 } }
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
                guard let baseSamples = pooled(baseSpectra), let candidateSamples = pooled(candidateSpectra) else {
                    notes.append(
                        "\(name): a report has no recorded distribution (written before they were); not compared"
                    )
                    continue
                }
                guard !baseSamples.isEmpty, !candidateSamples.isEmpty else {
                    notes.append("\(name): no recorded values; not compared")
                    continue
                }
                jobs.append(
                    Job(
                        scenario: scenario,
                        phase: phase,
                        metric: metric,
                        base: baseSamples,
                        candidate: candidateSamples,
                        runMeans: (baseSpectra.map(\.mean), candidateSpectra.map(\.mean))
                    )
                )
            }
        }
        return jobs
    }

    /// Every sample of every spectrum, or `nil` when one lacks its distribution (pooling only some of a
    /// side's runs would compare a different set than the reader assumes).
    private static func pooled(_ spectra: [Spectrum]) -> [Double]? {
        var samples: [Double] = []
        for spectrum in spectra {
            guard let distribution = spectrum.distribution else { return nil }
            samples += distribution.expanded()
        }
        return samples
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
