import Reporting

/// Why a scenario file (or a `--gate` expression) was refused: what, where, and how to fix it.
///
/// Every error names the file, the line and column (1-based; 0 when there is no position, as for a gate
/// given on the command line), the key path (`phases[1].rate`) and a sentence for a person. Its
/// `description` is the compiler-style `file:line:column: key: message`.
///
/// ```swift
/// do {
///     _ = try ScenarioParser.parse(file: "Scenarios/smoke.yaml")
/// } catch let error as ScenarioError where error.code == .unknownKey {
///     print(error)  // Scenarios/smoke.yaml:7:3: pool.warm_targt: unknown key; did you mean `warm_target`?
/// }
/// ```
public struct ScenarioError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of problem. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name, used in reports and tests.
        public let name: String

        private init(_ name: String) { self.name = name }

        /// The file could not be read.
        package static let unreadableFile = Code("unreadable_file")
        /// The text is not well-formed YAML, or holds more than one document.
        package static let syntax = Code("syntax")
        /// The document is larger than a scenario may be: over 1 MiB of text, or over 10,000 nodes once its
        /// aliases are expanded (an alias bomb).
        package static let tooLarge = Code("too_large")
        /// A key the format does not define (the message suggests the closest known key).
        package static let unknownKey = Code("unknown_key")
        /// A key that is defined, but not for this executor or guest (e.g. `rate` on a `burst` phase).
        package static let inapplicableKey = Code("inapplicable_key")
        /// The same key twice in one mapping.
        package static let duplicateKey = Code("duplicate_key")
        /// A required key is absent.
        package static let missingKey = Code("missing_key")
        /// A value of the wrong kind (a list where a mapping belongs, a string where an integer belongs…).
        package static let wrongType = Code("wrong_type")
        /// A duration, rate or size without its unit or with a unit the format does not know.
        package static let badUnit = Code("bad_unit")
        /// A value that is well-formed but impossible: zero or negative, out of range, inconsistent with
        /// another value (`warm_target` above `maximum_vms`), or not one of the allowed words.
        package static let invalidValue = Code("invalid_value")
        /// A fault placed after the scenario's end.
        package static let faultOutOfRange = Code("fault_out_of_range")
        /// A gate names a metric `Metric` does not define.
        package static let unknownMetric = Code("unknown_metric")
        /// A gate names a statistic its metric does not support (`errors p95`).
        package static let unsupportedStatistic = Code("unsupported_statistic")
        /// A gate expression that is not `<metric> <statistic> <op> <number>`.
        package static let badGate = Code("bad_gate")
        /// A gate the scenario cannot decide from the acquires it schedules (a 1 % rate of 40 arrivals; the p99
        /// of 40 samples).
        package static let undecidableGate = Code("undecidable_gate")

        /// The code for a gate expression's parse error.
        init(_ code: Gate.ParseError.Code) {
            self.init(code.rawValue)
        }

        /// The stable name, e.g. `unknown_key`.
        public var description: String { name }
    }

    /// The kind of problem.
    public var code: Code
    /// The file (or `--gate` for an expression given on the command line).
    public var file: String
    /// The 1-based line, or 0 when unknown.
    public var line: Int
    /// The 1-based column, or 0 when unknown.
    public var column: Int
    /// Where in the document: `pool.warm_target`, `phases[1].rate`, `gates[0]`; empty for the whole file.
    public var keyPath: String
    /// What is wrong and, where possible, how to fix it.
    public var message: String

    /// Creates an error.
    ///
    /// ```swift
    /// let error = ScenarioError(.missingKey, file: "x.yaml", line: 1, column: 1, keyPath: "name", message: "required")
    /// ```
    package init(_ code: Code, file: String, line: Int, column: Int, keyPath: String, message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    /// `file:line:column: key: message`; the position is left out when unknown, the key when empty.
    public var description: String {
        var text = file
        if line > 0 { text += ":\(line):\(column)" }
        text += ": "
        if !keyPath.isEmpty { text += "\(keyPath): " }
        return text + message
    }
}
