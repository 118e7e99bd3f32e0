package import Foundation

/// What `snapbench compare` found: for every scenario both sides ran, every measured phase and `overall`,
/// every latency metric and two statistics of it (each run's mean and each run's p95), whether the candidate's
/// runs differ from the base's, judged with the run as the unit.
///
/// Only the decided rows — `overall` rows of the metrics the scenario's gates name and of the headline spawn
/// and restore — set the outcome; the rest are reported. The decided rows share one false-discovery
/// correction (Benjamini–Hochberg), the reported ones another.
///
/// ```swift
/// let report = try ReportComparator().compare(base: base, candidate: candidate)
/// switch report.outcome {
/// case .regressed: print(report.renderText())
/// case .inconclusive: print("run more rounds")
/// case .noRegression: break
/// }
/// ```
package struct ComparisonReport: Codable, Sendable, Equatable {
    /// The format this build writes; bumped on incompatible changes (2: run-level rows).
    package static let currentSchemaVersion = 2

    /// The comparison format.
    package var schemaVersion: Int = Self.currentSchemaVersion
    /// The settings the statistics used.
    package var settings: ComparisonSettings
    /// The base side's reports.
    package var base: [ComparedRun]
    /// The candidate side's reports.
    package var candidate: [ComparedRun]
    /// One row per scenario, phase, metric and statistic, in scenario, phase, metric, statistic order.
    package var rows: [ComparisonRow]
    /// Gates whose outcome differs between the sides.
    package var gateChanges: [GateChange]
    /// What was not compared and why, and what a reader should know about the inputs.
    package var notes: [String]

    package init(
        settings: ComparisonSettings,
        base: [ComparedRun],
        candidate: [ComparedRun],
        rows: [ComparisonRow],
        gateChanges: [GateChange],
        notes: [String]
    ) {
        self.settings = settings
        self.base = base
        self.candidate = candidate
        self.rows = rows
        self.gateChanges = gateChanges
        self.notes = notes
    }

    /// What the comparison decided, from its decided rows only.
    package enum Outcome: String, Sendable, Equatable {
        /// A decided row regressed.
        case regressed
        /// No decided row regressed, but one had too few runs a side to be decided.
        case inconclusive
        /// Every decided row was decided, and none regressed.
        case noRegression = "no regression"
    }

    /// What the comparison decided.
    package var outcome: Outcome {
        let decided = rows.filter(\.decides)
        if decided.contains(where: { $0.verdict == .regressed }) { return .regressed }
        if decided.contains(where: { $0.verdict == .notEnoughRuns }) { return .inconclusive }
        return .noRegression
    }

    /// Whether a decided row regressed (the reason `snapbench compare` exits 1).
    package var hasRegression: Bool { outcome == .regressed }

    /// The exit status the comparison calls for.
    package var exitStatus: ExitStatus {
        switch outcome {
        case .regressed: .failure
        case .inconclusive: .inconclusive
        case .noRegression: .success
        }
    }

    /// How many rows have `verdict`.
    package func count(of verdict: ComparisonVerdict, decidedOnly: Bool = false) -> Int {
        rows.filter { $0.verdict == verdict && (!decidedOnly || $0.decides) }.count
    }
}

/// The knobs of the comparison statistics.
///
/// ```swift
/// var settings = ComparisonSettings()
/// settings.noiseThreshold = 0.10  // a change must exceed 10 % of the base
/// ```
package struct ComparisonSettings: Codable, Sendable, Equatable {
    /// The false-discovery level a decided row's adjusted p-value must be at or below (0.05).
    package var falseDiscoveryLevel: Double
    /// A discovery must also change its statistic by more than this fraction of the base (0.05 = 5 %).
    package var noiseThreshold: Double
    /// And by at least this many milliseconds: sub-0.1 ms metrics move by tens of percent with scheduler
    /// jitter alone.
    package var minimumChangeMilliseconds: Double
    /// Bootstrap resamples (of runs) for each change's confidence interval.
    package var bootstrapResamples: Int
    /// The intervals' level (0.95 = 95 %).
    package var confidenceLevel: Double
    /// The seed of every random choice: the same inputs and seed give the same result.
    package var seed: UInt64

    package init(
        falseDiscoveryLevel: Double = 0.05,
        noiseThreshold: Double = 0.05,
        minimumChangeMilliseconds: Double = 0.05,
        bootstrapResamples: Int = 2_000,
        confidenceLevel: Double = 0.95,
        seed: UInt64 = 1
    ) {
        self.falseDiscoveryLevel = falseDiscoveryLevel
        self.noiseThreshold = noiseThreshold
        self.minimumChangeMilliseconds = minimumChangeMilliseconds
        self.bootstrapResamples = bootstrapResamples
        self.confidenceLevel = confidenceLevel
        self.seed = seed
    }

    /// The fewest runs a side for which a row can be decided at ``falseDiscoveryLevel`` (equal sides).
    package var minimumRuns: Int {
        var runs = 2
        while RunStatistics.smallestPValue(base: runs, candidate: runs) > falseDiscoveryLevel { runs += 1 }
        return runs
    }
}

