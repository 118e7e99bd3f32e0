/// A pass/fail condition on one statistic of one metric: `metric statistic operator threshold`, e.g.
/// `spawn_ms p95 < 50`. Scenario files and `--gate` are parsed into it, and every ``GateResult`` holds the
/// gate it judged.
///
/// ```swift
/// let gate = try Gate(parsing: "spawn_ms p95 < 50")
/// gate.metric       // .spawn
/// gate.passes(42)   // true
/// ```
package struct Gate: Sendable, Equatable, Codable {
    /// Comparison operators.
    package enum Comparison: String, Sendable, Codable, CaseIterable {
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
        case equal = "=="

        /// Whether a smaller value is the passing side (`<`, `<=`).
        package var wantsSmaller: Bool { self == .less || self == .lessOrEqual }
    }

    /// What it measures.
    package var metric: Metric
    /// Which statistic of it.
    package var statistic: Statistic
    /// The comparison.
    package var comparison: Comparison
    /// The threshold, in the metric's unit (a fraction for `rate`).
    package var threshold: Double
    /// The expression as written.
    package var expression: String

    package init(
        metric: Metric,
        statistic: Statistic,
        comparison: Comparison,
        threshold: Double,
        expression: String? = nil
    ) {
        self.metric = metric
        self.statistic = statistic
        self.comparison = comparison
        self.threshold = threshold
        self.expression =
            expression ?? "\(metric.rawValue) \(statistic.rawValue) \(comparison.rawValue) \(Self.format(threshold))"
    }

    /// Whether `value` passes.
    package func passes(_ value: Double) -> Bool {
        switch comparison {
        case .less: value < threshold
        case .lessOrEqual: value <= threshold
        case .greater: value > threshold
        case .greaterOrEqual: value >= threshold
        case .equal: value == threshold
        }
    }

    /// "50", "0.01", "1e-05": the shortest form that reads back the same.
    package static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
