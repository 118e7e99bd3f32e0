import Foundation

extension Gate {
    /// Why an expression is not a gate, and where in it (a 0-based offset in Unicode scalars).
    package struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The kind of problem.
        package enum Code: String, Sendable, Equatable {
            /// Not `<metric> <statistic> <op> <number>`.
            case badGate = "bad_gate"
            /// A metric no ``Metric`` names.
            case unknownMetric = "unknown_metric"
            /// A statistic the metric does not allow.
            case unsupportedStatistic = "unsupported_statistic"
        }

        package var code: Code
        package var message: String
        /// Where the offending word starts.
        package var offset: Int

        package var description: String { message }
    }

    /// The grammar, for messages.
    package static let grammar = "a gate is `<metric> <statistic> <op> <number>`, e.g. `spawn_ms p95 < 50`"

    /// Parses one expression, e.g. `spawn_ms p95 < 50`.
    ///
    /// ```swift
    /// let gate = try Gate(parsing: "late_starts rate < 0.01")
    /// ```
    ///
    /// - Throws: ``ParseError`` with the offset of the word at fault.
    package init(parsing text: String) throws(ParseError) {
        let tokens = Self.tokenize(text)
        let end = text.unicodeScalars.count
        func token(_ index: Int) -> Token? { index < tokens.count ? tokens[index] : nil }
        let names = Metric.allCases.map(\.rawValue)

        guard let metricToken = token(0), !metricToken.isOperator else {
            throw ParseError(
                code: .badGate,
                message: "expected a metric; \(Self.grammar)",
                offset: token(0)?.offset ?? 0
            )
        }
        guard let metric = Metric(rawValue: metricToken.text) else {
            throw ParseError(
                code: .unknownMetric,
                message: "unknown metric `\(metricToken.text)`\(Suggestion.didYouMean(metricToken.text, in: names)) "
                    + "(metrics: \(names.sorted().joined(separator: ", ")))",
                offset: metricToken.offset
            )
        }
        let allowed = metric.statistics.map(\.rawValue).joined(separator: ", ")
        guard let statisticToken = token(1), !statisticToken.isOperator else {
            throw ParseError(
                code: .badGate,
                message: "expected a statistic after `\(metric.rawValue)` (one of \(allowed)); \(Self.grammar)",
                offset: token(1)?.offset ?? end
            )
        }
        guard let statistic = Statistic(rawValue: statisticToken.text), metric.statistics.contains(statistic) else {
            let what =
                Statistic(rawValue: statisticToken.text) != nil ? "is not supported for" : "is not a statistic of"
            throw ParseError(
                code: .unsupportedStatistic,
                message: "`\(statisticToken.text)` \(what) `\(metric.rawValue)`; it supports \(allowed)",
                offset: statisticToken.offset
            )
        }
        guard let op = token(2), op.isOperator else {
            throw ParseError(
                code: .badGate,
                message: "expected a comparison (<, <=, >, >=, ==) after `\(statistic.rawValue)`; \(Self.grammar)",
                offset: token(2)?.offset ?? end
            )
        }
        guard let comparison = Comparison(rawValue: op.text) else {
            throw ParseError(
                code: .badGate,
                message:
                    "`\(op.text)` is not a comparison (use <, <=, >, >=, ==)\(op.text == "=" ? "; write `==`" : "")",
                offset: op.offset
            )
        }
        guard let number = token(3), !number.isOperator else {
            throw ParseError(
                code: .badGate,
                message: "expected a number after `\(op.text)`; \(Self.grammar)",
                offset: token(3)?.offset ?? end
            )
        }
        guard Self.isNumber(number.text), let threshold = Double(number.text), threshold.isFinite else {
            throw ParseError(
                code: .badGate,
                message: "`\(number.text)` is not a number (thresholds are plain numbers in the metric's unit)",
                offset: number.offset
            )
        }
        if let extra = token(4) {
            throw ParseError(
                code: .badGate,
                message: "unexpected `\(extra.text)` after the threshold",
                offset: extra.offset
            )
        }
        if statistic == .rate, !(0...1).contains(threshold) {
            throw ParseError(
                code: .badGate,
                message: "a rate is a fraction of scheduled acquires, between 0 and 1 (is \(number.text))",
                offset: number.offset
            )
        }
        self.init(
            metric: metric,
            statistic: statistic,
            comparison: comparison,
            threshold: threshold,
            expression: text.trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }

    private struct Token {
        var text: String
        var offset: Int
        var isOperator: Bool
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
