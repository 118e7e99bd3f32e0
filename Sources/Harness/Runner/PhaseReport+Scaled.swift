import Reporting

extension PhaseReport {
    /// These figures as if `scheduled` acquires had been measured at the same rates and with the same
    /// distributions: counts scaled by `scheduled ÷ self.scheduled`. A distribution's and the outcomes' counts are
    /// scaled cumulatively (each running total rounded), so they keep their shares: rounding each alone would
    /// leave a tail of single samples at one each while the bulk grows, and shrink the tail.
    ///
    /// For a gate left undecided once a host disturbance took its acquires away: would the whole run, had the
    /// host left it alone and the touched acquires behaved as the others, have decided it? Only then was it the
    /// host, not a build close to its target, that left the gate open.
    ///
    /// ```swift
    /// undisturbed.scaled(to: 888)  // 0 late of 70 → 0 late of 888; 4 late of 862 → 4 of 888
    /// ```
    func scaled(to scheduled: Int) -> PhaseReport {
        guard self.scheduled > 0, scheduled > self.scheduled else { return self }
        let factor = Double(scheduled) / Double(self.scheduled)
        let outcomeNames = outcomes.keys.sorted()
        let outcomeCounts = Self.scaledCumulatively(outcomeNames.map { outcomes[$0] ?? 0 }, by: factor)
        return PhaseReport(
            name: name,
            warmup: warmup,
            scheduled: scheduled,
            outcomes: Dictionary(uniqueKeysWithValues: zip(outcomeNames, outcomeCounts)),
            lateStarts: Int((Double(lateStarts) * factor).rounded()),
            latencies: latencies.mapValues { spectrum in
                var scaled = spectrum
                if let distribution = spectrum.distribution {
                    let counts = Self.scaledCumulatively(distribution.counts, by: factor)
                    scaled.distribution = RecordedDistribution(
                        valuesMilliseconds: distribution.valuesMilliseconds,
                        counts: counts
                    )
                    scaled.count = counts.reduce(0, +)
                } else {
                    scaled.count = Int((Double(spectrum.count) * factor).rounded())
                }
                return scaled
            }
        )
    }

    /// `counts` scaled by `factor`, each the difference of the rounded running totals: their sum is the rounded
    /// scaled total, and every share stays within one count of its exact value.
    static func scaledCumulatively(_ counts: [Int], by factor: Double) -> [Int] {
        var total = 0
        var previous = 0
        return counts.map { count in
            total += count
            let rounded = Int((Double(total) * factor).rounded())
            defer { previous = rounded }
            return rounded - previous
        }
    }
}
