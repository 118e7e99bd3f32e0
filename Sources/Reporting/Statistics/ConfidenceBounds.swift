import Foundation

/// One-sided confidence bounds for the two kinds of gate that rest on samples: a rate (k events among n
/// acquires) and a percentile (of n latency samples).
///
/// - A rate gets the Wilson score bounds: unlike `k / n ± …` they stay inside [0, 1] and are not degenerate at
///   k = 0 (0 of 40 late still leaves an upper bound of 6.3 % at 95 %).
/// - A percentile gets distribution-free order-statistic bounds: with n independent samples, the r-th smallest
///   is above the p-quantile with probability P(Binomial(n, p) ≤ r − 1). No resampling, no assumption about
///   the shape of the distribution; when even the largest sample is not a bound (a p99 of 40 samples), there
///   is none.
///
/// Both assume independent samples; latencies within one run are somewhat correlated, so the bounds are
/// somewhat optimistic (documented in Scenarios/README.md).
///
/// ```swift
/// ConfidenceBounds.wilson(events: 0, trials: 40).upper        // ≈ 0.063
/// ConfidenceBounds.quantileRanks(percentile: 95, samples: 100).upper  // 99: the 99th smallest value
/// ConfidenceBounds.samplesForUpperBound(percentile: 99)       // 299
/// ```
package enum ConfidenceBounds {
    /// The confidence of each one-sided bound.
    package static let level = 0.95
    /// The standard normal quantile for ``level`` (one-sided).
    static let z = 1.644_853_626_951_472

    /// Wilson score bounds for a proportion of `events` among `trials`; `nil` for no trials.
    package static func wilson(events: Int, trials: Int) -> (lower: Double, upper: Double)? {
        guard trials > 0 else { return nil }
        let n = Double(trials)
        let p = Double(min(max(events, 0), trials)) / n
        let z2 = z * z
        let center = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / (1 + z2 / n)
        return (max(0, center - half), min(1, center + half))
    }

    /// The 1-based ranks of the order statistics that bound the `percentile` of `samples` values from below and
    /// above; `nil` where no order statistic is a bound at ``level``.
    package static func quantileRanks(percentile: Double, samples: Int) -> (lower: Int?, upper: Int?) {
        guard samples > 0 else { return (nil, nil) }
        let p = min(max(percentile / 100, 0), 1)
        let cdf = binomialCDF(trials: samples, probability: p)
        // Upper: the smallest r with P(B ≤ r − 1) ≥ level.
        var upper: Int?
        for r in 1...samples where cdf[r - 1] >= level {
            upper = r
            break
        }
        // Lower: the largest r with P(B ≥ r) = 1 − P(B ≤ r − 1) ≥ level.
        var lower: Int?
        for r in stride(from: samples, through: 1, by: -1) where 1 - cdf[r - 1] >= level {
            lower = r
            break
        }
        return (lower, upper)
    }

    /// The fewest samples from which a `percentile` has an upper bound: 59 for p95, 299 for p99.
    package static func samplesForUpperBound(percentile: Double) -> Int {
        let p = percentile / 100
        guard p < 1 else { return .max }
        return Int((log(1 - level) / log(p)).rounded(.up))
    }

    /// The fewest trials for which a rate gate `rate < threshold` can pass at all (with no event in them).
    package static func trialsForRateBelow(_ threshold: Double) -> Int {
        guard threshold > 0 else { return .max }
        guard threshold < 1 else { return 1 }
        // Wilson's upper bound at 0 events is z² / (n + z²).
        return Int((z * z * (1 - threshold) / threshold).rounded(.down)) + 1
    }

    /// P(Binomial(n, p) ≤ k) for every k in 0…n (log-space terms, so n can be large).
    static func binomialCDF(trials n: Int, probability p: Double) -> [Double] {
        var cdf = [Double](repeating: 1, count: n + 1)
        if p <= 0 { return cdf }
        if p >= 1 {
            for k in 0..<n { cdf[k] = 0 }
            return cdf
        }
        let logP = log(p)
        let logQ = log1p(-p)
        let logNFactorial = logGamma(Double(n) + 1)
        var total = 0.0
        for k in 0...n {
            let logTerm =
                logNFactorial - logGamma(Double(k) + 1) - logGamma(Double(n - k) + 1) + Double(k) * logP
                + Double(n - k) * logQ
            total += exp(logTerm)
            cdf[k] = min(1, total)
        }
        return cdf
    }
}

extension RecordedDistribution {
    /// The `rank`-th smallest value (1-based), or `nil` when there are fewer values.
    package func value(atRank rank: Int) -> Double? {
        guard rank >= 1 else { return nil }
        var seen = 0
        for (value, count) in zip(valuesMilliseconds, counts) {
            seen += count
            if seen >= rank { return value }
        }
        return nil
    }
}

/// ln Γ(x), through the overlay that also returns the sign (the plain C function is ambiguous in Swift).
private func logGamma(_ x: Double) -> Double {
    let result: (Double, Int) = lgamma(x)
    return result.0
}
