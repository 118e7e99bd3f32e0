import Foundation
import Reporting
import SnapshotPool
import Yams

/// The parsed YAML tree of one scenario file and the readers that turn its nodes into values, each
/// throwing a ``ScenarioError`` that names the file, the node's position and its key path.
struct ScenarioDocument {
    /// The file name errors carry.
    let file: String
    /// Keys renamed to get past Yams' own duplicate-key check, and what they were called.
    var renamedKeys: [String: String] = [:]
    /// Each rename as (line, column, how many Unicode scalars longer the text became), in order.
    var shifts: [(line: Int, column: Int, delta: Int)] = []

    /// The column of `mark` in the text as written, undoing the renames' shifts.
    func column(of mark: Mark) -> Int {
        var column = mark.column
        for shift in shifts.reversed() where shift.line == mark.line && column > shift.column {
            column -= shift.delta
        }
        return column
    }

    // MARK: - Errors

    func error(_ code: ScenarioError.Code, at node: Node?, path: String, _ message: String) -> ScenarioError {
        let mark = node?.mark
        return ScenarioError(
            code,
            file: file,
            line: mark?.line ?? 1,
            column: mark.map(column(of:)) ?? 1,
            keyPath: path,
            message: message
        )
    }

    func error(_ problem: Units.Problem, at node: Node, path: String) -> ScenarioError {
        error(problem.code, at: node, path: path, problem.message)
    }

