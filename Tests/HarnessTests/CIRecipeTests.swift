import Foundation
import TestSupport
import Testing
import Yams

/// The CI recipe in `docs/ci/` is copied into other repositories and run on KVM hosts nobody here watches: a
/// renamed flag or a moved script must fail here, not in someone's release sign-off.
@Suite("the CI recipe in docs/ci/", .timeLimit(.minutes(2)))
struct CIRecipeTests {
    private static let workflowPath = TestEnvironment.packageRoot + "/docs/ci/github-actions.yml"

    private static func workflow() throws -> Workflow {
        try Workflow(yaml: String(contentsOfFile: workflowPath, encoding: .utf8))
    }

    @Test("the workflow has GitHub's shape: on, jobs, each job runs-on and steps, each step one of run or uses")
    func shape() throws {
        let workflow = try Self.workflow()
        #expect(workflow.problems.isEmpty, "\(workflow.problems)")
        #expect(Set(workflow.jobs.map(\.id)) == ["smoke", "ab", "sign-off"])
        for job in workflow.jobs {
            let labels = Workflow.value("runs-on", in: job.fields)?.sequence.map { $0.compactMap(\.string) } ?? []
            #expect(labels.contains("self-hosted") && labels.contains("kvm"), "jobs.\(job.id): \(labels)")
        }
    }

    @Test("every snapbench command line in the workflow is one the CLI accepts, and every script it calls exists")
    func commandLines() async throws {
        let text = try String(contentsOfFile: Self.workflowPath, encoding: .utf8)
        let problems = try await CIRecipe.problems(inWorkflow: text)
        #expect(problems.isEmpty, "\(problems)")
        // The commands the README describes for CI, as the jobs run them.
        let lines = try CIRecipe.invocations(in: Self.workflow()).map { $0.arguments.joined(separator: " ") }
        #expect(lines.contains("run smoke --output reports --no-progress"), "\(lines)")
        #expect(lines.contains("run faults-all --sign-off --output reports --no-progress"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("ab $base .build/release/snapbench ") }, "\(lines)")
    }

    @Test("the jobs keep their reports and the host to themselves; the A/B job can see its base and comment")
    func recipe() throws {
        let workflow = try Self.workflow()
        var groups: Set<String> = []
        for job in workflow.jobs {
            let concurrency = Workflow.value("concurrency", in: job.fields)?.mapping
            groups.insert(concurrency.flatMap { Workflow.value("group", in: $0)?.string } ?? "none")
            for step in job.steps where step.uses?.hasPrefix("actions/upload-artifact@") == true {
                // Reports matter most when the gate failed.
                let condition = Workflow.value("if", in: step.fields)?.string ?? ""
                #expect(condition.contains("always()"), "\(step.location) uploads only on success")
            }
        }
        #expect(groups.count == 1 && !groups.contains("none"), "benchmark jobs in groups \(groups)")
        let ab = try #require(workflow.jobs.first { $0.id == "ab" })
        let checkout = try #require(ab.steps.first { $0.uses?.hasPrefix("actions/checkout@") == true })
        let with = try #require(Workflow.value("with", in: checkout.fields)?.mapping)
        // A shallow clone has no base commit for `ab` to build.
        #expect(Workflow.value("fetch-depth", in: with)?.int == 0)
        let permissions = try #require(Workflow.value("permissions", in: ab.fields)?.mapping)
        #expect(Workflow.value("pull-requests", in: permissions)?.string == "write")
    }

