/// Compares one metric's samples from the two sides: the statistics and the verdict of one row.
///
/// ```swift
/// let row = SampleComparer().compare(
///     scenario: "smoke", phase: "overall", metric: "restore", base: baseSamples, candidate: candidateSamples)
/// row.verdict  // .regressed, .improved or .withinNoise
/// ```
public struct SampleComparer: Sendable, Equatable {
    /// The statistics' settings.
    public var settings: ComparisonSettings

    public init(settings: ComparisonSettings = ComparisonSettings()) {
        self.settings = settings
    }

    /// The row for one scenario, phase and metric.
    ///
    /// The random choices are seeded by `settings.seed` and the row's names, so a row's result does not
    /// depend on which other rows are compared, nor in what order.
    ///
    /// Samples pooled from several runs are not all alike: on a shared or nested host each run has its own
    /// level, and a test over the pooled samples calls a difference between two runs of one build
    /// significant. So when a side has several runs, `runMeans` (each run's mean, per side) widen the noise
    /// threshold to the largest relative spread between the run means of one side.
    ///
    /// - Precondition: both samples are non-empty.
    public func compare(
        scenario: String,
        phase: String,
        metric: String,
        base: [Double],
        candidate: [Double],
        runMeans: (base: [Double], candidate: [Double]) = ([], [])
    ) -> ComparisonRow {
        var random = SplitMix64(seed: settings.seed, label: "\(scenario)/\(phase)/\(metric)")
        let testedBase = SampleStatistics.subsample(base, count: settings.maximumSamplesPerSide, using: &random)
        let testedCandidate = SampleStatistics.subsample(
            candidate,
            count: settings.maximumSamplesPerSide,
            using: &random
        )
        let test = PermutationTest(resamples: settings.resamples)
            .run(base: testedBase, candidate: testedCandidate, using: &random)
        let bootstrap = BootstrapInterval(resamples: settings.bootstrapResamples, level: settings.confidenceLevel)
        var p95Change = bootstrap.differenceOfPercentile(base: testedBase, candidate: testedCandidate, using: &random)
        let baseSummary = Self.summary(base, tested: testedBase.count)
        let candidateSummary = Self.summary(candidate, tested: testedCandidate.count)
        // The point estimate is of every sample; the interval stays the subsample's.
        p95Change.estimate = candidateSummary.p95 - baseSummary.p95
        let meanChange =
            baseSummary.mean == 0 ? nil : (candidateSummary.mean - baseSummary.mean) / baseSummary.mean
        let threshold = max(
            settings.noiseThreshold,
            Self.spread(runMeans.base, around: baseSummary.mean),
            Self.spread(runMeans.candidate, around: baseSummary.mean)
        )
        return ComparisonRow(
            scenario: scenario,
            phase: phase,
            metric: metric,
            base: baseSummary,
            candidate: candidateSummary,
            meanChange: meanChange,
            pValue: test.pValue,
            p95Change: p95Change,
            noiseThreshold: threshold,
            verdict: verdict(
                pValue: test.pValue,
                baseMean: baseSummary.mean,
                candidateMean: candidateSummary.mean,
                noiseThreshold: threshold
            )
        )
    }

    /// (largest − smallest run mean) / `reference`; 0 for fewer than two runs.
    ///
    /// ```swift
    /// SampleComparer.spread([9, 11], around: 10)  // 0.2
    /// ```
    public static func spread(_ means: [Double], around reference: Double) -> Double {
        guard means.count > 1, let low = means.min(), let high = means.max(), reference != 0 else { return 0 }
        return (high - low) / abs(reference)
    }

    /// Regressed or improved only when the change of the mean is significant, larger than the noise
    /// threshold and at least the minimum change: with thousands of samples a change of a fraction of a
    /// percent is significant, yet no one should act on it.
    ///
    /// ```swift
    /// SampleComparer().verdict(pValue: 0.0001, baseMean: 10, candidateMean: 15)  // .regressed
    /// ```
    public func verdict(
        pValue: Double,
        baseMean: Double,
        candidateMean: Double,
        noiseThreshold: Double? = nil
    ) -> ComparisonVerdict {
        let change = candidateMean - baseMean
        guard pValue < settings.significance, abs(change) >= settings.minimumChangeMilliseconds,
            abs(change) > (noiseThreshold ?? settings.noiseThreshold) * abs(baseMean)
        else { return .withinNoise }
        return change > 0 ? .regressed : .improved
    }

    private static func summary(_ values: [Double], tested: Int) -> SideSummary {
        SideSummary(
            samples: values.count,
            tested: tested,
            mean: SampleStatistics.mean(values),
            p95: SampleStatistics.percentile(95, ofSorted: values.sorted())
        )
    }
}