    /// A person's name for what a node holds: "a list", "an integer (`3`)", "the string `x`".
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch node.tagName {
            case .null: return "nothing (null)"
            case .int: return "an integer (`\(scalar.string)`)"
            case .float: return "a number (`\(scalar.string)`)"
            case .bool: return "a boolean (`\(scalar.string)`)"
            default: return "the string `\(scalar.string)`"
            }
        }
    }

    // MARK: - Scalars

    /// A non-empty string; any scalar but null is read as written.
    func string(_ node: Node, path: String) throws -> String {
        guard case .scalar(let scalar) = node, node.tagName != .null else {
            throw error(.wrongType, at: node, path: path, "expected a string, found \(Self.describe(node))")
        }
        guard !scalar.string.trimmed.isEmpty else {
            throw error(.invalidValue, at: node, path: path, "must not be empty")
        }
        return scalar.string
    }

    /// The largest integer a count or size may be: far above any real pool or VM, far enough below
    /// `Int.max` that sums and products of them (`4 × warm_target`, `bursts × interval`) cannot overflow.
    static let largestInteger = 1_000_000_000

    /// An integer, at least `minimum` and at most `maximum`. `unit` (e.g. "MiB") words the error for `128MiB`.
    func integer(
        _ node: Node,
        path: String,
        minimum: Int,
        maximum: Int = largestInteger,
        unit: String? = nil
    ) throws -> Int {
        guard case .scalar(let scalar) = node, node.tagName == .int else {
            if let unit, case .scalar(let scalar) = node, node.tagName == .str {
                throw error(
                    .badUnit,
                    at: node,
                    path: path,
                    "`\(scalar.string)`: sizes are integers in \(unit), without a unit (e.g. `128`)"
                )
            }
            throw error(.wrongType, at: node, path: path, "expected an integer, found \(Self.describe(node))")
        }
        guard let value = node.int else {
            throw error(.invalidValue, at: node, path: path, "`\(scalar.string)` is out of range")
        }
        guard value >= minimum else {
            let what = minimum == 1 ? "must be positive" : "must be at least \(minimum)"
            throw error(.invalidValue, at: node, path: path, "\(what) (is \(value))")
        }
        guard value <= maximum else {
            throw error(.invalidValue, at: node, path: path, "must be at most \(maximum) (is \(value))")
        }
        return value
    }

    /// `true` or `false`.
    func bool(_ node: Node, path: String) throws -> Bool {
        guard node.tagName == .bool, let value = node.bool else {
            throw error(.wrongType, at: node, path: path, "expected true or false, found \(Self.describe(node))")
        }
        return value
    }

    /// One of an enumeration's raw values, as its case.
    func choice<Choice: CaseIterable & RawRepresentable>(_ node: Node, path: String) throws -> Choice
    where Choice.RawValue == String {
        let word = try self.word(node, path: path, from: Choice.allCases.map(\.rawValue))
        // `word` returned one of the raw values.
        return Choice(rawValue: word)!
    }

    /// One of `words`, with a suggestion when it is not.
    func word(_ node: Node, path: String, from words: [String]) throws -> String {
        let value = try string(node, path: path)
        guard words.contains(value) else {
            throw error(
                .invalidValue,
                at: node,
                path: path,
                "`\(value)` is not one of \(words.joined(separator: ", "))\(Suggestion.didYouMean(value, in: words))"
            )
        }
        return value
    }

    /// A duration such as `250ms`; zero only when `allowZero`.
    func duration(_ node: Node, path: String, allowZero: Bool = false) throws -> Duration {
        guard case .scalar(let scalar) = node, node.tagName != .null else {
            throw error(.wrongType, at: node, path: path, "expected a duration, found \(Self.describe(node))")
        }
        let value: Duration
        do {
            value = try Units.duration(scalar.string)
        } catch {
            throw self.error(error, at: node, path: path)
        }
        if !allowZero && value == .zero {
            throw error(.invalidValue, at: node, path: path, "must be longer than zero (is `\(scalar.string)`)")
        }
        return value
    }

    /// A plain number (an integer or a decimal), at least `minimum` and at most `maximum`.
    func number(_ node: Node, path: String, minimum: Double, maximum: Double) throws -> Double {
        guard case .scalar(let scalar) = node, node.tagName == .int || node.tagName == .float,
            let value = Double(scalar.string.replacingOccurrences(of: "_", with: ""))
        else {
            throw error(.wrongType, at: node, path: path, "expected a number, found \(Self.describe(node))")
        }
        guard value >= minimum, value <= maximum else {
            throw error(
                .invalidValue,
                at: node,
                path: path,
                "must be between \(formatNumber(minimum)) and \(formatNumber(maximum)) (is \(scalar.string))"
            )
        }
        return value
    }

    /// A rate such as `20/s`, in arrivals per second; zero only when `allowZero`.
    func rate(_ node: Node, path: String, allowZero: Bool = false) throws -> Double {
        guard case .scalar(let scalar) = node, node.tagName != .null else {
            throw error(.wrongType, at: node, path: path, "expected a rate, found \(Self.describe(node))")
        }
        let value: Double
        do {
            value = try Units.rate(scalar.string)
        } catch {
            throw self.error(error, at: node, path: path)
        }
        if !allowZero && value == 0 {
            throw error(.invalidValue, at: node, path: path, "must be above zero (is `\(scalar.string)`)")
        }
        return value
    }

    /// The items of a list.
    func list(_ node: Node, path: String, nonEmpty: Bool) throws -> [Node] {
        guard case .sequence(let sequence) = node else {
            throw error(.wrongType, at: node, path: path, "expected a list, found \(Self.describe(node))")
        }
        if nonEmpty && sequence.isEmpty {
            throw error(.invalidValue, at: node, path: path, "needs at least one entry")
        }
        return Array(sequence)
    }

    // MARK: - Distributions

    static let distributionKinds = ["fixed", "uniform", "exponential", "lognormal"]

    /// `{fixed: 5ms}`, `{uniform: [5ms, 20ms]}`, `{exponential: 10ms}`, `{lognormal: {median: 10ms, p95: 40ms}}`,
    /// or a bare duration as shorthand for `fixed`.
    func distribution(_ node: Node, path: String) throws -> LatencyDistribution {
        if case .scalar = node, node.tagName == .str {
            return .fixed(try duration(node, path: path, allowZero: true))
        }
        let fields = try Fields(node, path: path, document: self)
        try fields.rejectUnknown(allowed: Self.distributionKinds)
        guard fields.entries.count == 1, let entry = fields.entries.first else {
            let message =
                fields.entries.isEmpty
                ? "needs one of fixed, uniform, exponential, lognormal (e.g. `{fixed: 10ms}`)"
                : "names \(fields.entries.count) distributions; give exactly one of fixed, uniform, exponential, lognormal"
            throw error(.invalidValue, at: node, path: path, message)
        }
        let inner = fields.path(entry.key)
        switch entry.key {
        case "fixed":
            return .fixed(try duration(entry.value, path: inner, allowZero: true))
        case "exponential":
            return .exponential(mean: try duration(entry.value, path: inner))
        case "uniform":
            let bounds = try list(entry.value, path: inner, nonEmpty: false)
            guard bounds.count == 2 else {
                throw error(.invalidValue, at: entry.value, path: inner, "needs two bounds, e.g. `[5ms, 20ms]`")
            }
            let low = try duration(bounds[0], path: "\(inner)[0]", allowZero: true)
            let high = try duration(bounds[1], path: "\(inner)[1]", allowZero: true)
            guard low <= high else {
                throw error(
                    .invalidValue,
                    at: bounds[1],
                    path: "\(inner)[1]",
                    "the upper bound (\(Units.format(high))) is below the lower bound (\(Units.format(low)))"
                )
            }
            return .uniform(low, high)
        default:
            let parameters = try Fields(entry.value, path: inner, document: self)
            try parameters.rejectUnknown(allowed: ["median", "p95"])
            let median = try duration(parameters.required("median"), path: parameters.path("median"))
            let p95 = try duration(parameters.required("p95"), path: parameters.path("p95"))
            guard p95 >= median else {
                throw error(
                    .invalidValue,
                    at: parameters["p95"],
                    path: parameters.path("p95"),
                    "the 95th percentile (\(Units.format(p95))) is below the median (\(Units.format(median)))"
                )
            }
            return .logNormal(median: median, p95: p95)
        }
    }
}

