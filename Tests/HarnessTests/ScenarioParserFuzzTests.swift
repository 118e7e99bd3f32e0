import Foundation
import Harness
import HostSystem
import Randomness
import Scenarios
import SnapshotPool
import TestSupport
import Testing

/// Structure-aware, seeded fuzzing of the scenario parser: every shipped scenario is mutated (bytes, lines,
/// keys, values, nesting, anchors and aliases, splices between files) and every input must end as a
/// `Scenario` or a `ScenarioError` naming the file and a line inside it, within a time bound — never a
/// crash, never a hang.
@Suite("Scenario parser fuzzing", .timeLimit(.minutes(1)))
struct ScenarioParserFuzzTests {
    static let scenariosDirectory = TestEnvironment.packageRoot + "/Scenarios"
    /// The longest any one input may take (debug build, 2 cores, other suites running beside it; the worst
    /// case, 4,900 duplicate keys just under the node bound, takes about 1-2.5 s there).
    static let perInputBound: Duration = .seconds(5)

    /// Every shipped scenario, as (file name, text).
    static func corpus() throws -> [(name: String, text: String)] {
        try FileManager.default.contentsOfDirectory(atPath: scenariosDirectory)
            .filter { $0.hasSuffix(".yaml") }
            .sorted()
            .map { ($0, try String(contentsOfFile: "\(scenariosDirectory)/\($0)", encoding: .utf8)) }
    }

    /// What one input ended as.
    enum Outcome {
        case parsed
        case refused(ScenarioError.Code)
    }

