/// How hard the pool should protect the host, from calm to dangerous.
///
/// Levels are ordered, so a policy can ask "at least elevated":
///
/// ```swift
/// if classifier.level >= .elevated { pauseRefill() }
/// if classifier.level == .critical { shedWarmVMs() }
/// ```
package enum PressureLevel: String, Sendable, Codable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// Every signal is comfortably below its thresholds.
    case normal
    /// Some signal crossed its elevated threshold: stop growing, keep what is warm.
    case elevated
    /// Some signal crossed its critical threshold: give memory back now.
    case critical

    /// The position in the order normal < elevated < critical; the raw value stays a readable string for
    /// reports.
    private var rank: Int {
        switch self {
        case .normal: 0
        case .elevated: 1
        case .critical: 2
        }
    }

    package static func < (lhs: PressureLevel, rhs: PressureLevel) -> Bool {
        lhs.rank < rhs.rank
    }

    package var description: String { rawValue }
}
