/// A two-sided permutation test of the difference of two samples' means, as Firecracker's A/B tool runs it
/// (10 000 resamples; a result below 0.01 is significant).
///
/// The null hypothesis is that both samples come from one distribution: the values are pooled, split at
/// random into groups of the original sizes `resamples` times, and the p-value is the share of splits whose
/// difference of means is at least as large (in absolute value) as the observed one, counting the observed
/// split itself so that it is never 0.
///
/// ```swift
/// var random = SplitMix64(seed: 1)
/// let result = PermutationTest().run(base: [10, 11, 12], candidate: [15, 16, 17], using: &random)
/// result.pValue  // ≈ 0.1: only 2 of the 20 ways to split 6 values are as extreme
/// ```
public struct PermutationTest: Sendable, Equatable {
    /// The test's outcome.
    public struct Result: Sendable, Equatable {
        /// Candidate mean − base mean.
        public var difference: Double
        /// Two-sided, in (0, 1].
        public var pValue: Double
    }

    /// Random splits drawn.
    public var resamples: Int

    public init(resamples: Int = 10_000) {
        self.resamples = resamples
    }

    /// Tests whether `candidate`'s mean differs from `base`'s.
    ///
    /// - Precondition: both samples are non-empty.
    public func run(base: [Double], candidate: [Double], using random: inout SplitMix64) -> Result {
        precondition(!base.isEmpty && !candidate.isEmpty, "both samples need values")
        let observed = SampleStatistics.mean(candidate) - SampleStatistics.mean(base)
        var pooled = base + candidate
        let total = pooled.reduce(0, +)
        // Only the smaller group is drawn each time; the other group's sum follows from the total.
        let drawn = Swift.min(base.count, candidate.count)
        let rest = pooled.count - drawn
        // Sums of the same values in another order differ in the last bits: a split equal to the observed
        // one must count as "at least as extreme".
        let bar = abs(observed) * (1 - 1e-9)
        var extreme = 0
        pooled.withUnsafeMutableBufferPointer { values in
            for _ in 0..<resamples {
                var sum = 0.0
                for index in 0..<drawn {
                    // A partial Fisher–Yates shuffle: the first `drawn` places become a uniform random subset,
                    // whatever order the previous resample left behind.
                    values.swapAt(index, index + random.next(below: values.count - index))
                    sum += values[index]
                }
                let difference = sum / Double(drawn) - (total - sum) / Double(rest)
                if abs(difference) >= bar { extreme += 1 }
            }
        }
        return Result(difference: observed, pValue: Double(extreme + 1) / Double(resamples + 1))
    }
}
