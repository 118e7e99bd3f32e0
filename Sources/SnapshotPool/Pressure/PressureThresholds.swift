/// Where each memory signal turns a ``PressureLevel`` up, and how far it must fall back before it turns down.
///
/// Three signals are compared, each on its own scale; the worst one decides the level:
///
/// | signal | elevated | critical |
/// |---|---|---|
/// | PSI `some avg10` (percent) | ≥ 10 | ≥ 40 |
/// | cgroup usage ÷ limit | ≥ 0.80 | ≥ 0.95 |
/// | `MemAvailable` ÷ `MemTotal` | < 0.20 | < 0.05 |
///
/// Going down is deliberately slower than going up, so a signal that hovers at a threshold does not make the
/// pool flap between shedding and refilling: a level is left only after ``calmReadingsToRecover`` consecutive
/// readings in which every signal is past its *recovery* threshold — a "higher is worse" threshold multiplied
/// by ``recoveryFactor`` (PSI must fall below 10 × 0.8 = 8 % to leave elevated), a "lower is worse" one
/// divided by it (`MemAvailable` must rise to 0.20 ÷ 0.8 = 25 % of `MemTotal`).
///
/// ```swift
/// var thresholds = PressureThresholds()
/// thresholds.psiSomeCritical = 25  // a host that should never stall for long
/// thresholds.calmReadingsToRecover = 5
/// var classifier = PressureClassifier(thresholds: thresholds)
/// ```
package struct PressureThresholds: Sendable, Codable, Equatable {
    /// PSI `some avg10`, in percent, at or above which the level is at least elevated.
    package var psiSomeElevated: Double
    /// PSI `some avg10`, in percent, at or above which the level is critical.
    package var psiSomeCritical: Double
    /// Cgroup usage as a fraction of its limit at or above which the level is at least elevated.
    package var cgroupUsageElevated: Double
    /// Cgroup usage as a fraction of its limit at or above which the level is critical.
    package var cgroupUsageCritical: Double
    /// `MemAvailable ÷ MemTotal` below which the level is at least elevated.
    package var memAvailableElevated: Double
    /// `MemAvailable ÷ MemTotal` below which the level is critical.
    package var memAvailableCritical: Double
    /// The hysteresis margin, in (0, 1]: recovery thresholds are the thresholds × this factor (or ÷ it for
    /// `MemAvailable`). 1 means no margin; values outside the range are clamped.
    package var recoveryFactor: Double
    /// How many consecutive calm readings it takes to drop a level; at least 1 is used.
    package var calmReadingsToRecover: Int

    /// Creates thresholds; the defaults suit a host dedicated to the pool.
    ///
    /// - Parameters:
    ///   - psiSomeElevated: PSI `some avg10` percent for elevated.
    ///   - psiSomeCritical: PSI `some avg10` percent for critical.
    ///   - cgroupUsageElevated: usage ÷ limit for elevated.
    ///   - cgroupUsageCritical: usage ÷ limit for critical.
    ///   - memAvailableElevated: `MemAvailable ÷ MemTotal` below which it is elevated.
    ///   - memAvailableCritical: `MemAvailable ÷ MemTotal` below which it is critical.
    ///   - recoveryFactor: the hysteresis margin.
    ///   - calmReadingsToRecover: consecutive calm readings before a level drops.
    package init(
        psiSomeElevated: Double = 10,
        psiSomeCritical: Double = 40,
        cgroupUsageElevated: Double = 0.80,
        cgroupUsageCritical: Double = 0.95,
        memAvailableElevated: Double = 0.20,
        memAvailableCritical: Double = 0.05,
        recoveryFactor: Double = 0.8,
        calmReadingsToRecover: Int = 3
    ) {
        self.psiSomeElevated = psiSomeElevated
        self.psiSomeCritical = psiSomeCritical
        self.cgroupUsageElevated = cgroupUsageElevated
        self.cgroupUsageCritical = cgroupUsageCritical
        self.memAvailableElevated = memAvailableElevated
        self.memAvailableCritical = memAvailableCritical
        self.recoveryFactor = recoveryFactor
        self.calmReadingsToRecover = calmReadingsToRecover
    }

    /// The level a reading indicates on its own, with no memory of earlier readings: the worst signal wins,
    /// and a signal that is `nil` does not count.
    ///
    /// ```swift
    /// PressureThresholds().level(for: MemoryPressureReading(psiSomeAvg10: 12))  // .elevated
    /// ```
    package func level(for reading: MemoryPressureReading) -> PressureLevel {
        level(for: reading, margin: 1)
    }

    /// The highest level that the reading still holds against the recovery thresholds; a level above this
    /// one may be left once enough readings agree.
    ///
    /// ```swift
    /// // 9 % is below the elevated threshold (10) but not below its recovery threshold (8).
    /// PressureThresholds().recoveryLevel(for: MemoryPressureReading(psiSomeAvg10: 9))  // .elevated
    /// ```
    package func recoveryLevel(for reading: MemoryPressureReading) -> PressureLevel {
        level(for: reading, margin: min(1, max(recoveryFactor, .leastNormalMagnitude)))
    }

    private func level(for reading: MemoryPressureReading, margin: Double) -> PressureLevel {
        var worst = PressureLevel.normal
        func rising(_ value: Double?, elevated: Double, critical: Double) {
            guard let value else { return }
            if value >= critical * margin {
                worst = .critical
            } else if value >= elevated * margin {
                worst = max(worst, .elevated)
            }
        }
        func falling(_ value: Double?, elevated: Double, critical: Double) {
            guard let value else { return }
            if value < critical / margin {
                worst = .critical
            } else if value < elevated / margin {
                worst = max(worst, .elevated)
            }
        }
        rising(reading.psiSomeAvg10, elevated: psiSomeElevated, critical: psiSomeCritical)
        rising(reading.cgroupUsageFraction, elevated: cgroupUsageElevated, critical: cgroupUsageCritical)
        falling(reading.memAvailableFraction, elevated: memAvailableElevated, critical: memAvailableCritical)
        return worst
    }
}