    @Test("the checker reports what is wrong with a workflow, and nothing that is right")
    func checkerCatchesMistakes() async throws {
        let bad = """
            name: bad
            jobs:
              gate:
                steps:
                  - run: scripts/setup
                  - run: |
                      .build/release/snapbench run smoke --outptu reports
                      snapbench frobnicate --fast
                      snapbench ab main HEAD --no-progress
                      echo "snapbench run --bogus"
                      "$PWD/.build/release/snapbench" run smoke --output=out --gate "spawn_ms p95 < 50" --no-progress
                      scripts/no-such-script
                  - uses: actions/checkout@v4
                    run: echo both
                  - name: nothing

            """
        let problems = try await CIRecipe.problems(inWorkflow: bad)
        let expected = [
            "no `on`", "jobs.gate has no `runs-on`", "both `run` and `uses`", "neither `run` nor `uses`",
            "no option --outptu", "no subcommand `frobnicate`", "`snapbench ab --help` lists no option --no-progress",
            "scripts/no-such-script is not an executable file",
        ]
        for message in expected {
            #expect(problems.contains { $0.contains(message) }, "not reported: \(message) in \(problems)")
        }
        #expect(problems.count == expected.count, "\(problems)")
    }

    @Test("a command is found where the shell would run it: after assignments, ||, $( and if; not inside quotes")
    func commandWords() {
        let script = """
            status=0
            SNAPBENCH_STORE=none .build/release/snapbench run smoke \\
                --output reports --no-progress || status=$?
            echo "snapbench run --not-a-command"  # an echo is not a command
            base=$(git merge-base "$BASE" HEAD); "$bin/snapbench" ab "$base" ./snapbench 2>&1 | tee ab.log
            if snapbench doctor; then :; fi
            """
        #expect(
            CIRecipe.snapbenchArguments(in: script) == [
                ["run", "smoke", "--output", "reports", "--no-progress"],
                ["ab", "$base", "./snapbench", "2>&1"],
                ["doctor"],
            ]
        )
        #expect(CIRecipe.commands(in: "a 'b; c' \"d | e\"\\ f # g; h") == [["a", "b; c", "d | e f"]])
    }
}

/// A GitHub Actions workflow, as far as these checks need it.
private struct Workflow {
    struct Step {
        var location: String
        var fields: Node.Mapping
        var run: String? { Workflow.value("run", in: fields)?.string }
        var uses: String? { Workflow.value("uses", in: fields)?.string }
    }

    struct Job {
        var id: String
        var fields: Node.Mapping
        var steps: [Step]
    }

    var jobs: [Job] = []
    /// What would keep GitHub from running it, one line each.
    var problems: [String] = []

    /// Composed, not loaded: Yams resolves YAML 1.1 booleans, so `Yams.load` turns the key `on` into `true`;
    /// a composed key keeps the text it was written as.
    init(yaml: String) throws {
        guard let root = try Yams.compose(yaml: yaml)?.mapping else {
            problems.append("the file is not a YAML mapping")
            return
        }
        let trigger = Self.value("on", in: root)
        if trigger == nil || trigger?.null != nil { problems.append("no `on`: nothing triggers the workflow") }
        guard let jobs = Self.value("jobs", in: root)?.mapping, !jobs.isEmpty else {
            problems.append("no `jobs`")
            return
        }
        for (key, fields) in jobs {
            let id = key.string ?? "?"
            guard let job = fields.mapping else {
                problems.append("jobs.\(id) is not a mapping")
                continue
            }
            if Self.value("runs-on", in: job) == nil { problems.append("jobs.\(id) has no `runs-on`") }
            let steps = Self.value("steps", in: job)?.sequence.map { Array($0) } ?? []
            if steps.isEmpty { problems.append("jobs.\(id) has no `steps`") }
            var parsed: [Step] = []
            for (index, node) in steps.enumerated() {
                var location = "jobs.\(id).steps[\(index)]"
                guard let step = node.mapping else {
                    problems.append("\(location) is not a mapping")
                    continue
                }
                if let name = Self.value("name", in: step)?.string { location += " (\(name))" }
                let kinds = ["run", "uses"].filter { Self.value($0, in: step) != nil }
                if kinds.isEmpty { problems.append("\(location) has neither `run` nor `uses`") }
                if kinds.count > 1 { problems.append("\(location) has both `run` and `uses`") }
                parsed.append(Step(location: location, fields: step))
            }
            self.jobs.append(Job(id: id, fields: job, steps: parsed))
        }
    }

