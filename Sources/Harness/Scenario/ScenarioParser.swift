import Firecracker
import Foundation
import HostSystem
public import Reporting
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
    public static func parse(file path: String) throws -> Scenario {
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
    public static func parse(yaml: String, file: String) throws -> Scenario {
        try parseVariants(yaml: yaml, file: file)[0]
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
    public static func parseVariants(file path: String) throws -> [Scenario] {
        try parseVariants(yaml: try read(path), file: path)
    }

    /// ``parseVariants(file:)`` for YAML text; `file` is the name errors carry.
    public static func parseVariants(yaml: String, file: String) throws -> [Scenario] {
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
    public static func parseGate(_ text: String) throws -> Gate {
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
    public static func checkDecidable(_ gate: Gate, in scenario: Scenario) throws {
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
    /// ScenarioParser.totalDuration(of: try ScenarioParser.parse(file: "Scenarios/smoke.yaml"))  // 13 seconds
    /// ```
    public static func totalDuration(of scenario: Scenario) -> Duration {
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

// MARK: - The reader

/// Turns a composed document into a ``Scenario``, key by key.
struct ScenarioReader {
    let document: ScenarioDocument

    static let rootKeys = [
        "name", "description", "seed", "backend", "sign_off", "vm", "pool", "phases", "faults", "gates", "variants",
    ]
    static let variantKeys = ["name", "vm", "pool", "phases", "gates"]
    static let builtinKeys =
        [
            "guest", "working_set_mib", "memory_mib", "vcpus", "touch_mib", "touch_order", "touch_access",
            "memory_backend", "page_cache", "huge_pages", "readiness", "snapshot",
        ] + deviceKeys
    /// What a VM restored from a snapshot another tool made may say: the rest is in the snapshot.
    static let snapshotVMKeys = ["snapshot", "readiness", "memory_backend", "page_cache"]
    static let snapshotKeys = ["state", "memory", "resume_pattern"]
    static let linuxKeys =
        [
            "guest", "memory_mib", "vcpus", "kernel", "rootfs", "boot_args", "boot_pattern", "resume_pattern",
            "memory_backend", "page_cache", "huge_pages", "readiness",
        ] + deviceKeys
    static let poolKeys = [
        "warm_target", "maximum_vms", "refill_concurrency", "acquire_timeout", "readiness_timeout",
        "maximum_warm_age", "elevated_warm_floor", "pressure_interval", "cgroup_limit_mib", "work_dir_size_mib",
        "prefetch", "fault_around_kib", "standby_vmms", "launch", "hedging",
    ]
    static let hedgingKeys = ["delay", "multiplier", "minimum_delay", "maximum_delay", "per_second"]
    static let executors = ["constant-arrival-rate", "ramping-arrival-rate", "burst", "poisson", "workers"]
    static let phaseKeys = ["name", "warmup", "executor", "hold"]
    static let executorKeys: [String: [String]] = [
        "constant-arrival-rate": ["rate", "duration"],
        "poisson": ["rate", "duration"],
        "ramping-arrival-rate": ["start_rate", "stages"],
        "burst": ["count", "spread", "bursts", "interval"],
        "workers": ["count", "duration", "think_time"],
    ]
    /// The longest a scenario's phases may last together.
    static let longestScenario = Duration.nanoseconds(Int64(Units.longestDuration))
    /// Memory the built-in guest needs beyond its working set, in MiB.
    static let builtinOverheadMiB = 24

    func scenario(_ root: Node) throws -> Scenario {
        let top = try Fields(root, path: "", document: document)
        try top.rejectUnknown(allowed: Self.rootKeys)
        let nameNode = try top.required("name")
        let name = try document.string(nameNode, path: "name")
        if let problem = FileName.problem(name) {
            throw document.error(.invalidValue, at: nameNode, path: "name", "the scenario's name \(problem)")
        }
        let description = try document.string(top.required("description"), path: "description")
        let seed =
            try top["seed"].map { UInt64(try document.integer($0, path: "seed", minimum: 0, maximum: .max)) } ?? 1
        let backend = try top["backend"].map { node -> BackendChoice in
            if case .scalar(let scalar) = node, scalar.string == "auto" {
                throw document.error(
                    .invalidValue,
                    at: node,
                    path: "backend",
                    "`auto` is gone: a run never falls back to the simulated backend unasked; write `firecracker` "
                        + "(the default) or `simulated`"
                )
            }
            return BackendChoice(
                rawValue: try document.word(node, path: "backend", from: BackendChoice.allCases.map(\.rawValue))
            )!
        }
        let signOff = try top["sign_off"].map { try document.bool($0, path: "sign_off") } ?? false
        if signOff, backend == .simulated, let node = top["sign_off"] {
            throw document.error(
                .invalidValue,
                at: node,
                path: "sign_off",
                "a sign-off runs on real Firecracker only, and this scenario asks for `backend: simulated`"
            )
        }
        let readiness = try top["vm"].map { try self.readiness($0) } ?? nil
        let vm =
            try top["vm"].map { try self.vm($0, agent: readiness) }
            ?? .builtInGuest(workingSetMiB: 16, memoryMiB: 128, vcpus: 1)
        var pool = try self.pool(top.required("pool"))
        pool.memory = try guestMemory(vm: top["vm"], pool: top.required("pool"))
        var devices = try top["vm"].map { try self.devices($0, memoryMiB: vm.memoryMiB) } ?? DeviceSettings()
        if readiness != nil, devices.vsock == nil {
            // The agent's channel is a vsock device: readiness over vsock gives the VM one.
            devices.vsock = Vsock(guestCid: DeviceSettings.vsockGuestCID, udsPath: DeviceSettings.vsockSocket)
        }
        pool.launch = try launch(top.required("pool"))
        try checkCombination(pool: pool, vm: top["vm"], poolNode: top.required("pool"))
        let phases = try self.phases(top.required("phases"))
        let total = phases.reduce(Duration.zero) { $0 + $1.load.duration }
        let faults = try top["faults"].map { try self.faults($0, total: total, pool: pool) } ?? []
        var scenario = Scenario(
            name: name,
            description: description,
            seed: seed,
            backend: backend ?? .firecracker,
            signOff: signOff,
            vm: vm,
            devices: devices,
            readiness: readiness,
            pool: pool,
            phases: phases,
            faults: faults,
            gates: []
        )
        scenario.gates = try top["gates"].map { [scenario] in try self.gates($0, of: scenario) } ?? []
        return scenario
    }

    // MARK: Variants

    /// The root itself, or for each of its `variants` the root with the variant's `vm` and `pool` keys laid
    /// over its own and its name suffixed.
    func variantRoots(_ root: Node) throws -> [Node] {
        guard case .mapping(let top) = root, let list = top["variants"] else { return [root] }
        let baseName = try top["name"].map { try document.string($0, path: "name") } ?? ""
        var roots: [Node] = []
        var names: [String: Int] = [:]
        for (index, item) in try document.list(list, path: "variants", nonEmpty: true).enumerated() {
            let path = "variants[\(index)]"
            let fields = try Fields(item, path: path, document: document)
            try fields.rejectUnknown(allowed: Self.variantKeys)
            let nameNode = try fields.required("name")
            let name = try document.string(nameNode, path: path + ".name")
            let problem =
                name.contains(".")
                ? "contains `.`, which separates it from the scenario's name; a variant's name is letters, digits, "
                    + "`-` and `_` (it names the report files)"
                : FileName.problem(name).map { "the variant's name \($0)" }
                    ?? FileName.problem(baseName + "." + name).map {
                        "the variant's full name \(baseName).\(name) \($0)"
                    }
            if let problem {
                throw document.error(.invalidValue, at: nameNode, path: path + ".name", problem)
            }
            if let earlier = names[name] {
                throw document.error(
                    .invalidValue,
                    at: nameNode,
                    path: path + ".name",
                    "variant name `\(name)` is already used by variants[\(earlier)]"
                )
            }
            names[name] = index
            var pairs: [(Node, Node)] = []
            for (key, value) in top where key.string != "variants" {
                switch key.string {
                case "name":
                    pairs.append((key, .scalar(Node.Scalar(baseName + "." + name, value.tag, .plain, value.mark))))
                case "gates" where fields.has("gates"):
                    // A variant's gates are added to the file's: what it alone is held to.
                    pairs.append((key, Self.appending(value, fields["gates"]!)))
                case let section? where fields.has(section) && Self.variantKeys.contains(section):
                    pairs.append((key, Self.overlay(value, with: fields[section]!)))
                default: pairs.append((key, value))
                }
            }
            for section in ["vm", "pool", "gates"] where fields.has(section) && top[section] == nil {
                pairs.append((Node(section), fields[section]!))
            }
            roots.append(.mapping(Node.Mapping(pairs, top.tag, top.style, top.mark)))
        }
        return roots
    }

    /// `base`'s items followed by `more`'s, when both are lists; otherwise `more` (the parser then says what is wrong).
    static func appending(_ base: Node, _ more: Node) -> Node {
        guard case .sequence(let first) = base, case .sequence(let second) = more else { return more }
        return .sequence(Node.Sequence(Array(first) + Array(second), first.tag, first.style, first.mark))
    }

    /// `base`'s keys with `over`'s laid over them (one level deep); anything but two mappings is `over`.
    static func overlay(_ base: Node, with over: Node) -> Node {
        guard case .mapping(let replacing) = over, case .mapping(let original) = base else { return over }
        let replaced = Set(replacing.keys.compactMap(\.string))
        let pairs =
            original.filter { !replaced.contains($0.key.string ?? "") }.map { ($0.key, $0.value) }
            + replacing.map { ($0.key, $0.value) }
        return .mapping(Node.Mapping(pairs, original.tag, original.style, original.mark))
    }

    // MARK: VM

    private func vm(_ node: Node, agent: AgentProbe?) throws -> VMDefinition {
        let fields = try Fields(node, path: "vm", document: document)
        if let snapshot = fields["snapshot"] { return try externalSnapshot(snapshot, vm: fields) }
        let guest = try fields["guest"].map { try document.word($0, path: "vm.guest", from: ["builtin", "linux"]) }
        let isLinux = guest == "linux"
        let allowed = isLinux ? Self.linuxKeys : Self.builtinKeys
        let other = isLinux ? Self.builtinKeys : Self.linuxKeys
        let kind = isLinux ? "a `linux` guest" : "the `builtin` guest"
        try fields.rejectUnknown(
            allowed: allowed,
            inapplicable: Dictionary(
                uniqueKeysWithValues: other.filter { !allowed.contains($0) }.map {
                    ($0, "does not apply to \(kind) (it takes \(allowed.joined(separator: ", ")))")
                }
            )
        )
        let memory = try fields["memory_mib"].map {
            try document.integer($0, path: "vm.memory_mib", minimum: 1, unit: "MiB")
        }
        let vcpus = try fields["vcpus"].map { try document.integer($0, path: "vm.vcpus", minimum: 1) } ?? 1
        if vcpus > 32, let node = fields["vcpus"] {
            throw document.error(
                .invalidValue,
                at: node,
                path: "vm.vcpus",
                "Firecracker allows at most 32 vCPUs (is \(vcpus))"
            )
        }
        if isLinux {
            func text(_ key: String) throws -> String {
                try document.string(
                    fields.required(key, hint: " (required for a `linux` guest)"),
                    path: fields.path(key)
                )
            }
            // With readiness over vsock the agent's reply is the proof: no serial line is needed after a resume, and
            // without a boot line the golden VM is ready once its agent answers.
            let serialLine: (String) throws -> String = { key in
                guard agent != nil else { return try text(key) }
                return try fields[key].map { try self.document.string($0, path: fields.path(key)) } ?? ""
            }
            return .linux(
                LinuxGuest(
                    kernel: try text("kernel"),
                    rootfs: try text("rootfs"),
                    bootArgs: try text("boot_args"),
                    memoryMiB: memory ?? 128,
                    vcpus: vcpus,
                    bootPattern: try serialLine("boot_pattern"),
                    resumePattern: try serialLine("resume_pattern")
                )
            )
        }
        let workingSet =
            try fields["working_set_mib"].map {
                try document.integer($0, path: "vm.working_set_mib", minimum: 0, unit: "MiB")
            } ?? 16
        let memoryMiB = memory ?? 128
        if workingSet + Self.builtinOverheadMiB > memoryMiB {
            let key = fields.has("working_set_mib") ? "working_set_mib" : "memory_mib"
            throw document.error(
                .invalidValue,
                at: fields[key],
                path: fields.path(key),
                "working_set_mib (\(workingSet)) + \(Self.builtinOverheadMiB) MiB for the guest itself exceeds "
                    + "memory_mib (\(memoryMiB)); raise memory_mib to at least \(workingSet + Self.builtinOverheadMiB)"
            )
        }
        return .builtInGuest(
            workingSetMiB: workingSet,
            memoryMiB: memoryMiB,
            vcpus: vcpus,
            touch: try touch(fields, workingSet: workingSet)
        )
    }

    /// `vm.snapshot: {state, memory, resume_pattern}`: a snapshot another tool made. Relative paths are read from
    /// the scenario file's directory; what the VM is comes from the snapshot, so the guest's keys do not apply.
    private func externalSnapshot(_ node: Node, vm: Fields) throws -> VMDefinition {
        try vm.rejectUnknown(
            allowed: Self.snapshotVMKeys,
            inapplicable: Dictionary(
                uniqueKeysWithValues: Set(Self.builtinKeys + Self.linuxKeys).subtracting(Self.snapshotVMKeys).map {
                    ($0, "does not apply to a VM restored from vm.snapshot: the snapshot holds what the VM is")
                }
            )
        )
        let fields = try Fields(node, path: "vm.snapshot", document: document)
        try fields.rejectUnknown(allowed: Self.snapshotKeys)
        let base = URL(fileURLWithPath: document.file).deletingLastPathComponent().path
        func path(_ key: String) throws -> String {
            let text = try document.string(fields.required(key), path: "vm.snapshot." + key)
            return text.hasPrefix("/") ? text : ProjectPaths.absolute(base + "/" + text)
        }
        return .snapshot(
            ExternalSnapshot(
                state: try path("state"),
                memory: try path("memory"),
                resumePattern: try fields["resume_pattern"].map {
                    try document.string($0, path: "vm.snapshot.resume_pattern")
                }
            )
        )
    }

    /// `touch_mib` (with `touch_order`, `touch_access`): the guest's work after every resume; at most the
    /// working set it wrote at boot.
    private func touch(_ fields: Fields, workingSet: Int) throws -> WorkingSetTouch? {
        let mebibytes = try fields["touch_mib"].map {
            try document.integer($0, path: "vm.touch_mib", minimum: 0, unit: "MiB")
        }
        let order: WorkingSetTouch.Order? = try fields["touch_order"].map {
            try document.choice($0, path: "vm.touch_order")
        }
        let access: WorkingSetTouch.Access? = try fields["touch_access"].map {
            try document.choice($0, path: "vm.touch_access")
        }
        guard let mebibytes, mebibytes > 0 else {
            for key in ["touch_order", "touch_access"] where fields.has(key) {
                throw document.error(
                    .inapplicableKey,
                    at: fields[key],
                    path: fields.path(key),
                    "applies only with vm.touch_mib above 0"
                )
            }
            return nil
        }
        guard mebibytes <= workingSet else {
            throw document.error(
                .invalidValue,
                at: fields["touch_mib"],
                path: "vm.touch_mib",
                "re-touches at most the working set the guest wrote: touch_mib (\(mebibytes)) exceeds "
                    + "working_set_mib (\(workingSet))"
            )
        }
        return WorkingSetTouch(
            mebibytes: mebibytes,
            order: order ?? .sequential,
            access: access ?? .read,
            seed: 1
        )
    }

    /// `vm.memory_backend`, `vm.page_cache`, `vm.huge_pages`, `pool.prefetch` and `pool.fault_around_kib`: where
    /// clones' guest memory comes from.
    private func guestMemory(vm: Node?, pool: Node) throws -> GuestMemory {
        let vmFields = try vm.map { try Fields($0, path: "vm", document: document) }
        let poolFields = try Fields(pool, path: "pool", document: document)
        var memory = GuestMemory()
        if let node = vmFields?["memory_backend"] {
            memory.backend = try document.choice(node, path: "vm.memory_backend")
        }
        if let node = vmFields?["page_cache"] { memory.pageCache = try document.choice(node, path: "vm.page_cache") }
        if let node = vmFields?["huge_pages"] {
            memory.hugePages = try document.bool(node, path: "vm.huge_pages")
            if memory.hugePages, memory.backend != .userfaultfd {
                throw document.error(
                    .invalidValue,
                    at: node,
                    path: "vm.huge_pages",
                    "huge-page guest memory restores only through userfaultfd: add vm.memory_backend: uffd"
                )
            }
        }
        if let node = poolFields["prefetch"] {
            memory.prefetch = try document.choice(node, path: "pool.prefetch")
        }
        if let node = poolFields["fault_around_kib"] {
            let kib = try document.integer(node, path: "pool.fault_around_kib", minimum: 4, maximum: 2048)
            guard memory.backend == .userfaultfd else {
                throw document.error(
                    .inapplicableKey,
                    at: node,
                    path: "pool.fault_around_kib",
                    "applies only with vm.memory_backend: uffd (the kernel does its own fault-around for a file)"
                )
            }
            guard kib % 4 == 0, (kib / 4) & (kib / 4 - 1) == 0 else {
                throw document.error(
                    .invalidValue,
                    at: node,
                    path: "pool.fault_around_kib",
                    "must be 4 KiB times a power of two (4, 8, 16, … 2048): it is an aligned block of pages"
                )
            }
            memory.faultAroundPages = kib / 4
        }
        return memory
    }

    // MARK: Pool

    private func pool(_ node: Node) throws -> PoolSettings {
        let fields = try Fields(node, path: "pool", document: document)
        try fields.rejectUnknown(allowed: Self.poolKeys)
        func integer(_ key: String, minimum: Int, unit: String? = nil) throws -> Int? {
            try fields[key].map { try document.integer($0, path: fields.path(key), minimum: minimum, unit: unit) }
        }
        func duration(_ key: String) throws -> Duration? {
            try fields[key].map { try document.duration($0, path: fields.path(key)) }
        }
        let warmTarget = try document.integer(fields.required("warm_target"), path: "pool.warm_target", minimum: 0)
        var configuration = PoolConfiguration(
            warmTarget: warmTarget,
            maximumVMs: try integer("maximum_vms", minimum: 1)
        )
        if configuration.warmTarget > configuration.maximumVMs {
            let key = fields.has("maximum_vms") ? "maximum_vms" : "warm_target"
            throw document.error(
                .invalidValue,
                at: fields[key],
                path: fields.path(key),
                "warm_target (\(warmTarget)) exceeds maximum_vms (\(configuration.maximumVMs)): "
                    + "the pool cannot keep more VMs warm than it may hold"
            )
        }
        configuration.refillConcurrency = try integer("refill_concurrency", minimum: 1) ?? 1
        configuration.acquireTimeout = try duration("acquire_timeout") ?? .seconds(5)
        configuration.readinessTimeout = try duration("readiness_timeout") ?? .seconds(2)
        configuration.maximumWarmAge = try duration("maximum_warm_age")
        configuration.elevatedWarmFloor = try integer("elevated_warm_floor", minimum: 0) ?? min(1, warmTarget)
        if let node = fields["hedging"] { configuration.hedging = try hedging(node) }
        if configuration.elevatedWarmFloor > warmTarget, let node = fields["elevated_warm_floor"] {
            throw document.error(
                .invalidValue,
                at: node,
                path: "pool.elevated_warm_floor",
                "elevated_warm_floor (\(configuration.elevatedWarmFloor)) exceeds warm_target (\(warmTarget))"
            )
        }
        return PoolSettings(
            configuration: configuration,
            pressureInterval: try duration("pressure_interval"),
            cgroupLimitMiB: try integer("cgroup_limit_mib", minimum: 1, unit: "MiB"),
            workFilesystemMiB: try integer("work_dir_size_mib", minimum: 16, unit: "MiB"),
            standbyProcesses: try standbyProcesses(fields, maximumVMs: configuration.maximumVMs)
        )
    }

    /// `pool.hedging`: `on`, `off`, or `{delay: auto | <duration>, multiplier, minimum_delay, maximum_delay,
    /// per_second}`.
    private func hedging(_ node: Node) throws -> Hedging {
        if case .scalar = node {
            return Hedging(enabled: try document.word(node, path: "pool.hedging", from: ["on", "off"]) == "on")
        }
        let fields = try Fields(node, path: "pool.hedging", document: document)
        try fields.rejectUnknown(allowed: Self.hedgingKeys)
        var hedging = Hedging(enabled: true)
        if let delay = fields["delay"] {
            if case .scalar(let scalar) = delay, scalar.string == "auto" {
                hedging.fixedDelay = nil
            } else {
                hedging.fixedDelay = try document.duration(delay, path: "pool.hedging.delay")
            }
        }
        if let node = fields["multiplier"] {
            hedging.multiplier = try document.number(node, path: "pool.hedging.multiplier", minimum: 0.1, maximum: 100)
        }
        if let node = fields["minimum_delay"] {
            hedging.minimumDelay = try document.duration(node, path: "pool.hedging.minimum_delay")
        }
        if let node = fields["maximum_delay"] {
            hedging.maximumDelay = try document.duration(node, path: "pool.hedging.maximum_delay")
        }
        if hedging.maximumDelay < hedging.minimumDelay, let node = fields["maximum_delay"] ?? fields["minimum_delay"] {
            throw document.error(
                .invalidValue,
                at: node,
                path: fields.has("maximum_delay") ? "pool.hedging.maximum_delay" : "pool.hedging.minimum_delay",
                "maximum_delay (\(hedging.maximumDelay)) is below minimum_delay (\(hedging.minimumDelay))"
            )
        }
        if let node = fields["per_second"] {
            hedging.perSecond = try document.number(
                node,
                path: "pool.hedging.per_second",
                minimum: 0.01,
                maximum: 10_000
            )
        }
        return hedging
    }

    /// `pool.standby_vmms`: at most `maximum_vms`, since each is there to become one of the pool's VMs.
    private func standbyProcesses(_ fields: Fields, maximumVMs: Int) throws -> Int {
        guard let node = fields["standby_vmms"] else { return 0 }
        let count = try document.integer(node, path: "pool.standby_vmms", minimum: 0)
        guard count <= maximumVMs else {
            throw document.error(
                .invalidValue,
                at: node,
                path: "pool.standby_vmms",
                "standby_vmms (\(count)) exceeds maximum_vms (\(maximumVMs)): a standby process only ever becomes "
                    + "one of the pool's VMs"
            )
        }
        return count
    }

    // MARK: Phases

    private func phases(_ node: Node) throws -> [Phase] {
        var phases: [Phase] = []
        var names: [String: Int] = [:]
        var total = Duration.zero
        for (index, item) in try document.list(node, path: "phases", nonEmpty: true).enumerated() {
            let phase = try self.phase(item, path: "phases[\(index)]")
            total += phase.load.duration
            if total > Self.longestScenario {
                throw document.error(
                    .invalidValue,
                    at: item,
                    path: "phases[\(index)]",
                    "the phases up to this one last \(Units.format(total)), longer than the 30 days a scenario may last"
                )
            }
            if let earlier = names[phase.name] {
                throw document.error(
                    .invalidValue,
                    at: item["name"],
                    path: "phases[\(index)].name",
                    "phase name `\(phase.name)` is already used by phases[\(earlier)]"
                )
            }
            names[phase.name] = index
            phases.append(phase)
        }
        return phases
    }

    private func phase(_ node: Node, path: String) throws -> Phase {
        let fields = try Fields(node, path: path, document: document)
        let executor = try document.word(
            fields.required("executor", hint: " (one of \(Self.executors.joined(separator: ", ")))"),
            path: fields.path("executor"),
            from: Self.executors
        )
        let own = Self.executorKeys[executor] ?? []
        var inapplicable: [String: String] = [:]
        for key in Set(Self.executorKeys.values.joined()) where !own.contains(key) {
            inapplicable[key] = "does not apply to the `\(executor)` executor (it takes \(own.joined(separator: ", ")))"
        }
        try fields.rejectUnknown(allowed: Self.phaseKeys + own, inapplicable: inapplicable)

        let name = try document.string(fields.required("name"), path: fields.path("name"))
        let warmup = try fields["warmup"].map { try document.bool($0, path: fields.path("warmup")) } ?? false
        let hold = try fields["hold"].map { try document.distribution($0, path: fields.path("hold")) } ?? .fixed(.zero)

        func value<T>(_ key: String, _ read: (Node, String) throws -> T) throws -> T {
            try read(fields.required(key, hint: " (the `\(executor)` executor needs it)"), fields.path(key))
        }
        func optional<T>(_ key: String, _ read: (Node, String) throws -> T) throws -> T? {
            try fields[key].map { try read($0, fields.path(key)) }
        }
        let rate = { (node: Node, path: String) in try document.rate(node, path: path) }
        let duration = { (node: Node, path: String) in try document.duration(node, path: path) }
        let count = { (node: Node, path: String) in try document.integer(node, path: path, minimum: 1) }

        let load: LoadProfile
        switch executor {
        case "constant-arrival-rate":
            load = .constantArrivalRate(rate: try value("rate", rate), duration: try value("duration", duration))
        case "poisson":
            load = .poisson(rate: try value("rate", rate), duration: try value("duration", duration))
        case "ramping-arrival-rate":
            let start = try optional("start_rate") { try document.rate($0, path: $1, allowZero: true) } ?? 0
            let stages = try value("stages") { try self.stages($0, path: $1) }
            if start == 0 && stages.allSatisfy({ $0.target == 0 }) {
                throw document.error(
                    .invalidValue,
                    at: fields["stages"],
                    path: fields.path("stages"),
                    "the rate never rises above 0/s, so the phase makes no arrivals"
                )
            }
            load = .rampingArrivalRate(startRate: start, stages: stages)
        case "burst":
            let size = try value("count", count)
            let spread = try optional("spread") { try document.duration($0, path: $1, allowZero: true) } ?? .zero
            let bursts = try optional("bursts", count) ?? 1
            let interval =
                bursts > 1
                ? try duration(fields.required("interval", hint: " (needed when bursts > 1)"), fields.path("interval"))
                : try optional("interval", duration) ?? .zero
            if bursts > 1 && spread >= interval {
                throw document.error(
                    .invalidValue,
                    at: fields["spread"],
                    path: fields.path("spread"),
                    "spread (\(Units.format(spread))) must be shorter than interval (\(Units.format(interval))) "
                        + "or bursts would overlap"
                )
            }
            load = .burst(count: size, spread: spread, bursts: bursts, interval: interval)
        default:
            let workers = try value("count", count)
            let think =
                try optional("think_time") { try document.distribution($0, path: $1) } ?? .fixed(.zero)
            load = .workers(count: workers, thinkTime: think, duration: try value("duration", duration))
        }
        return Phase(name: name, warmup: warmup, load: load, hold: hold)
    }

    private func stages(_ node: Node, path: String) throws -> [RampStage] {
        try document.list(node, path: path, nonEmpty: true).enumerated().map { index, item in
            let fields = try Fields(item, path: "\(path)[\(index)]", document: document)
            try fields.rejectUnknown(allowed: ["target", "duration"])
            return RampStage(
                target: try document.rate(fields.required("target"), path: fields.path("target"), allowZero: true),
                duration: try document.duration(fields.required("duration"), path: fields.path("duration"))
            )
        }
    }

    // MARK: Faults

    private func faults(_ node: Node, total: Duration, pool: PoolSettings) throws -> [FaultSpec] {
        try document.list(node, path: "faults", nonEmpty: false).enumerated().map { index, item in
            let fields = try Fields(item, path: "faults[\(index)]", document: document)
            let kindNode = try fields.required("kind")
            let kind = try document.word(kindNode, path: fields.path("kind"), from: FaultAction.kinds)
            try fields.rejectUnknown(allowed: ["kind", "at", "duration"] + FaultAction.parameterNames(of: kind))
            let atNode = try fields.required("at")
            let at = try document.duration(atNode, path: fields.path("at"), allowZero: true)
            if at > total {
                throw document.error(
                    .faultOutOfRange,
                    at: atNode,
                    path: fields.path("at"),
                    "at \(Units.format(at)) is after the scenario's end (its phases last \(Units.format(total)))"
                )
            }
            let duration = try fields["duration"].map { try document.duration($0, path: fields.path("duration")) }
            if let duration, at + duration > total, let node = fields["duration"] {
                throw document.error(
                    .faultOutOfRange,
                    at: node,
                    path: fields.path("duration"),
                    "the fault would end at \(Units.format(at + duration)), after the scenario's end (its phases last \(Units.format(total)))"
                )
            }
            var parameters: [String: String] = [:]
            for entry in fields.entries where !["kind", "at", "duration"].contains(entry.key) {
                guard case .scalar(let scalar) = entry.value, entry.value.tagName != .null else {
                    throw document.error(
                        .wrongType,
                        at: entry.value,
                        path: fields.path(entry.key),
                        "fault parameters are single values, found \(ScenarioDocument.describe(entry.value))"
                    )
                }
                parameters[entry.key] = scalar.string
            }
            let action: FaultAction
            switch FaultAction.make(kind: kind, parameters: parameters, duration: duration) {
            case .success(let made): action = made
            case .failure(let problem):
                let key = problem.key ?? "kind"
                throw document.error(.invalidValue, at: fields[key] ?? item, path: fields.path(key), problem.message)
            }
            try checkApplicable(action, fields: fields, pool: pool)
            return FaultSpec(kind: kind, action: action, at: at, duration: duration, parameters: parameters)
        }
    }

    /// Faults that act on something the scenario must set up: the pool's cgroup, its own filesystem.
    private func checkApplicable(_ action: FaultAction, fields: Fields, pool: PoolSettings) throws {
        switch action {
        case .memoryPressure(_?, _) where pool.cgroupLimitMiB == nil:
            let key = fields.has("cgroup_limit_mib") ? "cgroup_limit_mib" : "cgroup_usage_percent"
            throw document.error(
                .inapplicableKey,
                at: fields[key],
                path: fields.path(key),
                "lowers the pool's memory cgroup limit, but the pool has none: set `pool.cgroup_limit_mib`"
            )
        case .diskFull where pool.workFilesystemMiB == nil:
            throw document.error(
                .inapplicableKey,
                at: fields["kind"],
                path: fields.path("kind"),
                "`disk_full` fills the pool's own filesystem: set `pool.work_dir_size_mib`"
            )
        default:
            break
        }
    }

    // MARK: Gates

    private func gates(_ node: Node, of scenario: Scenario) throws -> [Gate] {
        try document.list(node, path: "gates", nonEmpty: false).enumerated().map { index, item in
            let path = "gates[\(index)]"
            guard case .scalar(let scalar) = item, item.tagName == .str else {
                throw document.error(
                    .wrongType,
                    at: item,
                    path: path,
                    "expected a gate expression such as `spawn_ms p95 < 50`, found \(ScenarioDocument.describe(item))"
                )
            }
            let gate: Gate
            do throws(Gate.ParseError) {
                gate = try Gate(parsing: scalar.string)
            } catch {
                // Point at the offending word when the expression sits on one line as written.
                let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
                let exact = scalar.style == .plain || quoted
                var location = document.error(ScenarioError.Code(error.code), at: item, path: path, error.message)
                if exact, let mark = item.mark, !scalar.string.contains("\n") {
                    location.column = document.column(of: mark) + error.offset + (quoted ? 1 : 0)
                }
                throw location
            }
            if let problem = scenario.problem(deciding: gate) {
                throw document.error(.undecidableGate, at: item, path: path, "`\(gate.expression)` \(problem)")
            }
            return gate
        }
    }
}
