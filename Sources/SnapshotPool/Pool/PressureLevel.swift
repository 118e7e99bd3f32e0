/// How hard the host is pressed for memory.
public enum PressureLevel: Int, Sendable, Codable, Comparable, CaseIterable {
    /// Refill to the warm target.
    case normal
    /// Refill only to the elevated floor.
    case elevated
    /// Shed warm VMs and refuse on-demand restores until it recovers.
    case critical

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