/// The entries of one mapping, checked for duplicate keys when read and for unknown keys on request.
struct Fields {
    struct Entry {
        var key: String
        var keyNode: Node
        var value: Node
    }

    /// The mapping node.
    let node: Node
    /// Its key path (empty at the top level).
    let path: String
    let document: ScenarioDocument
    /// Its entries, in document order, keys as written (renamed duplicates restored).
    private(set) var entries: [Entry] = []

    /// Reads a mapping; throws for anything else, for keys that are not plain words, and for duplicate keys.
    init(_ node: Node, path: String, document: ScenarioDocument) throws {
        self.node = node
        self.path = path
        self.document = document
        guard case .mapping(let mapping) = node else {
            throw document.error(
                .wrongType,
                at: node,
                path: path,
                "expected a mapping, found \(ScenarioDocument.describe(node))"
            )
        }
        var seen: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode, keyNode.tagName != .null else {
                throw document.error(
                    .wrongType,
                    at: keyNode,
                    path: path,
                    "keys must be plain words, found \(ScenarioDocument.describe(keyNode))"
                )
            }
            let key = document.renamedKeys[scalar.string] ?? scalar.string
            if let first = seen[key] {
                let line = first.mark.map { " (first on line \($0.line))" } ?? ""
                throw document.error(.duplicateKey, at: keyNode, path: self.path(key), "duplicate key\(line)")
            }
            seen[key] = keyNode
            entries.append(Entry(key: key, keyNode: keyNode, value: value))
        }
    }

    /// The key path of `key` inside this mapping.
    func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value of `key`, if present.
    subscript(_ key: String) -> Node? { entries.first { $0.key == key }?.value }

    /// Whether `key` is present.
    func has(_ key: String) -> Bool { self[key] != nil }

    /// The value of `key`; throws ``ScenarioError/Code/missingKey`` at the mapping when absent.
    func required(_ key: String, hint: String = "") throws -> Node {
        guard let value = self[key] else {
            let within = path.isEmpty ? "" : " in `\(path)`"
            throw document.error(
                .missingKey,
                at: node,
                path: path(key),
                "required key `\(key)` is missing\(within)\(hint)"
            )
        }
        return value
    }

    /// Throws for the first key not in `allowed`: ``ScenarioError/Code/inapplicableKey`` with `inapplicable`'s
    /// message when it names the key, else ``ScenarioError/Code/unknownKey`` with the closest allowed key.
    func rejectUnknown(allowed: [String], inapplicable: [String: String] = [:]) throws {
        for entry in entries where !allowed.contains(entry.key) {
            if let reason = inapplicable[entry.key] {
                throw document.error(.inapplicableKey, at: entry.keyNode, path: path(entry.key), reason)
            }
            let hint = Suggestion.didYouMean(entry.key, in: allowed)
            let known = hint.isEmpty ? " (known keys: \(allowed.joined(separator: ", ")))" : hint
            throw document.error(.unknownKey, at: entry.keyNode, path: path(entry.key), "unknown key\(known)")
        }
    }
}

extension Node {
    /// The node's resolved tag (`Tag.name` is internal to Yams; its raw value is public).
    var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }
}
