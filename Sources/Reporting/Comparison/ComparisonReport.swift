public import Foundation

/// What `snapbench compare` found: every compared metric of every phase of every scenario both sides ran,
/// with its statistics and verdict, plus the gates that changed outcome and anything left out.
///
/// ```swift
/// let report = try ReportComparator().compare(base: base, candidate: candidate)
/// if report.hasRegression { print(report.renderText()) }
/// ```
public struct ComparisonReport: Codable, Sendable, Equatable {
    /// The format this build writes; bumped on incompatible changes.
    public static let currentSchemaVersion = 1

    /// The comparison format.
    public var schemaVersion: Int = Self.currentSchemaVersion
    /// The settings the statistics used.
    public var settings: ComparisonSettings
    /// The base side's reports.
    public var base: [ComparedRun]
    /// The candidate side's reports.
    public var candidate: [ComparedRun]
    /// One row per scenario, phase and metric, in scenario order, then phase order, then metric order.
    public var rows: [ComparisonRow]
    /// Gates whose outcome differs between the sides.
    public var gateChanges: [GateChange]
    /// What was not compared and why, and what a reader should know about the inputs.
    public var notes: [String]

    public init(
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

    /// Whether any row regressed (the reason `snapbench compare` exits 1).
    public var hasRegression: Bool { rows.contains { $0.verdict == .regressed } }

    /// How many rows have `verdict`.
    public func count(of verdict: ComparisonVerdict) -> Int { rows.filter { $0.verdict == verdict }.count }
}

/// The knobs of the comparison statistics; the defaults follow Firecracker's A/B test.
///
/// ```swift
/// var settings = ComparisonSettings()
/// settings.noiseThreshold = 0.10  // a change must exceed 10 % of the base mean
/// ```
public struct ComparisonSettings: Codable, Sendable, Equatable {
    /// Permutations drawn for each test of the difference of means.
    public var resamples: Int
    /// A p-value below this is significant.
    public var significance: Double
    /// A significant change of the mean must also exceed this fraction of the base mean (0.05 = 5 %).
    public var noiseThreshold: Double
    /// A significant change of the mean must also be at least this many milliseconds: sub-0.1 ms metrics
    /// (dispatch lag, queue wait, harness overhead) move by tens of percent with scheduler jitter alone.
    /// 0 leaves only the relative threshold, as Firecracker's A/B test.
    public var minimumChangeMilliseconds: Double
    /// Bootstrap resamples for the confidence interval of the change in p95.
    public var bootstrapResamples: Int
    /// The confidence interval's level (0.99 = 99 %).
    public var confidenceLevel: Double
    /// Each side is cut to a random subsample of at most this many values before the tests, which keeps a
    /// comparison of long runs within seconds; means and p95s are still of every sample.
    public var maximumSamplesPerSide: Int
    /// The seed of every random choice: the same inputs and seed give the same result.
    public var seed: UInt64

    public init(
        resamples: Int = 10_000,
        significance: Double = 0.01,
        noiseThreshold: Double = 0.05,
        minimumChangeMilliseconds: Double = 0.05,
        bootstrapResamples: Int = 2_000,
        confidenceLevel: Double = 0.99,
        maximumSamplesPerSide: Int = 2_000,
        seed: UInt64 = 1
    ) {
        self.resamples = resamples
        self.significance = significance
        self.noiseThreshold = noiseThreshold
        self.minimumChangeMilliseconds = minimumChangeMilliseconds
        self.bootstrapResamples = bootstrapResamples
        self.confidenceLevel = confidenceLevel
        self.maximumSamplesPerSide = maximumSamplesPerSide
        self.seed = seed
    }
}

/// One report that took part, as a reader of the comparison needs to identify it.
public struct ComparedRun: Codable, Sendable, Equatable {
    /// Where it was read from.
    public var source: String
    public var scenario: String
    public var startedAt: Date
    /// `firecracker` or `simulated`.
    public var backend: String
    public var hostname: String
    /// The snapbench commit that made it, when known.
    public var commit: String?
    /// The run's own verdict.
    public var verdict: Verdict

