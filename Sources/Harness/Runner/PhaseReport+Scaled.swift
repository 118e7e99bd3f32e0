import Reporting

extension PhaseReport {
    /// These figures as if `scheduled` acquires had been measured at the same rates and with the same
    /// distributions: each count scaled by `scheduled ÷ self.scheduled`, rounded to the nearest whole.
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
        func scale(_ count: Int) -> Int { Int((Double(count) * factor).rounded()) }
        return PhaseReport(
            name: name,
            warmup: warmup,
            scheduled: scheduled,
            outcomes: outcomes.mapValues(scale),
            lateStarts: scale(lateStarts),
            latencies: latencies.mapValues { spectrum in
                var scaled = spectrum
                if let distribution = spectrum.distribution {
                    let counts = distribution.counts.map(scale)
                    scaled.distribution = RecordedDistribution(
                        valuesMilliseconds: distribution.valuesMilliseconds,
                        counts: counts
                    )
                    scaled.count = counts.reduce(0, +)
                } else {
                    scaled.count = scale(spectrum.count)
                }
                return scaled
            }
        )
    }
}
