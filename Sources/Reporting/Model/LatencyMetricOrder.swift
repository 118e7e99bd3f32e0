/// The order reports list latency metrics in: what a reader looks at first, the rest alphabetically after.
///
/// ```swift
/// LatencyMetricOrder.sorted(["zeta", "restore", "spawn"])  // ["spawn", "restore", "zeta"]
/// ```
public enum LatencyMetricOrder {
    /// The metrics with a fixed place, first to last.
    public static let known = [
        "spawn", "spawn_warm", "spawn_on_demand", "restore", "firecracker_load", "process_start", "resume",
        "readiness", "queue_wait", "dispatch_lag", "harness_overhead",
    ]

    /// `names` in reading order.
    public static func sorted(_ names: some Sequence<String>) -> [String] {
        names.sorted { left, right in
            let leftRank = known.firstIndex(of: left) ?? known.count
            let rightRank = known.firstIndex(of: right) ?? known.count
            return leftRank == rightRank ? left < right : leftRank < rightRank
        }
    }
}
