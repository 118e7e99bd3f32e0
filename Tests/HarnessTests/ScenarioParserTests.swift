import Firecracker
import Foundation
import Harness
import Reporting
import Scenarios
import SnapshotPool
import TestSupport
import Testing

@Suite("Scenario parser", .timeLimit(.minutes(1)))
struct ScenarioParserTests {
    static let scenariosDirectory = TestEnvironment.packageRoot + "/Scenarios"
    static let shipped = [
        "smoke", "steady", "burst", "burst-wide", "churn", "soak", "crash", "hang", "corruption", "memory-pressure",
        "disk-full",
        "contention", "faults-all", "memory-backends", "memory-backends-huge", "devices", "agent", "straggler",
    ]

    /// A small valid file the bad inputs are variations of (line numbers matter below).
    static let valid = """
        name: tiny
        description: a valid scenario
        pool:
          warm_target: 2
        phases:
          - name: load
            executor: constant-arrival-rate
            rate: 10/s
            duration: 6s
        gates:
          - spawn_ms p95 < 50

        """

    // MARK: - Shipped scenarios

    @Test("Every shipped scenario parses", arguments: shipped)
    func shippedScenarioParses(name: String) throws {
        let path = "\(Self.scenariosDirectory)/\(name).yaml"
        let variants = try ScenarioParser.parseVariants(file: path)
        let scenario = variants[0]
        #expect(variants.count == 1 ? scenario.name == name : variants.allSatisfy { $0.name.hasPrefix(name + ".") })
        #expect(!scenario.description.isEmpty)
        #expect(!scenario.phases.isEmpty)
        #expect(scenario.gates.contains { $0.metric == .leaks && $0.statistic == .count })
        // No shipped gate on spawn can be passed by failing acquires: an outcome gate stands beside it.
        if scenario.gates.contains(where: { $0.metric == .spawn }) {
            #expect(scenario.gates.contains { $0.metric == .outcome })
        }
        if scenario.faults.isEmpty {
            #expect(scenario.gates.contains { $0.metric == .errors && $0.statistic == .count })
            #expect(scenario.gates.contains { $0.metric == .lateStarts && $0.statistic == .rate })
            #expect(scenario.gates.contains { $0.metric == .outcome })
        } else {
            // A fault scenario must not pass with its faults silently skipped, and judges recovery.
            #expect(scenario.gates.contains { $0.expression == "faults_not_applied count == 0" })
            #expect(scenario.gates.contains { $0.metric == .faultRecovery })
        }
        // Every gate is decidable from what the scenario schedules (the parser refuses the others).
        for gate in scenario.gates {
            #expect(scenario.problem(deciding: gate) == nil)
        }
    }