    /// Looks a key up by its text, whatever type Yams resolved it to (`on` is a boolean to it).
    static func value(_ key: String, in mapping: Node.Mapping) -> Node? {
        mapping.first { $0.key.string == key }?.value
    }
}

/// Checks a workflow's shell steps against this repository and the real CLI.
private enum CIRecipe {
    struct Invocation {
        var location: String
        var arguments: [String]
    }

    /// Everything wrong with `yaml` as a workflow of this repository, one line each.
    static func problems(inWorkflow yaml: String) async throws -> [String] {
        let workflow = try Workflow(yaml: yaml)
        var problems = workflow.problems
        var help = CLIHelp()
        for invocation in invocations(in: workflow) {
            problems += try await self.problems(of: invocation, help: &help)
        }
        for job in workflow.jobs {
            for step in job.steps {
                for words in commands(in: step.run ?? "") {
                    guard var script = commandWords(words).first else { continue }
                    if script.hasPrefix("./") { script.removeFirst(2) }
                    guard script.hasPrefix("scripts/") else { continue }
                    if !FileManager.default.isExecutableFile(atPath: TestEnvironment.packageRoot + "/" + script) {
                        problems.append("\(step.location): \(script) is not an executable file of this repository")
                    }
                }
            }
        }
        return problems
    }

    static func invocations(in workflow: Workflow) -> [Invocation] {
        workflow.jobs.flatMap { job in
            job.steps.flatMap { step in
                snapbenchArguments(in: step.run ?? "").map { Invocation(location: step.location, arguments: $0) }
            }
        }
    }

    /// The arguments of each command in `script` whose command word is `snapbench` or a path ending in it.
    static func snapbenchArguments(in script: String) -> [[String]] {
        commands(in: script).compactMap { words -> [String]? in
            let command = commandWords(words)
            guard let first = command.first, first == "snapbench" || first.hasSuffix("/snapbench") else { return nil }
            return Array(command.dropFirst())
        }
    }

    /// Words that may stand before the command a line runs.
    private static let prefixes: Set<String> = [
        "if", "then", "else", "elif", "do", "while", "until", "!", "{", "time", "exec", "command", "sudo", "env",
    ]

    /// A simple command from its command word on: leading variable assignments and keywords skipped.
    static func commandWords(_ words: [String]) -> ArraySlice<String> {
        let start = words.firstIndex { word in
            guard !prefixes.contains(word) else { return false }
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex else { return true }
            return !word[..<equals].allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        }
        return start.map { words[$0...] } ?? []
    }

