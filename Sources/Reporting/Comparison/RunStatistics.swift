import Foundation
package import Randomness

/// The statistics `compare` decides with, on one value per run (a run's mean, or its p95): on these shared
/// hosts samples within a run are correlated and whole runs of one build differ by more than 5 %, so the run is
/// the statistical unit, as the interleaved A/B test Firecracker's CI runs treats it.
///
/// ```swift
/// var random = SplitMix64(seed: 1)
/// RunStatistics.permutationTest(base: [10, 11, 12, 11], candidate: [15, 16, 15, 17], using: &random)  // 2 / 70
/// RunStatistics.smallestPValue(base: 4, candidate: 4)                                                 // 2 / 70
/// RunStatistics.benjaminiHochberg([0.01, 0.04, 0.03])                                                  // [0.03, 0.04, 0.04]
/// ```
package enum RunStatistics {
    /// Splits counted exactly up to this many; beyond, this many random splits are drawn.
    package static let exactLimit = 20_000

    /// Two-sided permutation test of the difference of the means of two sets of run values: the share of the
    /// ways to split the pooled values into groups of the original sizes whose difference of means is at least
    /// as large in absolute value as the observed one (the observed split included, so never 0). Every split is
    /// counted when there are at most ``exactLimit``; otherwise ``exactLimit`` random ones are drawn.
    ///
    /// - Precondition: both sides have values.
    package static func permutationTest(base: [Double], candidate: [Double], using random: inout SplitMix64) -> Double {
        precondition(!base.isEmpty && !candidate.isEmpty, "both sides need values")
        let pooled = base + candidate
        let total = pooled.reduce(0, +)
        let k = base.count
        let n = pooled.count
        let observed = abs(mean(candidate) - mean(base))
        // Sums of the same values in another order differ in the last bits: a split equal to the observed one
        // must count as "at least as extreme".
        let bar = observed * (1 - 1e-9) - 1e-12
        func extreme(_ baseSum: Double) -> Bool {
            abs((total - baseSum) / Double(n - k) - baseSum / Double(k)) >= bar
        }
        let splits = binomial(n, k)
        if splits <= Double(exactLimit) {
            var count = 0
            var all = 0
            forEachCombination(of: k, in: n) { chosen in
                all += 1
                if extreme(chosen.reduce(0.0) { $0 + pooled[$1] }) { count += 1 }
            }
            return Double(count) / Double(all)
        }
        var values = pooled
        var count = 1
        for _ in 0..<exactLimit {
            var sum = 0.0
            for index in 0..<k {
                values.swapAt(index, index + random.next(below: n - index))
                sum += values[index]
            }
            if extreme(sum) { count += 1 }
        }
        return Double(count) / Double(exactLimit + 1)
    }

    /// The smallest p-value ``permutationTest(base:candidate:using:)`` can give for these side sizes: with
    /// 3 runs a side it is 0.1, so no 5 % decision is possible.
    package static func smallestPValue(base: Int, candidate: Int) -> Double {
        guard base > 0, candidate > 0 else { return 1 }
        let splits = binomial(base + candidate, base)
        // With equal sizes the two most extreme splits (all higher on either side) tie in absolute value.
        return min(1, (base == candidate ? 2 : 1) / splits)
    }

    /// Benjamini–Hochberg adjusted p-values (q-values), in the input's order: a row whose q-value is at most the
    /// false-discovery level is a discovery, with the expected share of false discoveries among them at most
    /// that level.
    package static func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        guard m > 0 else { return [] }
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 1.0
        for rank in stride(from: m, through: 1, by: -1) {
            let index = order[rank - 1]
            running = min(running, pValues[index] * Double(m) / Double(rank))
            adjusted[index] = min(1, running)
        }
        return adjusted
    }

    /// A percentile-bootstrap interval of mean(candidate) − mean(base), runs resampled with replacement within
    /// each side; the estimate is the same statistic on the runs themselves, so interval and estimate come from
    /// one resampling of one set of values.
    package static func bootstrapDifference(
        base: [Double],
        candidate: [Double],
        resamples: Int,
        level: Double,
        using random: inout SplitMix64
    ) -> (estimate: Double, lower: Double, upper: Double) {
        let estimate = mean(candidate) - mean(base)
        guard resamples > 0 else { return (estimate, estimate, estimate) }
        var differences: [Double] = []
        differences.reserveCapacity(resamples)
        func resampledMean(_ values: [Double]) -> Double {
            var sum = 0.0
            for _ in values.indices { sum += values[random.next(below: values.count)] }
            return sum / Double(values.count)
        }
        for _ in 0..<resamples {
            differences.append(resampledMean(candidate) - resampledMean(base))
        }
        differences.sort()
        let tail = (1 - level) / 2
        let lower = differences[min(Int((tail * Double(resamples)).rounded(.down)), resamples - 1)]
        let upper = differences[max(Int(((1 - tail) * Double(resamples)).rounded(.up)) - 1, 0)]
        return (estimate, lower, upper)
    }

    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// n choose k, as a double (exact for the sizes used here).
    static func binomial(_ n: Int, _ k: Int) -> Double {
        guard k >= 0, k <= n else { return 0 }
        var result = 1.0
        for i in 0..<min(k, n - k) { result = result * Double(n - i) / Double(i + 1) }
        return result.rounded()
    }

    /// Calls `body` with every k-element subset of 0..<n, as ascending indices.
    static func forEachCombination(of k: Int, in n: Int, _ body: ([Int]) -> Void) {
        var chosen = Array(0..<k)
        while true {
            body(chosen)
            var index = k - 1
            while index >= 0 && chosen[index] == n - k + index { index -= 1 }
            guard index >= 0 else { return }
            chosen[index] += 1
            for next in (index + 1)..<k { chosen[next] = chosen[next - 1] + 1 }
        }
    }
}
