import Randomness

/// Change points in a series by E-Divisive with means (Matteson and James, "A Nonparametric Approach for
/// Multiple Change Point Analysis of Multivariate Data", JASA 2014), the method MongoDB's performance CI and
/// Apache Otava use to say where a benchmark moved.
///
/// Binary segmentation: in a segment, each split τ is scored by the energy distance between the values before
/// and after it, scaled by τ(n − τ)/n; the best split is a change point when a permutation test finds its
/// score rarely reached by the segment's values shuffled (p below ``significance``); then both sides are
/// searched again. With α = 1 the distance is the plain absolute difference, so a shift in mean and a change
/// of spread both register.
///
/// ```swift
/// let series = [10, 10.2, 9.9, 10.1, 15, 15.2, 14.9, 15.1]
/// let changes = EDivisive().changePoints(in: series)  // [ChangePoint(index: 4, …)]: the first value after
/// ```
package struct EDivisive: Sendable {
    /// A change found: the index of the first value after it, with its score and permutation p-value.
    package struct ChangePoint: Sendable, Equatable {
        /// The first index of the new regime.
        package var index: Int
        /// The scaled energy statistic of the split.
        package var score: Double
        /// The permutation p-value.
        package var pValue: Double
        /// Mean of the segment's values before and after the split.
        package var meanBefore: Double
        package var meanAfter: Double
    }

    /// Values each side of a split at least (shorter runs of values are never called a regime).
    package var minimumSegment = 3
    /// Permutations per test.
    package var permutations = 199
    /// The p-value below which a split is a change point.
    package var significance = 0.05
    /// Seed of the permutations, so a series always gives the same answer.
    package var seed: UInt64 = 0x5EED

    package init(minimumSegment: Int = 3, permutations: Int = 199, significance: Double = 0.05) {
        self.minimumSegment = max(2, minimumSegment)
        self.permutations = max(19, permutations)
        self.significance = significance
    }

    /// The change points of `series`, in index order.
    package func changePoints(in series: [Double]) -> [ChangePoint] {
        var random = SplitMix64(seed: seed)
        var found: [ChangePoint] = []
        var pending = [0..<series.count]
        while let segment = pending.popLast() {
            let values = Array(series[segment])
            guard values.count >= 2 * minimumSegment, let best = Self.bestSplit(values, minimum: minimumSegment)
            else { continue }
            var atLeast = 1
            var shuffled = values
            for _ in 0..<permutations {
                shuffled.shuffle(using: &random)
                if let score = Self.bestSplit(shuffled, minimum: minimumSegment)?.score, score >= best.score {
                    atLeast += 1
                }
            }
            let pValue = Double(atLeast) / Double(permutations + 1)
            guard pValue < significance else { continue }
            let split = segment.lowerBound + best.index
            let before = values[..<best.index]
            let after = values[best.index...]
            found.append(
                ChangePoint(
                    index: split,
                    score: best.score,
                    pValue: pValue,
                    meanBefore: before.reduce(0, +) / Double(before.count),
                    meanAfter: after.reduce(0, +) / Double(after.count)
                )
            )
            pending.append(segment.lowerBound..<split)
            pending.append(split..<segment.upperBound)
        }
        return found.sorted { $0.index < $1.index }
    }

    /// The split of `values` with the highest scaled energy statistic, each side at least `minimum` long.
    ///
    /// For a split τ: Q(τ) = τ(n−τ)/n × (2/(τ(n−τ)) Σ|xᵢ−yⱼ| − 2/(τ(τ−1)) Σ|xᵢ−xₖ| − 2/((n−τ)(n−τ−1)) Σ|yⱼ−yₖ|),
    /// x the values before τ, y those after (pairs counted once in the within-sums). The three sums are
    /// carried from one τ to the next, O(n) each, so a whole scan is O(n²).
    package static func bestSplit(_ values: [Double], minimum: Int) -> (index: Int, score: Double)? {
        let n = values.count
        guard n >= 2 * minimum else { return nil }
        var within = [Double](repeating: 0, count: n)  // Σ_{k<i} |x_i − x_k|, per i
        var rowTotal = [Double](repeating: 0, count: n)  // Σ_j |x_i − x_j|, per i
        var all = 0.0
        for i in 0..<n {
            for k in 0..<i {
                let distance = abs(values[i] - values[k])
                within[i] += distance
                rowTotal[i] += distance
                rowTotal[k] += distance
                all += distance
            }
        }
        // Moving value τ−1 from the right side to the left: its distances to the left (`within`) leave the
        // cross sum and join the left sum; its distances to the right join the cross sum and leave the right.
        var left = 0.0
        var cross = 0.0
        var right = all
        var best: (index: Int, score: Double)?
        for tau in 1..<n {
            let moved = tau - 1
            let toLeft = within[moved]
            let toRight = rowTotal[moved] - toLeft
            left += toLeft
            cross += toRight - toLeft
            right -= toRight
            guard tau >= minimum, n - tau >= minimum else { continue }
            let a = Double(tau)
            let b = Double(n - tau)
            let energy = 2 * cross / (a * b) - 2 * left / (a * (a - 1)) - 2 * right / (b * (b - 1))
            let score = a * b / Double(n) * energy
            if best == nil || score > best!.score { best = (tau, score) }
        }
        return best
    }
}
