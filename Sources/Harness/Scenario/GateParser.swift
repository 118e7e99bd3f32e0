/// Reads gate expressions: `<metric> <statistic> <op> <number>`, e.g. `spawn_ms p95 < 50`.
enum GateParser {
    /// Why an expression was refused, and where in it (a 0-based offset in Unicode scalars).
    struct Problem: Error {
        var code: ScenarioError.Code
        var message: String
        var offset: Int
    }

    static let grammar = "a gate is `<metric> <statistic> <op> <number>`, e.g. `spawn_ms p95 < 50`"

    /// Every metric a gate may name.
    static var metrics: Set<String> { GateMetric.latencies.union(GateMetric.memory).union(GateMetric.counts) }

    private struct Token {
        var text: String
        var offset: Int
        var isOperator: Bool
    }

    /// Parses one expression.
    static func parse(_ text: String) throws(Problem) -> Gate {
        let tokens = tokenize(text)
        let end = text.unicodeScalars.count
        func token(_ index: Int) -> Token? { index < tokens.count ? tokens[index] : nil }

        guard let metric = token(0), !metric.isOperator else {
            throw Problem(code: .badGate, message: "expected a metric; \(grammar)", offset: token(0)?.offset ?? 0)
        }
        guard let statistics = GateMetric.statistics(for: metric.text) else {
            let hint = Suggestion.didYouMean(metric.text, in: metrics)
            throw Problem(
                code: .unknownMetric,
                message:
                    "unknown metric `\(metric.text)`\(hint) (metrics: \(metrics.sorted().joined(separator: ", ")))",
                offset: metric.offset
            )
        }
        guard let statistic = token(1), !statistic.isOperator else {
            throw Problem(
                code: .badGate,
                message: "expected a statistic after `\(metric.text)` (one of \(list(statistics))); \(grammar)",
                offset: token(1)?.offset ?? end
            )
        }
        guard statistics.contains(statistic.text) else {
            let known = GateMetric.latencyStatistics.union(GateMetric.memoryStatistics).union(
                GateMetric.countStatistics
            )
            let what = known.contains(statistic.text) ? "is not supported for" : "is not a statistic of"
            throw Problem(
                code: .unsupportedStatistic,
                message: "`\(statistic.text)` \(what) `\(metric.text)`; it supports \(list(statistics))",
                offset: statistic.offset
            )
        }
        guard let op = token(2), op.isOperator else {
            throw Problem(
                code: .badGate,
                message: "expected a comparison (<, <=, >, >=, ==) after `\(statistic.text)`; \(grammar)",
                offset: token(2)?.offset ?? end
            )
        }
        guard let comparison = Gate.Comparison(rawValue: op.text) else {
            let hint = op.text == "=" ? "; write `==`" : ""
            throw Problem(
                code: .badGate,
                message: "`\(op.text)` is not a comparison (use <, <=, >, >=, ==)\(hint)",
                offset: op.offset
            )
        }
        guard let number = token(3), !number.isOperator else {
            throw Problem(
                code: .badGate,
                message: "expected a number after `\(op.text)`; \(grammar)",
                offset: token(3)?.offset ?? end
            )
        }
        guard isNumber(number.text), let threshold = Double(number.text), threshold.isFinite else {
            throw Problem(
                code: .badGate,
                message: "`\(number.text)` is not a number (thresholds are plain numbers in the metric's unit)",
                offset: number.offset
            )
        }
        if let extra = token(4) {
            throw Problem(
                code: .badGate,
                message: "unexpected `\(extra.text)` after the threshold",
                offset: extra.offset
            )
        }
        if statistic.text == "rate", !(0...1).contains(threshold) {
            throw Problem(
                code: .badGate,
                message: "a rate is a fraction of scheduled acquires, between 0 and 1 (is \(number.text))",
                offset: number.offset
            )
        }
        return Gate(
            metric: metric.text,
            statistic: statistic.text,
            comparison: comparison,
            threshold: threshold,
            expression: text.trimmed
        )
    }

    private static func list(_ statistics: Set<String>) -> String {
        let order = ["p50", "p90", "p95", "p99", "p999", "min", "max", "mean", "last", "count", "rate"]
        return statistics.sorted { (order.firstIndex(of: $0) ?? 99) < (order.firstIndex(of: $1) ?? 99) }
            .joined(separator: ", ")
    }

    /// Digits with an optional sign, fraction and exponent: `50`, `0.01`, `-1`, `1e3`.
    private static func isNumber(_ text: String) -> Bool {
        let allowed = Set("0123456789.eE+-")
        return !text.isEmpty && text.allSatisfy { allowed.contains($0) } && text.contains { $0.isNumber }
    }

    /// Splits into words (runs of anything but whitespace and `<>=!`) and operators (runs of `<>=!`).
    private static func tokenize(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var current: Token?
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            if scalar.properties.isWhitespace {
                if let token = current { tokens.append(token) }
                current = nil
                continue
            }
            let isOperator = "<>=!".unicodeScalars.contains(scalar)
            if var token = current, token.isOperator == isOperator {
                token.text.unicodeScalars.append(scalar)
                current = token
            } else {
                if let token = current { tokens.append(token) }
                current = Token(text: String(scalar), offset: offset, isOperator: isOperator)
            }
        }
        if let token = current { tokens.append(token) }
        return tokens
    }
}
