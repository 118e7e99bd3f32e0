/// The order reports list latency metrics in: ``Metric``'s order, then any other name alphabetically.
///
/// ```swift
/// LatencyMetricOrder.sorted(["zeta", "restore", "spawn"])  // ["spawn", "restore", "zeta"]
/// ```
package enum LatencyMetricOrder {
    /// The latency metrics' keys, first to last.
    package static let known = Metric.allCases.compactMap(\.latencyKey)

    /// `names` in reading order.
    package static func sorted(_ names: some Sequence<String>) -> [String] {
        names.sorted { left, right in
            let leftRank = known.firstIndex(of: left) ?? known.count
            let rightRank = known.firstIndex(of: right) ?? known.count
            return leftRank == rightRank ? left < right : leftRank < rightRank
        }
    }
}