    @Test("The Scenarios directory ships exactly the documented scenarios")
    func shippedSet() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.scenariosDirectory)
            .filter { $0.hasSuffix(".yaml") }
            .sorted()
        #expect(files == Self.shipped.map { "\($0).yaml" }.sorted())
    }

    @Test("smoke.yaml reads as written")
    func smokeContents() throws {
        let scenario = try ScenarioParser.parse(file: "\(Self.scenariosDirectory)/smoke.yaml")
        #expect(scenario.seed == 42)
        #expect(scenario.backend == .firecracker)
        #expect(!scenario.signOff)
        #expect(scenario.vm == .builtInGuest(workingSetMiB: 16, memoryMiB: 128, vcpus: 1))
        #expect(scenario.pool.configuration == PoolConfiguration(warmTarget: 2, maximumVMs: 8))
        #expect(scenario.phases.map(\.name) == ["warmup", "steady", "cold"])
        #expect(scenario.phases[0].warmup && !scenario.phases[1].warmup && !scenario.phases[2].warmup)
        #expect(scenario.phases[0].load == .constantArrivalRate(rate: 5, duration: .seconds(3)))
        #expect(scenario.phases[1].load == .constantArrivalRate(rate: 20, duration: .seconds(42)))
        #expect(scenario.phases[2].load == .burst(count: 4, spread: .zero, bursts: 12, interval: .seconds(1)))
        #expect(scenario.phases.allSatisfy { $0.hold == .fixed(.milliseconds(20)) })
        #expect(
            scenario.gates.map(\.expression) == [
                "spawn_ms p95 < 50", "outcome_ms p95 < 50", "restore_ms p95 < 20", "errors count == 0",
                "leaks count == 0", "pool_resident_mb max < 100", "late_starts rate < 0.05",
            ]
        )
        #expect(scenario.plannedMeasuredAcquires == 888)
        #expect(ScenarioParser.totalDuration(of: scenario) == .seconds(56))
    }

    @Test("Shipped scenarios last what their descriptions say")
    func shippedDurations() throws {
        func total(_ name: String) throws -> Duration {
            ScenarioParser.totalDuration(of: try ScenarioParser.parse(file: "\(Self.scenariosDirectory)/\(name).yaml"))
        }
        #expect(try total("steady") == .seconds(65))
        #expect(try total("burst") == .seconds(34))
        #expect(try total("burst-wide") == .seconds(20))
        #expect(try total("churn") == .seconds(100))
        #expect(try total("soak") == .seconds(600))
        #expect(try total("memory-backends") == .seconds(30))
        let variants = try ScenarioParser.parseVariants(file: Self.scenariosDirectory + "/memory-backends.yaml")
        #expect(variants.map { ScenarioParser.totalDuration(of: $0) }.filter { $0 == .seconds(93) }.count == 6)
    }

    // MARK: - Defaults and every executor

    @Test("Defaults fill in what a minimal file leaves out")
    func defaults() throws {
        let scenario = try ScenarioParser.parse(yaml: Self.valid, file: "tiny.yaml")
        #expect(scenario.seed == 1)
        #expect(scenario.backend == .firecracker)
        #expect(scenario.vm == .builtInGuest(workingSetMiB: 16, memoryMiB: 128, vcpus: 1))
        let pool = scenario.pool.configuration
        #expect(pool.warmTarget == 2 && pool.maximumVMs == 8 && pool.refillConcurrency == 1)
        #expect(pool.acquireTimeout == .seconds(5) && pool.readinessTimeout == .seconds(2))
        #expect(pool.maximumWarmAge == nil && pool.elevatedWarmFloor == 1)
        #expect(scenario.pool.pressureInterval == nil && scenario.pool.cgroupLimitMiB == nil)
        #expect(scenario.phases[0].hold == .fixed(.zero) && !scenario.phases[0].warmup)
        #expect(scenario.faults.isEmpty)
    }

    @Test("The guest's work after every resume (touch_*) and where its memory comes from (memory_backend, …)")
    func workingSetTouchAndMemory() throws {
        let yaml = """
            name: touch
            description: re-touch after resume
            vm: {working_set_mib: 32, touch_mib: 16, touch_order: random, touch_access: write, memory_backend: uffd, page_cache: cold}
            pool: {warm_target: 1, prefetch: recorded, fault_around_kib: 128}
            phases:
              - {name: b, executor: burst, count: 2}

            """
        let scenario = try ScenarioParser.parse(yaml: yaml, file: "touch.yaml")
        let touch = WorkingSetTouch(mebibytes: 16, order: .random, access: .write, seed: 1)
        #expect(scenario.vm == .builtInGuest(workingSetMiB: 32, memoryMiB: 128, vcpus: 1, touch: touch))
        #expect(
            scenario.pool.memory
                == GuestMemory(backend: .userfaultfd, prefetch: .recorded, pageCache: .cold, faultAroundPages: 32)
        )
        #expect(scenario.pool.memory.description == "uffd, prefetch recorded, fault-around 128 KiB, page cache cold")
        let plain = try ScenarioParser.parse(
            yaml: yaml.replacingOccurrences(
                of: ", touch_mib: 16, touch_order: random, touch_access: write, memory_backend: uffd, page_cache: cold",
                with: ""
            ).replacingOccurrences(of: ", prefetch: recorded, fault_around_kib: 128", with: ""),
            file: "plain.yaml"
        )
        #expect(plain.vm == .builtInGuest(workingSetMiB: 32, memoryMiB: 128, vcpus: 1, touch: nil))
        #expect(plain.pool.memory == GuestMemory())
        #expect(plain.pool.memory.description == "file, page cache warm")
        // With the File backend a prefetch reads the pages into the page cache before each restore.
        let fileRecorded = try ScenarioParser.parse(
            yaml: yaml.replacingOccurrences(of: "memory_backend: uffd", with: "memory_backend: file")
                .replacingOccurrences(of: ", fault_around_kib: 128", with: ""),
            file: "file.yaml"
        )
        #expect(fileRecorded.pool.memory.description == "file, prefetch recorded, page cache cold")
    }

    @Test("Variants: one scenario each, the variant's vm and pool keys laid over the file's own, its phases instead")
    func variants() throws {
        let yaml = """
            name: mem
            description: variants
            vm: {working_set_mib: 32, touch_mib: 8}
            pool: {warm_target: 1}
            phases:
              - {name: b, executor: burst, count: 2}
            variants:
              - {name: plain}
              - {name: served, vm: {memory_backend: uffd}, pool: {prefetch: all, warm_target: 2}}

            """
        let runs = try ScenarioParser.parseVariants(yaml: yaml, file: "mem.yaml")
        #expect(runs.map(\.name) == ["mem.plain", "mem.served"])
        #expect(runs[0].pool.memory == GuestMemory() && runs[0].pool.configuration.warmTarget == 1)
        #expect(runs[1].pool.memory == GuestMemory(backend: .userfaultfd, prefetch: .all))
        #expect(runs[1].pool.configuration.warmTarget == 2)
        #expect(
            runs.allSatisfy {
                $0.vm
                    == .builtInGuest(workingSetMiB: 32, memoryMiB: 128, vcpus: 1, touch: WorkingSetTouch(mebibytes: 8))
            }
        )
        #expect(try ScenarioParser.parse(yaml: yaml, file: "mem.yaml") == runs[0])

        func refusal(_ variant: String) -> ScenarioError? {
            let broken = yaml.replacingOccurrences(of: "  - {name: plain}", with: variant)
            do {
                _ = try ScenarioParser.parseVariants(yaml: broken, file: "mem.yaml")
                return nil
            } catch {
                return error as? ScenarioError
            }
        }
        let duplicate = refusal("  - {name: served}")
        #expect(duplicate?.keyPath == "variants[1].name" && duplicate?.line == 9, "\(String(describing: duplicate))")
        #expect(refusal("  - {name: a/b}")?.message.contains("may not contain `/`") == true)
        let emptyLoad = refusal("  - {name: x, phases: []}")
        #expect(emptyLoad?.keyPath == "phases" && emptyLoad?.line == 8, "\(String(describing: emptyLoad))")
        #expect(refusal("  - {name: x, seed: 3}")?.keyPath == "variants[0].seed")

        // A variant's phases replace the file's: a lighter load for a heavier variant.
        let lighter = try ScenarioParser.parseVariants(
            yaml: yaml.replacingOccurrences(
                of: "  - {name: plain}",
                with: "  - {name: plain, phases: [{name: c, executor: burst, count: 5}]}"
            ),
            file: "mem.yaml"
        )
        #expect(lighter[0].phases.map(\.name) == ["c"] && lighter[1].phases.map(\.name) == ["b"])
        let misplaced = refusal("  - {name: x, pool: {fault_around_kib: 64}}")
        #expect(
            misplaced?.keyPath == "pool.fault_around_kib" && misplaced?.line == 8,
            "\(String(describing: misplaced))"
        )
    }

    @Test("Every executor, hold distribution, pool setting, a Linux guest and faults")
    func everything() throws {
        let yaml = """
            name: all
            description: every key
            seed: 9
            backend: simulated
            vm:
              guest: linux
              kernel: /k/vmlinux
              rootfs: /k/rootfs.ext4
              boot_args: console=ttyS0 reboot=k
              boot_pattern: "booted"
              resume_pattern: 'resumed'
              memory_mib: 256
              vcpus: 2
            pool:
              warm_target: 3
              maximum_vms: 12
              refill_concurrency: 2
              acquire_timeout: 1.5s
              readiness_timeout: 500ms
              maximum_warm_age: 2m
              elevated_warm_floor: 2
              pressure_interval: 200ms
              cgroup_limit_mib: 512
              standby_vmms: 12
            phases:
              - {name: c, executor: constant-arrival-rate, rate: 600/m, duration: 100us, hold: 5ms}
              - name: r
                executor: ramping-arrival-rate
                stages: [{target: 50/s, duration: 10s}, {target: 0/s, duration: 2s}]
                hold: {uniform: [5ms, 20ms]}
              - {name: b, executor: burst, count: 16, bursts: 3, interval: 2s, spread: 10ms, hold: {exponential: 10ms}}
              - name: p
                executor: poisson
                rate: 20/s
                duration: 1m
                hold: {lognormal: {median: 10ms, p95: 40ms}}
              - {name: w, warmup: true, executor: workers, count: 4, duration: 1h, think_time: {fixed: 5ms}}
            faults:
              - kind: vmm_crash
                at: 10s
                count: 2
              - {kind: memory_pressure, at: 0s, duration: 3s, cgroup_limit_mib: 64, balloon_mib: 32}
              - {kind: vmm_hang, at: 1s, duration: 2s, target: any}
              - {kind: snapshot_corruption, at: 2s, mode: remove_memory}
              - {kind: cpu_contention, at: 3s, duration: 1s, processes: 3}

            """
        let scenario = try ScenarioParser.parse(yaml: yaml, file: "all.yaml")
        #expect(scenario.seed == 9 && scenario.backend == .simulated)
        #expect(
            scenario.vm
                == .linux(
                    LinuxGuest(
                        kernel: "/k/vmlinux",
                        rootfs: "/k/rootfs.ext4",
                        bootArgs: "console=ttyS0 reboot=k",
                        memoryMiB: 256,
                        vcpus: 2,
                        bootPattern: "booted",
                        resumePattern: "resumed"
                    )
                )
        )
        var configuration = PoolConfiguration(warmTarget: 3, maximumVMs: 12)
        configuration.refillConcurrency = 2
        configuration.acquireTimeout = .milliseconds(1_500)
        configuration.readinessTimeout = .milliseconds(500)
        configuration.maximumWarmAge = .seconds(120)
        configuration.elevatedWarmFloor = 2
        #expect(
            scenario.pool
                == PoolSettings(
                    configuration: configuration,
                    pressureInterval: .milliseconds(200),
                    cgroupLimitMiB: 512,
                    standbyProcesses: 12
                )
        )
        #expect(
            scenario.phases.map(\.load) == [
                .constantArrivalRate(rate: 10, duration: .microseconds(100)),
                .rampingArrivalRate(
                    startRate: 0,
                    stages: [
                        RampStage(target: 50, duration: .seconds(10)), RampStage(target: 0, duration: .seconds(2)),
                    ]
                ),
                .burst(count: 16, spread: .milliseconds(10), bursts: 3, interval: .seconds(2)),
                .poisson(rate: 20, duration: .seconds(60)),
                .workers(count: 4, thinkTime: .fixed(.milliseconds(5)), duration: .seconds(3_600)),
            ]
        )
        #expect(
            scenario.phases.map(\.hold) == [
                .fixed(.milliseconds(5)), .uniform(.milliseconds(5), .milliseconds(20)),
                .exponential(mean: .milliseconds(10)), .logNormal(median: .milliseconds(10), p95: .milliseconds(40)),
                .fixed(.zero),
            ]
        )
        #expect(scenario.phases[4].warmup)
        #expect(
            scenario.faults == [
                FaultSpec(
                    kind: "vmm_crash",
                    action: .vmmCrash(count: 2, target: .warm),
                    at: .seconds(10),
                    duration: nil,
                    parameters: ["count": "2"]
                ),
                FaultSpec(
                    kind: "memory_pressure",
                    action: .memoryPressure(limit: .mebibytes(64), balloonMiB: 32),
                    at: .zero,
                    duration: .seconds(3),
                    parameters: ["cgroup_limit_mib": "64", "balloon_mib": "32"]
                ),
                FaultSpec(
                    kind: "vmm_hang",
                    action: .vmmHang(count: 1, target: .any),
                    at: .seconds(1),
                    duration: .seconds(2),
                    parameters: ["target": "any"]
                ),
                FaultSpec(
                    kind: "snapshot_corruption",
                    action: .snapshotCorruption(mode: .removeMemory),
                    at: .seconds(2),
                    duration: nil,
                    parameters: ["mode": "remove_memory"]
                ),
                FaultSpec(
                    kind: "cpu_contention",
                    action: .cpuContention(processes: 3),
                    at: .seconds(3),
                    duration: .seconds(1),
                    parameters: ["processes": "3"]
                ),
            ]
        )
        // 100us + 12s + (2 × 2s + 10ms) + 60s + 3600s
        #expect(
            ScenarioParser.totalDuration(of: scenario)
                == .microseconds(100) + .seconds(12) + .milliseconds(4_010) + .seconds(60) + .seconds(3_600)
        )
    }

    // MARK: - Bad inputs

    struct BadInput: Sendable, CustomTestStringConvertible {
        var name: String
        var yaml: String
        var code: ScenarioError.Code
        var line: Int
        var keyPath: String
        var message: String
        var column: Int? = nil
        var testDescription: String { name }

        /// `valid` with the `line`-th line (1-based) replaced by `replacement` (which may span lines).
        static func replacing(_ line: Int, with replacement: String) -> String {
            replacing(line...line, with: replacement)
        }

        /// `valid` with lines `range` (1-based) replaced by `replacement`.
        static func replacing(_ range: ClosedRange<Int>, with replacement: String) -> String {
            var lines = ScenarioParserTests.valid.components(separatedBy: "\n")
            lines.replaceSubrange((range.lowerBound - 1)...(range.upperBound - 1), with: [replacement])
            return lines.joined(separator: "\n")
        }

        /// `valid` with `text` appended.
        static func appending(_ text: String) -> String { ScenarioParserTests.valid + text }

        static let burstPhase = """
              - name: load
                executor: burst
                count: 16
            """
    }

    static let badInputs: [BadInput] = [
        BadInput(
            name: "a readiness channel that does not exist",
            yaml: BadInput.appending("vm:\n  readiness: pipe\n"),
            code: .invalidValue,
            line: 13,
            keyPath: "vm.readiness",
            message: "`pipe` is not one of serial, vsock"
        ),
        BadInput(
            name: "readiness over vsock on port 0",
            yaml: BadInput.appending("vm:\n  readiness: {vsock: {port: 0}}\n"),
            code: .invalidValue,
            line: 13,
            keyPath: "vm.readiness.vsock.port",
            message: "must be positive"
        ),
        BadInput(
            name: "a typo in the vsock readiness keys",
            yaml: BadInput.appending("vm:\n  readiness: {vsock: {prot: 52}}\n"),
            code: .unknownKey,
            line: 13,
            keyPath: "vm.readiness.vsock.prot",
            message: "did you mean `port`?"
        ),
        BadInput(
            name: "a readiness mapping for the serial console",
            yaml: BadInput.appending("vm:\n  readiness: {serial: {}}\n"),
            code: .unknownKey,
            line: 13,
            keyPath: "vm.readiness.serial",
            message: "unknown key"
        ),
        BadInput(
            name: "a readiness request of two lines",
            yaml: BadInput.appending("vm:\n  readiness: {vsock: {request: \"a\\nb\"}}\n"),
            code: .invalidValue,
            line: 13,
            keyPath: "vm.readiness.vsock.request",
            message: "must be one line"
        ),
        BadInput(
            name: "a snapshot's VM given guest keys",
            yaml: BadInput.appending("vm:\n  snapshot: {state: vm.state, memory: vm.mem}\n  working_set_mib: 16\n"),
            code: .inapplicableKey,
            line: 14,
            keyPath: "vm.working_set_mib",
            message: "does not apply to a VM restored from vm.snapshot"
        ),
        BadInput(
            name: "a snapshot without its memory file",
            yaml: BadInput.appending("vm:\n  snapshot: {state: vm.state}\n"),
            code: .missingKey,
            line: 13,
            keyPath: "vm.snapshot.memory",
            message: "missing"
        ),
        BadInput(
            name: "a typo in the snapshot's keys",
            yaml: BadInput.appending("vm:\n  snapshot: {state: vm.state, memroy: vm.mem}\n"),
            code: .unknownKey,
            line: 13,
            keyPath: "vm.snapshot.memroy",
            message: "did you mean `memory`?"
        ),
        BadInput(
            name: "a linux guest on the serial console without its resume line",
            yaml: BadInput.appending(
                "vm:\n  guest: linux\n  kernel: /k\n  rootfs: /r\n  boot_args: console=ttyS0\n  boot_pattern: ready\n"
            ),
            code: .missingKey,
            line: 13,
            keyPath: "vm.resume_pattern",
            message: "required for a `linux` guest"
        ),
        BadInput(
            name: "a linux guest without its kernel",
            yaml: BadInput.appending("vm:\n  guest: linux\n  rootfs: /r\n  boot_args: x\n  readiness: vsock\n"),
            code: .missingKey,
            line: 13,
            keyPath: "vm.kernel",
            message: "required for a `linux` guest"
        ),
        BadInput(
            name: "a linux guest without its root drive",
            yaml: BadInput.appending("vm:\n  guest: linux\n  kernel: /k\n  boot_args: x\n  readiness: vsock\n"),
            code: .missingKey,
            line: 13,
            keyPath: "vm.rootfs",
            message: "required for a `linux` guest"
        ),
        BadInput(
            name: "a linux guest without its kernel command line",
            yaml: BadInput.appending("vm:\n  guest: linux\n  kernel: /k\n  rootfs: /r\n  readiness: vsock\n"),
            code: .missingKey,
            line: 13,
            keyPath: "vm.boot_args",
            message: "required for a `linux` guest"
        ),
        BadInput(
            name: "a linux guest's kernel command line as a list",
            yaml: BadInput.appending(
                "vm:\n  guest: linux\n  kernel: /k\n  rootfs: /r\n  boot_args: [console=ttyS0]\n  readiness: vsock\n"
            ),
            code: .wrongType,
            line: 16,
            keyPath: "vm.boot_args",
            message: "expected a string"
        ),
        BadInput(
            name: "a linux guest on the serial console without its boot line",
            yaml: BadInput.appending(
                "vm:\n  guest: linux\n  kernel: /k\n  rootfs: /r\n  boot_args: console=ttyS0\n  resume_pattern: R\n"
            ),
            code: .missingKey,
            line: 13,
            keyPath: "vm.boot_pattern",
            message: "required for a `linux` guest"
        ),
        BadInput(
            name: "a linux guest's resume line empty",
            yaml: BadInput.appending(
                "vm:\n  guest: linux\n  kernel: /k\n  rootfs: /r\n  boot_args: x\n  boot_pattern: B\n  resume_pattern: ' '\n"
            ),
            code: .invalidValue,
            line: 18,
            keyPath: "vm.resume_pattern",
            message: "must not be empty"
        ),
        BadInput(
            name: "a linux guest given the builtin guest's keys",
            yaml: BadInput.appending(
                "vm:\n  guest: linux\n  kernel: /k\n  rootfs: /r\n  boot_args: x\n  readiness: vsock\n  touch_mib: 4\n"
            ),
            code: .inapplicableKey,
            line: 18,
            keyPath: "vm.touch_mib",
            message: "does not apply to a `linux` guest"
        ),
        BadInput(
            name: "a scenario name that climbs out of --output",
            yaml: BadInput.replacing(1, with: "name: ../../evil"),
            code: .invalidValue,
            line: 1,
            keyPath: "name",
            message: "the scenario's name may not contain `/`"
        ),
        BadInput(
            name: "a scenario name that is a path",
            yaml: BadInput.replacing(1, with: "name: /etc/cron.d/evil"),
            code: .invalidValue,
            line: 1,
            keyPath: "name",
            message: "may not contain `/`"
        ),
        BadInput(
            name: "a scenario name that is `..`",
            yaml: BadInput.replacing(1, with: "name: \"..\""),
            code: .invalidValue,
            line: 1,
            keyPath: "name",
            message: "starts with `.`"
        ),
        BadInput(
            name: "a scenario name with a NUL",
            yaml: BadInput.replacing(1, with: "name: \"smoke\\0.json\""),
            code: .invalidValue,
            line: 1,
            keyPath: "name",
            message: "may not contain U+0"
        ),
        BadInput(
            name: "a scenario name of 300 characters",
            yaml: BadInput.replacing(1, with: "name: " + String(repeating: "x", count: 300)),
            code: .invalidValue,
            line: 1,
            keyPath: "name",
            message: "is 300 characters long; at most 100 are allowed"
        ),
        BadInput(
            name: "a scenario name with an emoji",
            yaml: BadInput.replacing(1, with: "name: rocket-🚀"),
            code: .invalidValue,
            line: 1,
            keyPath: "name",
            message: "may not contain `🚀`"
        ),
        BadInput(
            name: "a variant name that climbs out of --output",
            yaml: BadInput.appending("variants:\n  - {name: ok}\n  - {name: ../../evil}\n"),
            code: .invalidValue,
            line: 14,
            keyPath: "variants[1].name",
            message: "contains `.`, which separates it from the scenario's name"
        ),
        BadInput(
            name: "a variant name with a slash",
            yaml: BadInput.appending("variants:\n  - {name: a/b}\n"),
            code: .invalidValue,
            line: 13,
            keyPath: "variants[0].name",
            message: "the variant's name may not contain `/`"
        ),
        BadInput(
            name: "a jailed VMM served by the page server",
            yaml: BadInput.replacing(4, with: "  warm_target: 2\n  launch: jailer") + "vm:\n  memory_backend: uffd\n",
            code: .invalidValue,
            line: 14,
            keyPath: "vm.memory_backend",
            message: "a jailed VMM cannot be served by snapbench's page server"
        ),
        BadInput(
            name: "two memory cgroups for one VMM",
            yaml: BadInput.replacing(
                4,
                with: "  warm_target: 2\n  cgroup_limit_mib: 256\n  launch: {mode: jailer, cgroup_memory_mib: 256}"
            ),
            code: .invalidValue,
            line: 5,
            keyPath: "pool.cgroup_limit_mib",
            message: "a VMM is in one memory cgroup"
        ),
        BadInput(
            name: "a drive sharing that does not exist",
            yaml: BadInput.appending("vm:\n  drives: {count: 3, size_mib: 16, sharing: shared}\n"),
            code: .invalidValue,
            line: 13,
            keyPath: "vm.drives.sharing",
            message: "`shared` is not one of read_only, copy"
        ),
        BadInput(
            name: "drives without a size",
            yaml: BadInput.appending("vm:\n  drives: {count: 3}\n"),
            code: .missingKey,
            line: 13,
            keyPath: "vm.drives.size_mib",
            message: "required key `size_mib` is missing"
        ),
        BadInput(
            name: "a misspelt drive key",
            yaml: BadInput.appending("vm:\n  drives: {count: 1, size: 16}\n"),
            code: .unknownKey,
            line: 13,
            keyPath: "vm.drives.size",
            message: "did you mean `size_mib`?"
        ),
        BadInput(
            name: "too many network interfaces",
            yaml: BadInput.appending("vm:\n  network_interfaces: 17\n"),
            code: .invalidValue,
            line: 13,
            keyPath: "vm.network_interfaces",
            message: "must be at most 16 (is 17)"
        ),
        BadInput(
            name: "a balloon larger than the guest",
            yaml: BadInput.appending("vm:\n  balloon: {amount_mib: 512}\n"),
            code: .invalidValue,
            line: 13,
            keyPath: "vm.balloon.amount_mib",
            message: "must be at most 128 (is 512)"
        ),
        BadInput(
            name: "a misspelt launch mode",
            yaml: BadInput.replacing(4, with: "  warm_target: 2\n  launch: jail"),
            code: .invalidValue,
            line: 5,
            keyPath: "pool.launch",
            message: "`jail` is not one of direct, jailer"
        ),
        BadInput(
            name: "a relative chroot base",
            yaml: BadInput.replacing(4, with: "  warm_target: 2\n  launch: {mode: jailer, chroot_base: jails}"),
            code: .invalidValue,
            line: 5,
            keyPath: "pool.launch.chroot_base",
            message: "must be an absolute path"
        ),
        BadInput(
            name: "a jail's user for a direct launch",
            yaml: BadInput.replacing(4, with: "  warm_target: 2\n  launch: {mode: direct, uid: 1000}"),
            code: .inapplicableKey,
            line: 5,
            keyPath: "pool.launch.uid",
            message: "applies only to `mode: jailer`"
        ),
        BadInput(
            name: "more standby processes than VMs",
            yaml: BadInput.replacing(4, with: "  warm_target: 2\n  maximum_vms: 4\n  standby_vmms: 5"),
            code: .invalidValue,
            line: 6,
            keyPath: "pool.standby_vmms",
            message: "standby_vmms (5) exceeds maximum_vms (4)"
        ),
        BadInput(
            name: "a negative standby count",
            yaml: BadInput.replacing(4, with: "  warm_target: 2\n  standby_vmms: -1"),
            code: .invalidValue,
            line: 5,
            keyPath: "pool.standby_vmms",
            message: "must be at least 0 (is -1)"
        ),
        BadInput(
            name: "unknown key, with a suggestion",
            yaml: BadInput.replacing(4, with: "  warm_targt: 2"),
            code: .unknownKey,
            line: 4,
            keyPath: "pool.warm_targt",
            message: "did you mean `warm_target`?"
        ),
        BadInput(
            name: "unknown top-level key",
            yaml: BadInput.appending("sead: 4\n"),
            code: .unknownKey,
            line: 12,
            keyPath: "sead",
            message: "did you mean `seed`?"
        ),
        BadInput(
            name: "duplicate top-level key",
            yaml: BadInput.replacing(2, with: "description: one\nname: again"),
            code: .duplicateKey,
            line: 3,
            keyPath: "name",
            message: "duplicate key (first on line 1)"
        ),
        BadInput(
            name: "duplicate key in a phase",
            yaml: BadInput.replacing(9, with: "    duration: 5s\n    rate: 20/s"),
            code: .duplicateKey,
            line: 10,
            keyPath: "phases[0].rate",
            message: "duplicate key (first on line 8)"
        ),
        BadInput(
            name: "duplicate key in a flow mapping, written three times",
            yaml: BadInput.replacing(3...4, with: "pool: {warm_target: 2, \"warm_target\": 3, warm_target: 4}"),
            code: .duplicateKey,
            line: 3,
            keyPath: "pool.warm_target",
            message: "duplicate key (first on line 3)",
            column: 24
        ),
        BadInput(
            name: "missing name",
            yaml: BadInput.replacing(1, with: "# no name"),
            code: .missingKey,
            line: 2,
            keyPath: "name",
            message: "required key `name` is missing"
        ),
        BadInput(
            name: "missing warm_target",
            yaml: BadInput.replacing(4, with: "  maximum_vms: 4"),
            code: .missingKey,
            line: 4,
            keyPath: "pool.warm_target",
            message: "required key `warm_target` is missing in `pool`"
        ),
        BadInput(
            name: "wrong type",
            yaml: BadInput.replacing(4, with: "  warm_target: [2]"),
            code: .wrongType,
            line: 4,
            keyPath: "pool.warm_target",
            message: "expected an integer, found a list"
        ),
        BadInput(
            name: "duration without a unit",
            yaml: BadInput.replacing(9, with: "    duration: 5"),
            code: .badUnit,
            line: 9,
            keyPath: "phases[0].duration",
            message: "`5` has no unit"
        ),
        BadInput(
            name: "duration with an unknown unit",
            yaml: BadInput.replacing(9, with: "    duration: 5sec"),
            code: .badUnit,
            line: 9,
            keyPath: "phases[0].duration",
            message: "`sec` is not a duration unit"
        ),
        BadInput(
            name: "bad rate",
            yaml: BadInput.replacing(8, with: "    rate: 10 per second"),
            code: .badUnit,
            line: 8,
            keyPath: "phases[0].rate",
            message: "is not a rate"
        ),
        BadInput(
            name: "zero rate",
            yaml: BadInput.replacing(8, with: "    rate: 0/s"),
            code: .invalidValue,
            line: 8,
            keyPath: "phases[0].rate",
            message: "must be above zero"
        ),
        BadInput(
            name: "memory with a unit",
            yaml: BadInput.appending("vm:\n  memory_mib: 128MiB\n"),
            code: .badUnit,
            line: 13,
            keyPath: "vm.memory_mib",
            message: "sizes are integers in MiB"
        ),
        BadInput(
            name: "negative count",
            yaml: BadInput.replacing(6...9, with: BadInput.burstPhase.replacingOccurrences(of: "16", with: "-3")),
            code: .invalidValue,
            line: 8,
            keyPath: "phases[0].count",
            message: "must be positive (is -3)"
        ),
        BadInput(
            name: "warm_target above maximum_vms",
            yaml: BadInput.replacing(4, with: "  warm_target: 8\n  maximum_vms: 4"),
            code: .invalidValue,
            line: 5,
            keyPath: "pool.maximum_vms",
            message: "warm_target (8) exceeds maximum_vms (4)"
        ),
        BadInput(
            name: "working set too large for the memory",
            yaml: BadInput.appending("vm:\n  working_set_mib: 64\n  memory_mib: 64\n"),
            code: .invalidValue,
            line: 13,
            keyPath: "vm.working_set_mib",
            message: "raise memory_mib to at least 88"
        ),
        BadInput(
            name: "touch beyond the working set",
            yaml: BadInput.appending("vm:\n  working_set_mib: 8\n  touch_mib: 16\n"),
            code: .invalidValue,
            line: 14,
            keyPath: "vm.touch_mib",
            message: "touch_mib (16) exceeds working_set_mib (8)"
        ),
        BadInput(
            name: "touch order without a touch",
            yaml: BadInput.appending("vm:\n  touch_order: random\n"),
            code: .inapplicableKey,
            line: 13,
            keyPath: "vm.touch_order",
            message: "applies only with vm.touch_mib above 0"
        ),
        BadInput(
            name: "unknown touch access",
            yaml: BadInput.appending("vm:\n  touch_mib: 4\n  touch_access: poke\n"),
            code: .invalidValue,
            line: 14,
            keyPath: "vm.touch_access",
            message: "poke"
        ),
        BadInput(
            name: "fault-around with the file backend",
            yaml: BadInput.replacing(4, with: "  warm_target: 2\n  fault_around_kib: 64"),
            code: .inapplicableKey,
            line: 5,
            keyPath: "pool.fault_around_kib",
            message: "applies only with vm.memory_backend: uffd"
        ),
        BadInput(
            name: "fault-around not an aligned block of pages",
            yaml: BadInput.replacing(4, with: "  warm_target: 2\n  fault_around_kib: 12")
                + "vm:\n  memory_backend: uffd\n",
            code: .invalidValue,
            line: 5,
            keyPath: "pool.fault_around_kib",
            message: "must be 4 KiB times a power of two"
        ),
        BadInput(
            name: "executor-specific key on the wrong executor",
            yaml: BadInput.replacing(7, with: "    executor: burst\n    count: 4"),
            code: .inapplicableKey,
            line: 9,
            keyPath: "phases[0].rate",
            message: "does not apply to the `burst` executor (it takes count, spread, bursts, interval)"
        ),
        BadInput(
            name: "unknown executor",
            yaml: BadInput.replacing(7, with: "    executor: constant-rate"),
            code: .invalidValue,
            line: 7,
            keyPath: "phases[0].executor",
            message: "did you mean `constant-arrival-rate`?"
        ),
        BadInput(
            name: "burst spread not shorter than its interval",
            yaml: BadInput.replacing(
                6...9,
                with: BadInput.burstPhase + "\n    bursts: 3\n    interval: 1s\n    spread: 1s"
            ),
            code: .invalidValue,
            line: 11,
            keyPath: "phases[0].spread",
            message: "spread (1s) must be shorter than interval (1s)"
        ),
        BadInput(
            name: "several bursts without an interval",
            yaml: BadInput.replacing(6...9, with: BadInput.burstPhase + "\n    bursts: 3"),
            code: .missingKey,
            line: 6,
            keyPath: "phases[0].interval",
            message: "needed when bursts > 1"
        ),
        BadInput(
            name: "unknown gate metric",
            yaml: BadInput.replacing(11, with: "  - spwan_ms p95 < 50"),
            code: .unknownMetric,
            line: 11,
            keyPath: "gates[0]",
            message: "unknown metric `spwan_ms`; did you mean `spawn_ms`?"
        ),
        BadInput(
            name: "statistic the metric does not support",
            yaml: BadInput.replacing(11, with: "  - errors p95 == 0"),
            code: .unsupportedStatistic,
            line: 11,
            keyPath: "gates[0]",
            message: "`p95` is not supported for `errors`; it supports count, rate"
        ),
        BadInput(
            name: "bad gate syntax",
            yaml: BadInput.replacing(11, with: "  - spawn_ms p95 50"),
            code: .badGate,
            line: 11,
            keyPath: "gates[0]",
            message: "expected a comparison"
        ),
        BadInput(
            name: "fault after the end",
            yaml: BadInput.appending("faults:\n  - kind: vmm_crash\n    at: 30s\n"),
            code: .faultOutOfRange,
            line: 14,
            keyPath: "faults[0].at",
            message: "at 30s is after the scenario's end (its phases last 6s)"
        ),
        BadInput(
            name: "unknown fault kind",
            yaml: BadInput.appending("faults:\n  - kind: vmm_crsh\n    at: 1s\n"),
            code: .invalidValue,
            line: 13,
            keyPath: "faults[0].kind",
            message: "did you mean `vmm_crash`?"
        ),
        BadInput(
            name: "a parameter another fault kind takes",
            yaml: BadInput.appending("faults:\n  - kind: vmm_crash\n    at: 1s\n    mode: flip_state\n"),
            code: .unknownKey,
            line: 15,
            keyPath: "faults[0].mode",
            message: "unknown key"
        ),
        BadInput(
            name: "a lasting fault without a duration",
            yaml: BadInput.appending("faults:\n  - kind: vmm_hang\n    at: 1s\n"),
            code: .invalidValue,
            line: 13,
            keyPath: "faults[0].kind",
            message: "`vmm_hang` lasts a while: give it a `duration`"
        ),
        BadInput(
            name: "an instantaneous fault with a duration",
            yaml: BadInput.appending("faults:\n  - kind: vmm_crash\n    at: 1s\n    duration: 1s\n"),
            code: .invalidValue,
            line: 15,
            keyPath: "faults[0].duration",
            message: "`vmm_crash` happens at an instant: remove `duration`"
        ),
        BadInput(
            name: "a fault parameter out of range",
            yaml: BadInput.appending("faults:\n  - kind: vmm_crash\n    at: 1s\n    count: 0\n"),
            code: .invalidValue,
            line: 15,
            keyPath: "faults[0].count",
            message: "must be at least 1 (is 0)"
        ),
        BadInput(
            name: "a fault that ends after the scenario",
            yaml: BadInput.appending("faults:\n  - kind: cpu_contention\n    at: 5s\n    duration: 2s\n"),
            code: .faultOutOfRange,
            line: 15,
            keyPath: "faults[0].duration",
            message: "the fault would end at 7s, after the scenario's end (its phases last 6s)"
        ),
        BadInput(
            name: "lowering a cgroup limit the pool does not have",
            yaml: BadInput.appending(
                "faults:\n  - kind: memory_pressure\n    at: 1s\n    duration: 1s\n    cgroup_limit_mib: 64\n"
            ),
            code: .inapplicableKey,
            line: 16,
            keyPath: "faults[0].cgroup_limit_mib",
            message: "set `pool.cgroup_limit_mib`"
        ),
        BadInput(
            name: "filling a filesystem the pool does not have",
            yaml: BadInput.appending("faults:\n  - kind: disk_full\n    at: 1s\n    duration: 1s\n"),
            code: .inapplicableKey,
            line: 13,
            keyPath: "faults[0].kind",
            message: "set `pool.work_dir_size_mib`"
        ),
        BadInput(
            name: "linux guest without a kernel",
            yaml: BadInput.appending("vm:\n  guest: linux\n  rootfs: /r\n"),
            code: .missingKey,
            line: 13,
            keyPath: "vm.kernel",
            message: "required for a `linux` guest"
        ),
        BadInput(
            name: "a floor ratio on a scenario without a burst phase",
            yaml: BadInput.replacing(11, with: "  - spawn_floor_ratio p95 <= 1.5"),
            code: .undecidableGate,
            line: 11,
            keyPath: "gates[0]",
            message: "needs a measured burst phase"
        ),
        BadInput(
            name: "not YAML",
            yaml: BadInput.replacing(3, with: "pool: [warm_target: 2"),
            code: .syntax,
            line: 4,
            keyPath: "",
            message: "not valid YAML"
        ),
    ]

    @Test("vm.readiness and vm.snapshot read as written; vsock readiness gives the VM a vsock device")
    func readinessAndSnapshot() throws {
        let vsock = try ScenarioParser.parse(yaml: BadInput.appending("vm:\n  readiness: vsock\n"), file: "r.yaml")
        #expect(vsock.readiness == .builtIn)
        #expect(vsock.devices.vsock == Vsock(guestCid: 3, udsPath: "vsock.sock"))
        let custom = try ScenarioParser.parse(
            yaml: BadInput.appending("vm:\n  readiness: {vsock: {port: 1024, request: ping, expect: pong}}\n"),
            file: "r.yaml"
        )
        #expect(custom.readiness == AgentProbe(port: 1024, request: "ping", expect: "pong"))
        let serial = try ScenarioParser.parse(yaml: BadInput.appending("vm:\n  readiness: serial\n"), file: "r.yaml")
        #expect(serial.readiness == nil && serial.devices.vsock == nil)
        let external = try ScenarioParser.parse(
            yaml: BadInput.appending(
                "vm:\n  snapshot: {state: snap/vm.state, memory: /abs/vm.mem}\n  readiness: vsock\n"
            ),
            file: "/srv/scenarios/mine.yaml"
        )
        #expect(
            external.vm == .snapshot(ExternalSnapshot(state: "/srv/scenarios/snap/vm.state", memory: "/abs/vm.mem"))
        )
        let agent = try ScenarioParser.parseVariants(file: Self.scenariosDirectory + "/agent.yaml")
        #expect(agent.map(\.name) == ["agent.serial", "agent.vsock", "agent.vsock-touch16", "agent.linux-stand-in"])
        #expect(agent[0].readiness == nil && agent[1].readiness == .builtIn)
        // The variants held to the spawn target are judged against their bursts' floor too, as `burst` is.
        let floorJudged = agent.filter { $0.gates.contains { $0.metric == .spawnFloorRatio } }.map(\.name)
        #expect(floorJudged == ["agent.serial", "agent.vsock", "agent.linux-stand-in"])
        guard case .linux(let guest) = agent[3].vm else {
            Issue.record("the stand-in variant is not a linux guest: \(agent[3].vm)")
            return
        }
        #expect(guest.kernel == LinuxGuest.builtInGuestKernel && guest.rootfs == LinuxGuest.standInRootfs)
        #expect(guest.bootPattern.isEmpty && guest.resumePattern.isEmpty)
    }

    @Test("A bad input is refused with its code, line and key path", arguments: badInputs)
    func badInput(_ input: BadInput) throws {
        let error = try #require(throws: ScenarioError.self) {
            try ScenarioParser.parse(yaml: input.yaml, file: "bad.yaml")
        }
        #expect(error.code == input.code, "\(error)")
        #expect(error.line == input.line, "\(error)")
        #expect(error.keyPath == input.keyPath, "\(error)")
        #expect(error.message.contains(input.message), "\(error)")
        #expect(error.file == "bad.yaml")
        if let column = input.column { #expect(error.column == column, "\(error)") }
        let prefix = "bad.yaml:\(error.line):\(error.column): " + (input.keyPath.isEmpty ? "" : "\(input.keyPath): ")
        #expect(error.description.hasPrefix(prefix), "\(error)")
        if ProcessInfo.processInfo.environment["SCENARIO_PRINT_ERRORS"] != nil { print("[\(input.name)] \(error)") }
    }

    @Test("A gate error points at the offending word")
    func gateErrorColumn() throws {
        let error = try #require(throws: ScenarioError.self) {
            try ScenarioParser.parse(yaml: BadInput.replacing(11, with: "  - errors p95 == 0"), file: "bad.yaml")
        }
        #expect(error.column == 12)
        #expect(error.description.hasPrefix("bad.yaml:11:12: gates[0]: "))
    }

    @Test("A missing file is an unreadable-file error")
    func missingFile() throws {
        let error = try #require(throws: ScenarioError.self) {
            try ScenarioParser.parse(file: "/nonexistent/scenario.yaml")
        }
        #expect(error.code == .unreadableFile)
        #expect(error.file == "/nonexistent/scenario.yaml")
    }

    // MARK: - Gates

    @Test(
        "Gate expressions parse",
        arguments: [
            ("spawn_ms p95 < 50", Metric.spawn, Statistic.p95, Gate.Comparison.less, 50.0),
            ("errors count == 0", .errors, .count, .equal, 0),
            ("late_starts rate < 0.01", .lateStarts, .rate, .less, 0.01),
            ("pool_resident_mb max < 100", .poolResident, .max, .less, 100),
            ("  restore_ms p99<=20  ", .restore, .p99, .lessOrEqual, 20),
            ("leases count >= 1e4", .leases, .count, .greaterOrEqual, 10_000),
            ("warm_hits rate > 0.5", .warmHits, .rate, .greater, 0.5),
            ("allocated_bytes_per_lease slope <= 16", .allocatedPerLease, .slope, .lessOrEqual, 16),
            ("process_rss_mb growth <= 2", .processRSS, .growth, .lessOrEqual, 2),
        ]
    )
    func gateParses(
        text: String,
        metric: Metric,
        statistic: Statistic,
        comparison: Gate.Comparison,
        threshold: Double
    )
        throws
    {
        let gate = try ScenarioParser.parseGate(text)
        #expect(gate.metric == metric)
        #expect(gate.statistic == statistic)
        #expect(gate.comparison == comparison)
        #expect(gate.threshold == threshold)
        #expect(gate.expression == text.trimmingCharacters(in: .whitespaces))
    }

    @Test(
        "Bad gate expressions are refused",
        arguments: [
            ("", ScenarioError.Code.badGate, 1),
            ("spawn_ms", .badGate, 9),
            ("spawn_ms p95", .badGate, 13),
            ("spawn_ms p95 <", .badGate, 15),
            ("spawn_ms p95 = 50", .badGate, 14),
            ("spawn_ms p95 != 50", .badGate, 14),
            ("spawn_ms p95 < fifty", .badGate, 16),
            ("spawn_ms p95 < 50ms", .badGate, 16),
            ("spawn_ms p95 < 50 and", .badGate, 19),
            ("spawn_ms p95 < nan", .badGate, 16),
            ("spwan_ms p95 < 50", .unknownMetric, 1),
            ("errors p95 == 0", .unsupportedStatistic, 8),
            ("pool_resident_mb p95 < 100", .unsupportedStatistic, 18),
            ("spawn_ms rate < 0.1", .unsupportedStatistic, 10),
            ("late_starts rate < 2", .badGate, 20),
        ]
    )
    func badGate(text: String, code: ScenarioError.Code, column: Int) throws {
        let error = try #require(throws: ScenarioError.self) { try ScenarioParser.parseGate(text) }
        #expect(error.code == code, "\(error)")
        #expect(error.file == "--gate" && error.line == 1)
        #expect(error.column == column, "\(error)")
    }

    @Test("Gate.passes compares against the threshold")
    func gatePasses() throws {
        let below = try ScenarioParser.parseGate("spawn_ms p95 < 50")
        #expect(below.passes(49.9) && !below.passes(50) && !below.passes(51))
        let atMost = try ScenarioParser.parseGate("spawn_ms p95 <= 50")
        #expect(atMost.passes(50) && !atMost.passes(50.1))
        let above = try ScenarioParser.parseGate("warm_hits rate > 0.5")
        #expect(above.passes(0.6) && !above.passes(0.5))
        let atLeast = try ScenarioParser.parseGate("leases count >= 100")
        #expect(atLeast.passes(100) && !atLeast.passes(99))
        let exactly = try ScenarioParser.parseGate("errors count == 0")
        #expect(exactly.passes(0) && !exactly.passes(1))
    }
}
