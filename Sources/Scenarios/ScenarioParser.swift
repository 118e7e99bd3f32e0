import Firecracker
import Foundation
import HostSystem
package import Reporting
import SnapshotPool
import Yams

/// Reads scenario files (YAML, described in `Scenarios/README.md` and `Scenarios/scenario.schema.json`)
/// into validated ``Scenario`` values.
///
/// Everything is checked before a run starts: unknown keys (with the closest known key suggested),
/// duplicate keys, missing required keys, wrong types, values without their unit, impossible values,
/// keys that do not apply to the phase's executor, faults after the end, and gate expressions. The first
/// problem is thrown as a ``ScenarioError`` naming file, line, column and key path.
///
/// ```swift
/// do {
///     let scenario = try ScenarioParser.parse(file: "Scenarios/smoke.yaml")
///     print(scenario.name, ScenarioParser.totalDuration(of: scenario))
/// } catch let error as ScenarioError {
///     print(error)  // Scenarios/smoke.yaml:14:5: phases[1].rate: `10/sec` …
/// }
/// ```
public enum ScenarioParser {
    // MARK: - Entry points

    /// Reads and validates the scenario file at `path`.
    ///
    /// ```swift
    /// let scenario = try ScenarioParser.parse(file: "Scenarios/steady.yaml")
    /// ```
    ///
    /// - Parameter path: the file's path; errors name it as given.
    /// - Returns: the scenario, with every default filled in.
    /// - Throws: ``ScenarioError`` (``ScenarioError/Code/unreadableFile`` when the file cannot be read).
    package static func parse(file path: String) throws -> Scenario {
        try parse(yaml: try read(path), file: path)
    }

