/// A gate expression split into its parts, e.g. `spawn_ms p95 < 50`; reports read targets from it.
///
/// The harness owns gate parsing and evaluation; this reads back only the four-token form it writes.
struct GateExpression: Sendable, Equatable {
    var metric: String
    var statistic: String
    var comparison: String
    var threshold: Double

    init?(_ expression: String) {
        let tokens = expression.split(whereSeparator: \.isWhitespace).map(String.init)
        guard tokens.count == 4, ["<", "<=", ">", ">=", "=="].contains(tokens[2]), let threshold = Double(tokens[3])
        else { return nil }
        metric = tokens[0]
        statistic = tokens[1]
        comparison = tokens[2]
        self.threshold = threshold
    }

    /// The percentile a latency statistic names (`p95` → 95, `p999` → 99.9), or `nil`.
    var percentile: Double? {
        switch statistic {
        case "p50": 50
        case "p90": 90
        case "p95": 95
        case "p99": 99
        case "p999": 99.9
        default: nil
        }
    }
}