    /// The simple commands of a shell script, each as its words with the quotes taken off.
    ///
    /// Enough shell for a CI step, not all of it: quotes and backslashes are honoured, so an `echo` of a
    /// command line is not taken for one; a command ends at a line end, `;`, `&`, `|`, `(` or `)` outside
    /// quotes, so `a || b` and `x=$(b)` both find `b`; comments are dropped and `2>&1` stays one word.
    static func commands(in script: String) -> [[String]] {
        let characters = Array(script)
        var commands: [[String]] = []
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        func endWord() {
            if inWord { words.append(word) }
            word = ""
            inWord = false
        }
        func endCommand() {
            endWord()
            if !words.isEmpty { commands.append(words) }
            words = []
        }
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            index += 1
            if let open = quote {
                if character == open {
                    quote = nil
                } else if open == "\"", character == "\\", let next {
                    if !next.isNewline { word.append(next) }
                    index += 1
                } else {
                    word.append(character)
                }
                continue
            }
            if character.isNewline {
                endCommand()
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                inWord = true
            case "\\":
                if let next, !next.isNewline {
                    word.append(next)
                    inWord = true
                }
                if next != nil { index += 1 }
            case "#" where !inWord:
                while index < characters.count, !characters[index].isNewline { index += 1 }
            case " ", "\t":
                endWord()
            case "&" where word.hasSuffix(">") || next == ">":
                word.append(character)
            case ";", "&", "|", "(", ")":
                endCommand()
            default:
                word.append(character)
                inWord = true
            }
        }
        endCommand()
        return commands
    }

    /// What is wrong with one snapbench command line, judged by the `--help` of the command it names: that is
    /// what a user reads, and every option ArgumentParser accepts is listed there.
    private static func problems(of invocation: Invocation, help: inout CLIHelp) async throws -> [String] {
        let line = "\(invocation.location): snapbench \(invocation.arguments.joined(separator: " "))"
        var path: [String] = []
        var rest = invocation.arguments[...]
        guard var text = try await help.text(path) else { return ["\(line): `snapbench --help` failed"] }
        // Down the subcommands the words name; a group's default subcommand (`history` is `history show`)
        // when they name none, since its options are the ones that apply.
        while true {
            let entries = section("SUBCOMMANDS", of: text)
            if entries.isEmpty { break }
            let command = (["snapbench"] + path).joined(separator: " ")
            let word = rest.first ?? ""
            if entries.map(firstWord).contains(word) {
                path.append(word)
                rest = rest.dropFirst()
            } else if let fallback = entries.first(where: { $0.hasSuffix("(default)") }) {
                path.append(firstWord(fallback))
            } else if word.isEmpty || word.hasPrefix("-") {
                break
            } else {
                return ["\(line): no subcommand `\(word)` in `\(command) --help`"]
            }
            guard let subcommandText = try await help.text(path) else {
                return ["\(line): `snapbench \(path.joined(separator: " ")) --help` failed"]
            }
            text = subcommandText
        }
        let accepted = options(in: text)
        var problems: [String] = []
        for word in rest {
            if word == "--" { break }
            let isShort = word.count == 2 && word.hasPrefix("-") && word.last?.isLetter == true
            guard word.hasPrefix("--") || isShort else { continue }
            let name = String(word.prefix { $0 != "=" })
            if !accepted.contains(name) {
                let command = (["snapbench"] + path).joined(separator: " ")
                problems.append("\(line): `\(command) --help` lists no option \(name)")
            }
        }
        return problems
    }

    private static func firstWord(_ entry: String) -> String {
        String(entry.prefix { $0 != " " })
    }

    /// The options a help text lists: `-h, --help`, `--output <dir>`, `--x/--no-x`, `--[no-]x`.
    static func options(in help: String) -> Set<String> {
        var names: Set<String> = []
        for entry in section("OPTIONS", of: help) {
            // The names, then their value's placeholder; a description can follow after a single space.
            for token in entry.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "/" }) {
                if token.hasPrefix("<") { continue }
                guard token.hasPrefix("-") else { break }
                names.insert(token.replacingOccurrences(of: "[no-]", with: ""))
                names.insert(token.replacingOccurrences(of: "[no-]", with: "no-"))
            }
        }
        return names
    }

    /// The first column of each entry of a section of ArgumentParser's help (`OPTIONS:`, `SUBCOMMANDS:`): the
    /// lines indented by exactly two spaces, up to the blank line that ends the section (wrapped descriptions
    /// are indented further).
    static func section(_ title: String, of help: String) -> [String] {
        var entries: [String] = []
        var inside = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == title + ":" {
                inside = true
            } else if inside {
                if line.allSatisfy(\.isWhitespace) { break }
                if line.hasPrefix("  "), !line.hasPrefix("   ") {
                    entries.append(line.dropFirst(2).components(separatedBy: "  ")[0])
                }
            }
        }
        return entries
    }
}

/// The help texts of the built `snapbench`, each asked for once per check.
private struct CLIHelp {
    private var texts: [[String]: String?] = [:]

    /// `snapbench <path> --help`, or nil when it does not exit 0 (no such command).
    mutating func text(_ path: [String]) async throws -> String? {
        if let known = texts[path] { return known }
        let (status, output) = try await CommandLineTests.run(path + ["--help"], in: TestEnvironment.packageRoot)
        let text = status == 0 ? output : nil
        texts.updateValue(text, forKey: path)
        return text
    }
}