    private static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ScenarioError(
                .unreadableFile,
                file: path,
                line: 0,
                column: 0,
                keyPath: "",
                message: "cannot read the file as UTF-8 text: \(error.localizedDescription)"
            )
        }
    }

    /// Validates a scenario given as YAML text.
    ///
    /// ```swift
    /// let scenario = try ScenarioParser.parse(
    ///     yaml: """
    ///         name: tiny
    ///         description: one phase
    ///         pool: {warm_target: 2}
    ///         phases:
    ///           - {name: load, executor: constant-arrival-rate, rate: 10/s, duration: 5s}
    ///         """,
    ///     file: "tiny.yaml"
    /// )
    /// ```
    ///
    /// - Parameters:
    ///   - yaml: the document.
    ///   - file: the name errors carry.
    /// - Returns: the scenario, with every default filled in.
    /// - Throws: ``ScenarioError``.
    package static func parse(yaml: String, file: String) throws -> Scenario {
        try parseVariants(yaml: yaml, file: file)[0]
    }

    /// Checks a scenario document as ``parse(yaml:file:)`` does, every variant included, keeping nothing: the
    /// package's one entry point for code outside it (the parser's fuzzer in `Fuzz/`).
    ///
    /// ```swift
    /// do {
    ///     try ScenarioParser.validate(yaml: text, file: "mine.yaml")
    /// } catch let error as ScenarioError {
    ///     print(error)  // mine.yaml:3:5: pool.warm_targt: unknown key; did you mean `warm_target`?
    /// }
    /// ```
    ///
    /// - Throws: ``ScenarioError``, and nothing else.
    public static func validate(yaml: String, file: String) throws {
        _ = try parseVariants(yaml: yaml, file: file)
    }

    /// Reads a scenario file into the scenarios it runs: itself, or, when it has `variants`, one scenario per
    /// variant — the file with the variant's `vm` and `pool` keys laid over its own, named
    /// `<name>.<variant>` — so that each combination runs the same load.
    ///
    /// ```swift
    /// let runs = try ScenarioParser.parseVariants(file: "Scenarios/memory-backends.yaml")
    /// runs.map(\.name)  // ["memory-backends.file-warm", "memory-backends.file-cold", …]
    /// ```
    ///
    /// - Throws: ``ScenarioError``, for the file or for any variant (with the variant's line).
    package static func parseVariants(file path: String) throws -> [Scenario] {
        try parseVariants(yaml: try read(path), file: path)
    }

    /// ``parseVariants(file:)`` for YAML text; `file` is the name errors carry.
    package static func parseVariants(yaml: String, file: String) throws -> [Scenario] {
        var document = ScenarioDocument(file: file)
        let root = try compose(yaml, into: &document)
        let reader = ScenarioReader(document: document)
        return try reader.variantRoots(root).map { try reader.scenario($0) }
    }

    /// Parses one gate expression, as given to the CLI's `--gate` option.
    ///
    /// ```swift
    /// let gate = try ScenarioParser.parseGate("spawn_ms p95 < 50")
    /// gate.passes(42)  // true
    /// ```
    ///
    /// - Parameter text: `<metric> <statistic> <op> <number>`; ops are `<`, `<=`, `>`, `>=`, `==`.
    /// - Returns: the gate.
    /// - Throws: ``ScenarioError`` with file `--gate`, line 1 and the column of the offending word.
    package static func parseGate(_ text: String) throws -> Gate {
        do throws(Gate.ParseError) {
            return try Gate(parsing: text)
        } catch {
            throw ScenarioError(
                ScenarioError.Code(error.code),
                file: "--gate",
                line: 1,
                column: error.offset + 1,
                keyPath: "",
                message: error.message
            )
        }
    }

    /// Refuses a gate (given with `--gate`) that `scenario` cannot decide from the acquires it schedules.
    ///
    /// ```swift
    /// try ScenarioParser.checkDecidable(try ScenarioParser.parseGate("spawn_ms p99 < 40"), in: smoke)
    /// // --gate:1:1: `spawn_ms p99 < 40` cannot be decided by smoke: …
    /// ```
    ///
    /// - Throws: ``ScenarioError`` with code ``ScenarioError/Code/undecidableGate``.
    package static func checkDecidable(_ gate: Gate, in scenario: Scenario) throws {
        guard let problem = scenario.problem(deciding: gate) else { return }
        throw ScenarioError(
            .undecidableGate,
            file: "--gate",
            line: 1,
            column: 1,
            keyPath: "",
            message: "`\(gate.expression)` cannot be decided by \(scenario.name): \(problem)"
        )
    }

    /// How long a scenario's load lasts: the sum of its phases' lengths.
    ///
    /// A constant, Poisson or workers phase lasts its `duration`; a ramping phase the sum of its stages;
    /// a burst phase `(bursts − 1) × interval + spread` (from its first arrival to its last).
    ///
    /// ```swift
    /// ScenarioParser.totalDuration(of: try ScenarioParser.parse(file: "Scenarios/smoke.yaml"))  // 56 seconds
    /// ```
    package static func totalDuration(of scenario: Scenario) -> Duration {
        scenario.loadDuration
    }

    // MARK: - YAML

    /// Composes the YAML tree. Yams refuses duplicate keys itself, naming only the first occurrence: that
    /// occurrence is renamed (remembered in `document.renamedKeys`) and the text composed again, so the
    /// duplicate is reported by ``Fields`` at its second occurrence with its full key path. Each round
    /// composes the whole text again, so after ``maximumRenames`` rounds the duplicate Yams found is reported
    /// as it stands (at its first occurrence).
    private static let maximumRenames = 8

    private static func compose(_ yaml: String, into document: inout ScenarioDocument) throws -> Node {
        if let violation = YAMLLimits.check(yaml) {
            throw ScenarioError(
                .tooLarge,
                file: document.file,
                line: violation.line,
                column: violation.column,
                keyPath: "",
                message: violation.message
            )
        }
        var text = yaml
        for attempt in 0..<maximumRenames {
            do {
                guard let root = try Yams.compose(yaml: text) else {
                    throw document.error(.wrongType, at: nil, path: "", "the file is empty; a scenario is a mapping")
                }
                return root
            } catch let error as YamlError {
                if case .duplicatedKeysInMapping(let duplicates, let context) = error, let key = duplicates.first {
                    let sentinel = "snapbench_duplicate_\(attempt)_"
                    if attempt < maximumRenames - 1,
                        let (renamed, delta) = rename(key, at: context.mark, to: sentinel, in: text)
                    {
                        text = renamed
                        document.renamedKeys[sentinel] = key
                        document.shifts.append((context.mark.line, context.mark.column, delta))
                        continue
                    }
                    throw ScenarioError(
                        .duplicateKey,
                        file: document.file,
                        line: context.mark.line,
                        column: document.column(of: context.mark),
                        keyPath: key,
                        message: "duplicate key"
                    )
                }
                throw syntaxError(error, document: document)
            }
        }
        throw ScenarioError(
            .duplicateKey,
            file: document.file,
            line: 1,
            column: 1,
            keyPath: "",
            message: "too many duplicate keys"
        )
    }

    /// `text` with the key written at `mark` (1-based line and column, in Unicode scalars) replaced by
    /// `replacement`, and how many Unicode scalars longer the line became; `nil` when the key is not found
    /// there as written.
    private static func rename(
        _ key: String,
        at mark: Mark,
        to replacement: String,
        in text: String
    ) -> (text: String, delta: Int)? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let line = lines[mark.line - 1]
        let start = mark.column - 1
        guard start >= 0, start < line.count else { return nil }
        let keyScalars = Array(key.unicodeScalars)
        var length = keyScalars.count
        var from = start
        if line[start] == "\"" || line[start] == "'" {
            from += 1
            length += 2
        }
        guard from + keyScalars.count <= line.count, Array(line[from..<from + keyScalars.count]) == keyScalars,
            start + length <= line.count
        else { return nil }
        if length > keyScalars.count, line[start + length - 1] != line[start] { return nil }
        lines[mark.line - 1].replaceSubrange(start..<start + length, with: replacement.unicodeScalars)
        let text = lines.map { String(String.UnicodeScalarView($0)) }.joined(separator: "\n")
        return (text, replacement.unicodeScalars.count - length)
    }

    private static func syntaxError(_ error: YamlError, document: ScenarioDocument) -> ScenarioError {
        func make(_ mark: Mark?, _ message: String) -> ScenarioError {
            ScenarioError(
                .syntax,
                file: document.file,
                line: mark?.line ?? 0,
                column: mark.map(document.column(of:)) ?? 0,
                keyPath: "",
                message: "not valid YAML: \(message)"
            )
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { " (\($0.text))" } ?? ""
            return make(mark, "\(problem)\(detail)")
        case .reader(let problem, _, _, _):
            return make(nil, problem)
        default:
            return make(nil, "\(error)")
        }
    }
}