    public init(
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

/// The comparison of one latency metric of one phase of one scenario.
public struct ComparisonRow: Codable, Sendable, Equatable {
    public var scenario: String
    /// A phase name, or `overall` for all measured phases together.
    public var phase: String
    /// A latency metric as the report names it (`spawn`, `restore`, …), in milliseconds.
    public var metric: String
    public var base: SideSummary
    public var candidate: SideSummary
    /// (candidate mean − base mean) / base mean; absent when the base mean is 0.
    public var meanChange: Double?
    /// Two-sided permutation test of the difference of means.
    public var pValue: Double
    /// Candidate p95 − base p95 in milliseconds, with its bootstrap confidence interval.
    public var p95Change: ConfidenceInterval
    /// The noise threshold this row was judged by: the settings' relative threshold, widened to the spread
    /// of the run means within a side when a side has several runs (absent in older comparisons).
    public var noiseThreshold: Double?
    public var verdict: ComparisonVerdict

    public init(
        scenario: String,
        phase: String,
        metric: String,
        base: SideSummary,
        candidate: SideSummary,
        meanChange: Double?,
        pValue: Double,
        p95Change: ConfidenceInterval,
        noiseThreshold: Double? = nil,
        verdict: ComparisonVerdict
    ) {
        self.noiseThreshold = noiseThreshold
        self.scenario = scenario
        self.phase = phase
        self.metric = metric
        self.base = base
        self.candidate = candidate
        self.meanChange = meanChange
        self.pValue = pValue
        self.p95Change = p95Change
        self.verdict = verdict
    }
}

/// One side of a row: its pooled samples' size and statistics, in milliseconds.
public struct SideSummary: Codable, Sendable, Equatable {
    /// Samples pooled from every report of the side.
    public var samples: Int
    /// Samples the tests used (fewer than `samples` when the side was subsampled).
    public var tested: Int
    /// Mean of every sample.
    public var mean: Double
    /// p95 of every sample (nearest rank).
    public var p95: Double

    public init(samples: Int, tested: Int, mean: Double, p95: Double) {
        self.samples = samples
        self.tested = tested
        self.mean = mean
        self.p95 = p95
    }
}

/// An estimate with a confidence interval around it.
public struct ConfidenceInterval: Codable, Sendable, Equatable {
    public var estimate: Double
    public var lower: Double
    public var upper: Double
    /// The interval's level, e.g. 0.99.
    public var level: Double

    public init(estimate: Double, lower: Double, upper: Double, level: Double) {
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
        self.level = level
    }

    /// Whether `value` lies inside the interval (bounds included).
    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }
}

/// A row's verdict. Larger latencies are worse.
public enum ComparisonVerdict: String, Codable, Sendable, Equatable, CaseIterable {
    /// The mean grew significantly and by more than the noise threshold.
    case regressed
    /// The mean shrank significantly and by more than the noise threshold.
    case improved
    /// Not significant, or smaller than the noise threshold or the minimum change.
    case withinNoise = "within noise"
}

/// A gate of a scenario whose outcome differs between the sides.
public struct GateChange: Codable, Sendable, Equatable {
    /// Which way it changed.
    public enum Direction: String, Codable, Sendable, Equatable {
        /// Passed in every base run, failed in at least one candidate run.
        case nowFailing = "now failing"
        /// Failed in at least one base run, passed in every candidate run.
        case nowPassing = "now passing"
    }

    public var scenario: String
    /// The gate as the scenario states it, e.g. `spawn_ms p95 < 50`.
    public var expression: String
    public var direction: Direction
    /// Base runs in which it passed, of `baseRuns`.
    public var basePassed: Int
    public var baseRuns: Int
    /// Candidate runs in which it passed, of `candidateRuns`.
    public var candidatePassed: Int
    public var candidateRuns: Int

    public init(
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