/// One report that took part, as a reader of the comparison needs to identify it.
package struct ComparedRun: Codable, Sendable, Equatable {
    /// Where it was read from.
    package var source: String
    package var scenario: String
    package var startedAt: Date
    /// `firecracker` or `simulated`.
    package var backend: String
    package var hostname: String
    /// The snapbench commit that made it, when known.
    package var commit: String?
    /// The run's own verdict.
    package var verdict: Verdict

    package init(
        source: String,
        scenario: String,
        startedAt: Date,
        backend: String,
        hostname: String,
        commit: String?,
        verdict: Verdict
    ) {
        self.source = source
        self.scenario = scenario
        self.startedAt = startedAt
        self.backend = backend
        self.hostname = hostname
        self.commit = commit
        self.verdict = verdict
    }
}

/// The comparison of one statistic of one latency metric of one phase of one scenario, across runs.
package struct ComparisonRow: Codable, Sendable, Equatable {
    package var scenario: String
    /// A phase name, or `overall` for all measured phases together.
    package var phase: String
    /// A latency metric as the report names it (`spawn`, `restore`, …), in milliseconds.
    package var metric: String
    /// `mean` or `p95`: the statistic of each run that is compared.
    package var statistic: String
    package var base: SideSummary
    package var candidate: SideSummary
    /// Candidate − base of the mean of the run values, in ms, with its bootstrap interval (runs resampled).
    package var change: ConfidenceInterval
    /// ``change`` relative to the base; absent when the base is 0.
    package var relativeChange: Double?
    /// Two-sided permutation test of the run values (exact for small sides).
    package var pValue: Double
    /// The p-value adjusted for the rows of its family (Benjamini–Hochberg).
    package var adjustedPValue: Double
    /// Whether the row decides the comparison's outcome (a gated or headline metric, `overall`).
    package var decides: Bool
    package var verdict: ComparisonVerdict

    package init(
        scenario: String,
        phase: String,
        metric: String,
        statistic: String,
        base: SideSummary,
        candidate: SideSummary,
        change: ConfidenceInterval,
        relativeChange: Double?,
        pValue: Double,
        adjustedPValue: Double,
        decides: Bool,
        verdict: ComparisonVerdict
    ) {
        self.scenario = scenario
        self.phase = phase
        self.metric = metric
        self.statistic = statistic
        self.base = base
        self.candidate = candidate
        self.change = change
        self.relativeChange = relativeChange
        self.pValue = pValue
        self.adjustedPValue = adjustedPValue
        self.decides = decides
        self.verdict = verdict
    }
}

/// One side of a row: its runs' values of the statistic.
package struct SideSummary: Codable, Sendable, Equatable {
    /// Each run's value (its mean or p95), in ms, in run order.
    package var runValues: [Double]
    /// Samples over all its runs.
    package var samples: Int
    /// The mean of the run values.
    package var mean: Double

    package init(runValues: [Double], samples: Int) {
        self.runValues = runValues
        self.samples = samples
        self.mean = runValues.isEmpty ? 0 : runValues.reduce(0, +) / Double(runValues.count)
    }

    /// How many runs.
    package var runs: Int { runValues.count }
}

/// An estimate with a confidence interval around it.
package struct ConfidenceInterval: Codable, Sendable, Equatable {
    package var estimate: Double
    package var lower: Double
    package var upper: Double
    /// The interval's level, e.g. 0.95.
    package var level: Double

    package init(estimate: Double, lower: Double, upper: Double, level: Double) {
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
        self.level = level
    }

    /// Whether `value` lies inside the interval (bounds included).
    package func contains(_ value: Double) -> Bool { lower <= value && value <= upper }
}

/// A row's verdict. Larger latencies are worse.
package enum ComparisonVerdict: String, Codable, Sendable, Equatable, CaseIterable {
    /// It grew: a discovery after the false-discovery correction, and by more than both thresholds.
    case regressed
    /// It shrank likewise.
    case improved
    /// No discovery, or a change smaller than the thresholds.
    case withinNoise = "within noise"
    /// Too few runs a side for the test to reach the false-discovery level at all.
    case notEnoughRuns = "not enough runs to decide"
}

/// A gate of a scenario whose outcome differs between the sides.
package struct GateChange: Codable, Sendable, Equatable {
    /// Which way it changed.
    package enum Direction: String, Codable, Sendable, Equatable {
        /// Passed in every base run, failed in at least one candidate run.
        case nowFailing = "now failing"
        /// Failed in at least one base run, passed in every candidate run.
        case nowPassing = "now passing"
    }

    package var scenario: String
    /// The gate as the scenario states it, e.g. `spawn_ms p95 < 50`.
    package var expression: String
    package var direction: Direction
    /// Base runs in which it passed, of `baseRuns`.
    package var basePassed: Int
    package var baseRuns: Int
    /// Candidate runs in which it passed, of `candidateRuns`.
    package var candidatePassed: Int
    package var candidateRuns: Int

    package init(
        scenario: String,
        expression: String,
        direction: Direction,
        basePassed: Int,
        baseRuns: Int,
        candidatePassed: Int,
        candidateRuns: Int
    ) {
        self.scenario = scenario
        self.expression = expression
        self.direction = direction
        self.basePassed = basePassed
        self.baseRuns = baseRuns
        self.candidatePassed = candidatePassed
        self.candidateRuns = candidateRuns
    }
}
