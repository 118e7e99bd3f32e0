/// Turns a series of readings into a ``PressureLevel`` with hysteresis: quick to rise, slow to fall.
///
/// A pure value with no clock: each call to ``classify(_:)`` is one reading, so the state machine is tested
/// by feeding it readings.
///
/// - Going up: the level jumps at once to the worst level any signal indicates (``PressureThresholds/level(for:)``),
///   because the cost of reacting late to memory exhaustion is an OOM kill.
/// - Going down: only after ``PressureThresholds/calmReadingsToRecover`` consecutive readings that all sit
///   below the current level's recovery thresholds; it then drops to the worst level any of those readings
///   still held (``PressureThresholds/recoveryLevel(for:)``), so critical may fall straight to normal when
///   every calm reading was normal, and otherwise steps through elevated. A reading that is not calm restarts
///   the count.
///
/// ```swift
/// var classifier = PressureClassifier()
/// classifier.classify(MemoryPressureReading(psiSomeAvg10: 45))  // .critical at once
/// classifier.classify(MemoryPressureReading(psiSomeAvg10: 1))   // still .critical (1 calm reading)
/// classifier.classify(MemoryPressureReading(psiSomeAvg10: 1))   // still .critical (2)
/// classifier.classify(MemoryPressureReading(psiSomeAvg10: 1))   // .normal (3 calm readings)
/// ```
package struct PressureClassifier: Sendable, Equatable {
    /// The thresholds in force; changing them takes effect with the next reading.
    package var thresholds: PressureThresholds
    /// The current level.
    package private(set) var level: PressureLevel
    /// How many consecutive readings so far were calm enough to leave the current level.
    package private(set) var calmReadings: Int = 0
    /// The worst recovery level seen in the current calm streak: where the level goes when the streak ends.
    private var calmTarget: PressureLevel = .normal

    /// Creates a classifier.
    ///
    /// - Parameters:
    ///   - thresholds: where levels change.
    ///   - initialLevel: the level before the first reading; `.normal` unless resuming a known state.
    package init(thresholds: PressureThresholds = PressureThresholds(), initialLevel: PressureLevel = .normal) {
        self.thresholds = thresholds
        self.level = initialLevel
    }

    /// Feeds one reading and returns the level after it.
    ///
    /// ```swift
    /// let level = classifier.classify(source.read())
    /// ```
    ///
    /// - Parameter reading: the newest reading.
    /// - Returns: the level now in force (also in ``level``).
    @discardableResult
    package mutating func classify(_ reading: MemoryPressureReading) -> PressureLevel {
        let indicated = thresholds.level(for: reading)
        if indicated > level {
            level = indicated
            calmReadings = 0
            return level
        }
        let held = thresholds.recoveryLevel(for: reading)
        guard held < level else {
            calmReadings = 0
            return level
        }
        calmTarget = calmReadings == 0 ? held : max(calmTarget, held)
        calmReadings += 1
        if calmReadings >= max(1, thresholds.calmReadingsToRecover) {
            level = calmTarget
            calmReadings = 0
        }
        return level
    }
}