    /// Lines as YAML counts them: a mutation may insert `\r`, NEL or a Unicode line separator, each a break
    /// to the parser (a `\r\n` is one).
    static func yamlLineCount(_ text: String) -> Int {
        var lines = 1
        var afterCarriageReturn = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": if !afterCarriageReturn { lines += 1 }
            case "\r", "\u{85}", "\u{2028}", "\u{2029}": lines += 1
            default: break
            }
            afterCarriageReturn = scalar == "\r"
        }
        return lines
    }

    /// Parses `text` as `file`, checking the outcome's contract: a `ScenarioError` names `file` and a
    /// position inside the text (line 0 only for errors without a position), and the parse ends in time.
    static func check(_ text: String, file: String) throws -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome: Outcome
        do {
            _ = try ScenarioParser.parse(yaml: text, file: file)
            outcome = .parsed
        } catch let error as ScenarioError {
            let lines = yamlLineCount(text)
            #expect(error.file == file, "\(error)")
            #expect(error.line >= 0 && error.line <= lines + 1, "\(error) (the text has \(lines) lines)")
            #expect(error.column >= 0, "\(error)")
            #expect(!error.message.isEmpty)
            outcome = .refused(error.code)
        }
        let elapsed = clock.now - start
        #expect(elapsed < perInputBound, "an input took \(elapsed): \(text.prefix(300))")
        return outcome
    }

    // MARK: - The generator

    /// Keys the format defines, for renames that stay plausible.
    static let keys = [
        "name", "description", "seed", "backend", "vm", "pool", "phases", "faults", "gates", "guest",
        "working_set_mib", "memory_mib", "vcpus", "kernel", "rootfs", "boot_args", "boot_pattern",
        "resume_pattern", "warm_target", "maximum_vms", "refill_concurrency", "acquire_timeout",
        "readiness_timeout", "maximum_warm_age", "elevated_warm_floor", "pressure_interval", "cgroup_limit_mib",
        "warmup", "executor", "hold", "rate", "duration", "start_rate", "stages", "target", "count", "spread",
        "bursts", "interval", "think_time", "kind", "at", "fixed", "uniform", "exponential", "lognormal",
        "median", "p95", "<<", "? complex", "warm_targt", "Name", "phases ", "\"pool\"", "'seed'", "名前",
    ]

    /// Values of every wrong kind: types, units, ranges, numbers at the edges, unicode, YAML oddities.
    static let values = [
        "~", "null", "", "true", "no", "yes", "[]", "{}", "[1, 2]", "{a: 1}", "{fixed: 5ms}",
        "{uniform: [30ms, 10ms]}", "{lognormal: {median: 10ms, p95: 1ms}}", "{exponential: 0s}",
        "0", "1", "-1", "2", "32", "33", "1.5", "0x10", "0o7", "1_000", "1e3", "1e400", ".inf", "-.inf", ".nan",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551615",
        "99999999999999999999999999999999999999", "4611686018427387904", "2305843009213693952",
        "10/s", "0/s", "-1/s", "1000001/s", "1e300/s", "10/x", "10 / m", "10/", "/s", "10//s", "1.2.3/s",
        "5s", "0s", "-5s", "5", "5 parsecs", "1e300s", "30d", "2592001s", "2592000s", "720h", "721h",
        "0.0000001ns", ".5s", "5.s", "100µs", "100us", "1ms", "43200m", "99999999999999999999h",
        "constant-arrival-rate", "ramping-arrival-rate", "burst", "poisson", "workers", "constant-rate",
        "simulated", "firecracker", "auto", "builtin", "linux",
        "spawn_ms p95 < 50", "errors count == 0", "late_starts rate < 2", "spawn_ms p95", "nope p95 < 1",
        "\"quoted\"", "'single'", "|\n  block\n  text", ">-\n  folded", "\"\\u0000\"", "\"\\xff\"",
        "名前", "🚀🚀", "\u{202E}evil", "a\u{200B}b", "\u{FEFF}bom", "\t", "  ", "#comment",
        "!!binary aGVsbG8=", "!!int 12", "!!str 12", "!custom x", "!!timestamp 2001-12-14", "&anchor 5", "*nowhere",
        String(repeating: "x", count: 5_000), String(repeating: "9", count: 400),
    ]

    /// Text fragments inserted at random places.
    static let fragments = [
        "\n---\n", "\n...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "\t", "\r\n", "\r", "\u{0}", "\u{7}",
        "\u{FEFF}", "\u{85}", "\u{2028}", "&a ", "*a", "<<: *a\n", "? ", ": ", "- ", "[", "]", "{", "}", ",",
        "\"", "'", "|", ">", "#", "@", "`", "%", "!", "&", "*", "\\", "名", "🚀", "  ", "\n  - ",
    ]

    /// One random change to `text` (lines, keys, values, structure, aliases, bytes).
    static func mutate(
        _ text: [Unicode.Scalar],
        others: [[Unicode.Scalar]],
        using random: inout SplitMix64
    ) -> [Unicode.Scalar] {
        var text = text
        func index(_ limit: Int) -> Int { limit <= 0 ? 0 : Int.random(in: 0..<limit, using: &random) }
        func lineRange(at position: Int) -> Range<Int> {
            let start = text[..<min(position, text.count)].lastIndex(of: "\n").map { $0 + 1 } ?? 0
            let end = text[min(position, text.count)...].firstIndex(of: "\n").map { $0 + 1 } ?? text.count
            return start..<end
        }
        /// The value part of a random `key: value` line: (range of the key, range of the value).
        func keyValue() -> (key: Range<Int>, value: Range<Int>)? {
            for _ in 0..<8 {
                let line = lineRange(at: index(text.count))
                let scalars = Array(text[line])
                guard let colon = scalars.firstIndex(of: ":") else { continue }
                let keyStart = scalars.firstIndex { $0 != " " && $0 != "-" } ?? 0
                guard keyStart < colon else { continue }
                let valueEnd = scalars.last == "\n" ? scalars.count - 1 : scalars.count
                let valueStart = min(colon + 2, valueEnd)
                return (
                    line.lowerBound + keyStart..<line.lowerBound + colon,
                    line.lowerBound + valueStart..<line.lowerBound + valueEnd
                )
            }
            return nil
        }
        guard !text.isEmpty else { return Array("name: x".unicodeScalars) }
        switch index(16) {
        case 0:  // byte-level: replace one scalar
            let alphabet = Array("abz_019 -:#{}[],\"'&*!|>%@`?\t\n./smµ名🚀\u{0}\r".unicodeScalars)
            text[index(text.count)] = alphabet.randomElement(using: &random)!
        case 1:  // delete a range (up to a few lines)
            let start = index(text.count)
            text.removeSubrange(start..<min(text.count, start + 1 + index(120)))
        case 2:  // duplicate a line: duplicate keys, repeated items
            let line = lineRange(at: index(text.count))
            text.insert(contentsOf: text[line], at: line.upperBound)
        case 3:  // splice: lines of another file into this one
            let other = others.randomElement(using: &random)!
            let from = lineRange(at: index(other.count))
            let to = lineRange(at: index(text.count)).lowerBound
            text.insert(contentsOf: other[from.lowerBound..<min(other.count, from.upperBound + index(200))], at: to)
        case 4:  // rename a key
            if let (key, _) = keyValue() {
                text.replaceSubrange(key, with: keys.randomElement(using: &random)!.unicodeScalars)
            }
        case 5, 6:  // swap a value for one of the wrong kind
            if let (_, value) = keyValue() {
                text.replaceSubrange(value, with: values.randomElement(using: &random)!.unicodeScalars)
            }
        case 7:  // re-indent a line: tabs, one space more or less
            let line = lineRange(at: index(text.count))
            let options: [[Unicode.Scalar]] = [["\t"], [" "], ["\t", " "], [" ", " ", " ", " "]]
            if Bool.random(using: &random), text[line.lowerBound] == " " {
                text.remove(at: line.lowerBound)
            } else {
                text.insert(contentsOf: options.randomElement(using: &random)!, at: line.lowerBound)
            }
        case 8:  // deep nesting in a value
            if let (_, value) = keyValue() {
                let depth = 1 + (index(20) == 0 ? index(1_200) : index(60))
                let flow = Bool.random(using: &random)
                let open = String(repeating: flow ? "[" : "{a: ", count: depth)
                let close = String(repeating: flow ? "]" : "}", count: depth)
                text.replaceSubrange(value, with: (open + "1" + close).unicodeScalars)
            }
        case 9:  // anchor a value, alias it elsewhere (including as a key and a merge)
            if let (_, value) = keyValue() {
                let name = "a\(index(3))"
                text.insert(contentsOf: "&\(name) ".unicodeScalars, at: value.lowerBound)
                let uses = ["*\(name)", "[*\(name), *\(name)]", "{<<: *\(name)}", "{? *\(name) : 1}"]
                if let (_, other) = keyValue() {
                    text.replaceSubrange(other, with: uses.randomElement(using: &random)!.unicodeScalars)
                }
            }
        case 10:  // truncate
            text.removeSubrange(index(text.count)...)
        case 11:  // a YAML fragment somewhere
            text.insert(contentsOf: fragments.randomElement(using: &random)!.unicodeScalars, at: index(text.count))
        case 12:  // a new key with an odd value at the top or inside a mapping
            let line = lineRange(at: index(text.count))
            let indent = text[line].prefix { $0 == " " }
            let entry = "\(keys.randomElement(using: &random)!): \(values.randomElement(using: &random)!)\n"
            text.insert(contentsOf: Array(indent) + Array(entry.unicodeScalars), at: line.lowerBound)
        case 13:  // swap two lines
            let first = lineRange(at: index(text.count))
            let second = lineRange(at: index(text.count))
            if first.upperBound <= second.lowerBound {
                let a = Array(text[first])
                let b = Array(text[second])
                text.replaceSubrange(second, with: a)
                text.replaceSubrange(first, with: b)
            }
        case 14:  // a huge number of list items or keys
            if let (_, value) = keyValue() {
                let items = (0..<(1 + index(300))).map { "i\($0)" }.joined(separator: ", ")
                text.replaceSubrange(
                    value,
                    with: (Bool.random(using: &random) ? "[\(items)]" : "{\(items)}").unicodeScalars
                )
            }
        default:  // random unicode scalars in a run
            let start = index(text.count)
            let run = (0..<(1 + index(16))).compactMap { _ in
                Unicode.Scalar(UInt32.random(in: 0...0x10FFFF, using: &random))
            }
            text.insert(contentsOf: run, at: start)
        }
        return text
    }

    // MARK: - The run

    @Test("validate, the fuzzer's entry point, accepts what parse accepts (variants too) and refuses what it refuses")
    func validateMatchesParse() throws {
        for (name, text) in try Self.corpus() {
            try ScenarioParser.validate(yaml: text, file: name)
        }
        let typo = "name: t\ndescription: d\npool: {warm_targt: 2}\n"
        let refused = #expect(throws: ScenarioError.self) { try ScenarioParser.validate(yaml: typo, file: "typo.yaml") }
        #expect(
            refused?.code == .unknownKey && refused?.file == "typo.yaml" && refused?.line == 3,
            "\(String(describing: refused))"
        )
        // A variant's own mistake is found too, as parse(yaml:file:) of that variant would.
        let variant =
            "name: v\ndescription: d\nphases:\n  - {name: p, executor: constant-arrival-rate, rate: 1/s, duration: 1s}\n"
            + "variants:\n  - {name: a, pool: {warm_target: -1}}\n"
        #expect(throws: ScenarioError.self) { try ScenarioParser.validate(yaml: variant, file: "variant.yaml") }
    }

    @Test("Mutations of every shipped scenario end as a Scenario or a ScenarioError naming the file and line")
    func mutatedScenarios() throws {
        let corpus = try Self.corpus()
        #expect(corpus.count >= 5)
        let originals = corpus.map { Array($0.text.unicodeScalars) }
        var random = SplitMix64(seed: 20_260_501)
        let inputs = ProcessInfo.processInfo.environment["SNAPBENCH_FUZZ_INPUTS"].flatMap { Int($0) } ?? 1_500
        var parsed = 0
        var refused: [String: Int] = [:]
        let clock = ContinuousClock()
        let start = clock.now
        for number in 0..<inputs {
            let which = number % corpus.count
            var text = originals[which]
            for _ in 0..<(1 + Int.random(in: 0..<4, using: &random)) {
                text = Self.mutate(text, others: originals, using: &random)
            }
            let file = "fuzz/\(corpus[which].name)"
            switch try Self.check(String(String.UnicodeScalarView(text)), file: file) {
            case .parsed: parsed += 1
            case .refused(let code): refused[code.name, default: 0] += 1
            }
        }
        let refusedTotal = refused.values.reduce(0, +)
        #expect(parsed + refusedTotal == inputs)
        // Both ends are reached: the generator keeps some files valid and breaks most.
        #expect(parsed > inputs / 50 && refusedTotal > inputs / 2)
        // Mutations reach the reader's checks, not only the YAML syntax check.
        #expect(refused.count >= 8, "\(refused)")
        let summary = refused.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print(
            "fuzz: scenario parser \(inputs) inputs, \(parsed) parsed, \(refusedTotal) refused (\(summary)), "
                + "0 crashes, 0 over \(Self.perInputBound), in \(clock.now - start)"
        )
    }

    // MARK: - Adversarial documents (each a regression input)

    /// Documents built to exhaust the parser: alias bombs, deep nesting, huge text, numbers that overflow.
    static let adversarial: [(label: String, text: String)] = [
        ("billion laughs as a value", laughs(levels: 9, width: 9, use: "description: *l9\n")),
        ("billion laughs as a mapping key", laughs(levels: 9, width: 9, use: "? *l9\n: 1\n")),
        ("billion laughs in a key list", laughs(levels: 9, width: 9, use: "[*l9, *l9]: 1\n")),
        ("billion laughs behind a merge key", laughs(levels: 9, width: 9, use: "pool: {<<: *l9}\n")),
        ("two equal huge keys", laughs(levels: 8, width: 8, use: "? *l8\n: 1\n? *l8\n: 2\n")),
        (
            "deep flow nesting",
            "name: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        ),
        (
            "deep block nesting",
            (0..<2_000).map { String(repeating: " ", count: $0) + "k\($0):\n" }.joined()
        ),
        ("a long document", "name: x\ndescription: \(String(repeating: "y", count: 3_000_000))\n"),
        ("many keys", (0..<200_000).map { "k\($0): \($0)\n" }.joined()),
        ("many duplicate keys", String(repeating: "name: x\n", count: 6_000)),
        ("4,900 duplicate keys, just under the node bound", String(repeating: "name: x\n", count: 4_900)),
        ("twenty duplicate keys", String(repeating: "name: x\n", count: 20)),
        (
            "a wide alias fan-out",
            "a: &a [" + Array(repeating: "x", count: 200).joined(separator: ",") + "]\nb: ["
                + Array(repeating: "*a", count: 200).joined(separator: ",") + "]\n"
        ),
        ("huge warm target", minimal(pool: "{warm_target: 9223372036854775807}")),
        ("huge warm target, no maximum", minimal(pool: "{warm_target: 4611686018427387904}")),
        ("huge working set", minimal(vm: "{working_set_mib: 9223372036854775807}")),
        ("huge memory", minimal(vm: "{memory_mib: 9223372036854775807, working_set_mib: 9223372036854775000}")),
        (
            "huge burst count and interval",
            minimal(phase: "{name: b, executor: burst, count: 1, bursts: 9223372036854775807, interval: 30d}")
        ),
        (
            "huge bursts across phases",
            minimal(
                phases: (0..<3).map {
                    "{name: b\($0), executor: burst, count: 1, bursts: 1000000, interval: 720h}"
                }
            )
        ),
        (
            "huge worker count",
            minimal(phase: "{name: w, executor: workers, count: 9223372036854775807, duration: 30d}")
        ),
        ("huge seed", minimal(extra: "seed: 18446744073709551615")),
        (
            "every phase 30 days",
            minimal(phases: (0..<100).map { "{name: p\($0), executor: poisson, rate: 1/s, duration: 720h}" })
        ),
    ]

    /// A valid scenario with one part replaced.
    static func minimal(
        pool: String = "{warm_target: 2}",
        vm: String? = nil,
        phase: String = "{name: load, executor: constant-arrival-rate, rate: 10/s, duration: 5s}",
        phases: [String]? = nil,
        extra: String = ""
    ) -> String {
        let list = (phases ?? [phase]).map { "  - \($0)\n" }.joined()
        return
            "name: fuzz\ndescription: adversarial\n\(extra)\n\(vm.map { "vm: \($0)\n" } ?? "")pool: \(pool)\nphases:\n\(list)"
    }

    /// The billion-laughs document: `levels` anchors, each a list of `width` aliases of the one before.
    static func laughs(levels: Int, width: Int, use: String) -> String {
        var text = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...levels {
            let items = Array(repeating: "*l\(level - 1)", count: width).joined(separator: ", ")
            text += "l\(level): &l\(level) [\(items)]\n"
        }
        return text + use
    }

    @Test("Adversarial documents are refused (or parsed) in bounded time", arguments: adversarial.map(\.label))
    func adversarialDocument(label: String) throws {
        let text = Self.adversarial.first { $0.label == label }!.text
        let outcome = try Self.check(text, file: "adversarial.yaml")
        guard case .refused(let code) = outcome else {
            Issue.record("`\(label)` parsed; every adversarial document is invalid")
            return
        }
        // Alias bombs and oversized texts are refused by the size bounds, before Yams composes a tree.
        if label.contains("laughs") || label.contains("fan-out") || label.hasPrefix("a long") || label.hasPrefix("many")
        {
            #expect(code == .tooLarge, "\(label): \(code)")
        }
        if label == "twenty duplicate keys" { #expect(code == .duplicateKey) }
    }
}
