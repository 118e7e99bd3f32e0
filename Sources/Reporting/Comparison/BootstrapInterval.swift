/// A percentile-bootstrap confidence interval for the difference of a percentile (p95 by default) between
/// two samples: each side is resampled with replacement, the difference computed each time, and the
/// interval is the middle `level` share of those differences.
///
/// ```swift
/// var random = SplitMix64(seed: 1)
/// let interval = BootstrapInterval().differenceOfPercentile(
///     base: [10, 11, 12, 13], candidate: [15, 16, 17, 18], using: &random)
/// interval.estimate  // 5.0
/// ```
public struct BootstrapInterval: Sendable, Equatable {
    /// Bootstrap resamples drawn.
    public var resamples: Int
    /// The confidence level, e.g. 0.99.
    public var level: Double
    /// The percentile compared, e.g. 95.
    public var percentile: Double

    public init(resamples: Int = 2_000, level: Double = 0.99, percentile: Double = 95) {
        self.resamples = resamples
        self.level = level
        self.percentile = percentile
    }

    /// The interval for candidate percentile − base percentile.
    ///
    /// - Precondition: both samples are non-empty.
    public func differenceOfPercentile(
        base: [Double],
        candidate: [Double],
        using random: inout SplitMix64
    ) -> ConfidenceInterval {
        precondition(!base.isEmpty && !candidate.isEmpty, "both samples need values")
        let base = base.sorted()
        let candidate = candidate.sorted()
        let estimate =
            SampleStatistics.percentile(percentile, ofSorted: candidate)
            - SampleStatistics.percentile(percentile, ofSorted: base)
        var baseCounts = [Int32](repeating: 0, count: base.count)
        var candidateCounts = [Int32](repeating: 0, count: candidate.count)
        var differences: [Double] = []
        differences.reserveCapacity(resamples)
        for _ in 0..<resamples {
            let candidateValue = resampledPercentile(candidate, counts: &candidateCounts, using: &random)
            let baseValue = resampledPercentile(base, counts: &baseCounts, using: &random)
            differences.append(candidateValue - baseValue)
        }
        differences.sort()
        let tail = (1 - level) / 2
        let lower = differences[Swift.min(Int((tail * Double(resamples)).rounded(.down)), resamples - 1)]
        let upper = differences[Swift.max(Int(((1 - tail) * Double(resamples)).rounded(.up)) - 1, 0)]
        return ConfidenceInterval(estimate: estimate, lower: lower, upper: upper, level: level)
    }

    /// The percentile of one resample of ascending `sorted`, without sorting the resample: count how often
    /// each index is drawn, then walk the counts to the percentile's rank (linear, not n log n).
    private func resampledPercentile(
        _ sorted: [Double],
        counts: inout [Int32],
        using random: inout SplitMix64
    )
        -> Double
    {
        counts.withUnsafeMutableBufferPointer { counts in
            counts.update(repeating: 0)
            for _ in 0..<counts.count {
                counts[random.next(below: counts.count)] += 1
            }
            let rank = SampleStatistics.rankIndex(percentile, count: counts.count) + 1
            var seen = 0
            for index in 0..<counts.count {
                seen += Int(counts[index])
                if seen >= rank { return sorted[index] }
            }
            return sorted[sorted.count - 1]
        }
    }
}
