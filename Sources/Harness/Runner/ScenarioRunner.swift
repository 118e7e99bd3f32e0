import Firecracker
import Foundation
import Glibc
public import Logging
public import Reporting
import SnapshotPool

/// Runs one scenario: builds the pool on the chosen backend, drives it through the phases, samples memory,
/// drains, checks for leaks, evaluates the gates and returns the report.
///
/// ```swift
/// let runner = ScenarioRunner(scenario: scenario, options: .init(workDirectory: "/tmp/snapbench"))
/// let report = try await runner.run()
/// print(report.verdict)
/// ```
public struct ScenarioRunner: Sendable {
    /// Where and how to run.
    public struct Options: Sendable {
        /// VM working directories go below it (`vms/`, shared by every run so that a run reclaims what a killed
        /// one left); snapshots too unless ``snapshotDirectory`` is set.
        public var workDirectory: String
        /// Where golden snapshots are built; `nil` means `<workDirectory>/snapshots`.
        public var snapshotDirectory: String?
        /// The Firecracker binary, when the user named one.
        public var firecrackerPath: String?
        /// The built-in guest, when the user named one.
        public var guestPath: String?
        /// Overrides the scenario's backend choice.
        public var backend: BackendChoice?
        /// Gates added on the command line.
        public var extraGates: [Gate] = []
        /// A release sign-off: a run on the simulated backend fails whatever its figures.
        public var signOff = false
        /// Where the run's audit log goes; `nil` keeps it in the work directory until it is verified, then
        /// removes it.
        public var auditPath: String?
        /// Called about once a second with the run's progress.
        public var progress: (@Sendable (RunProgress) -> Void)?
        /// Where to log.
        public var logger = Logger(label: "snapbench.run")

        public init(workDirectory: String) {
            self.workDirectory = workDirectory
        }
    }

    /// The scenario.
    public var scenario: Scenario
    /// The options.
    public var options: Options

    public init(scenario: Scenario, options: Options) {
        self.scenario = scenario
        self.options = options
    }

    /// Runs the scenario.
    ///
    /// - Returns: the report, with its verdict (`incomplete` when the pool could not start or a phase
    ///   could not run; the error is in the report's gates).
    /// - Throws: `FirecrackerError` when the Firecracker backend was required and cannot start.
    public func run() async throws -> RunReport {
        let choice = options.backend ?? scenario.backend
        let useFirecracker: Bool
        switch choice {
        case .firecracker: useFirecracker = true
        case .simulated: useFirecracker = false
        case .auto:
            let found = (try? await installation()) != nil
            useFirecracker = HostInfo.kvmUsable && found
        }
        let audit = try openAuditLog()
        defer {
            audit.log.close()
            if audit.temporary { try? FileManager.default.removeItem(atPath: audit.path) }
        }
        if useFirecracker {
            let installation = try await installation()
            var filesystem: SizeLimitedFilesystem?
            if let size = scenario.pool.workFilesystemMiB {
                _ = SizeLimitedFilesystem.reclaimOrphans(in: options.workDirectory, logger: options.logger)
                filesystem = try SizeLimitedFilesystem.mount(in: options.workDirectory, mebibytes: size)
            }
            defer { filesystem?.unmount() }
            var configuration = FirecrackerBackend.Configuration(
                installation: installation,
                spec: try vmSpec(),
                storeDirectory: options.snapshotDirectory ?? options.workDirectory + "/snapshots",
                workDirectory: (filesystem?.path ?? options.workDirectory) + "/vms"
            )
            configuration.audit = audit.log
            var cgroup: MemoryCgroup?
            if let limit = scenario.pool.cgroupLimitMiB {
                let created = try MemoryCgroup.create(prefix: "snapbench")
                try created.setLimit(bytes: UInt64(limit) * 1_048_576)
                cgroup = created
                configuration.cgroup = created
            }
            defer { try? cgroup?.destroy(killingProcesses: true) }
            let backend = FirecrackerBackend(configuration: configuration, logger: options.logger)
            let poolDirectory = backend.poolDirectory
            let store = backend.store
            return try await drive(
                backend: backend,
                installation: installation,
                cgroup: cgroup,
                poolDirectory: poolDirectory,
                audit: audit,
                filesystem: filesystem,
                quarantines: { await store.history.filter { if case .quarantined = $0 { true } else { false } }.count },
                surface: { pool in
                    .firecracker(
                        pool: pool,
                        poolDirectory: poolDirectory,
                        store: store,
                        cgroup: cgroup,
                        filesystem: filesystem
                    )
                }
            )
        }
        let backend = SimulatedBackend(clock: ContinuousClock(), seed: scenario.seed)
        return try await drive(
            backend: backend,
            installation: nil,
            cgroup: nil,
            poolDirectory: nil,
            audit: audit,
            filesystem: nil,
            quarantines: { backend.faults.snapshotFailuresReported },
            surface: { pool in .simulated(pool: pool) }
        )
    }

    /// The run's audit log: at ``Options/auditPath``, or a temporary file in the work directory.
    private func openAuditLog() throws -> (log: AuditLog, path: String, temporary: Bool) {
        let temporary = options.auditPath == nil
        let path =
            options.auditPath ?? "\(options.workDirectory)/audit-\(getpid())-\(UUID().uuidString.prefix(8)).jsonl"
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
            withIntermediateDirectories: true
        )
        try? FileManager.default.removeItem(atPath: path)
        return (try AuditLog(path: path), path, temporary)
    }

    private func installation() async throws -> FirecrackerInstallation {
        try await FirecrackerInstallation.locate(explicitPath: options.firecrackerPath)
    }

    func vmSpec() throws -> VMSpec {
        switch scenario.vm {
        case .builtInGuest(let workingSet, let memory, let vcpus):
            return .builtInGuest(
                imagePath: try ProjectPaths.locateGuest(explicitPath: options.guestPath),
                workingSetMiB: workingSet,
                memoryMiB: memory,
                vcpuCount: vcpus
            )
        case .linux(let guest):
            return VMSpec(
                kernelImagePath: guest.kernel,
                bootArgs: guest.bootArgs,
                vcpuCount: guest.vcpus,
                memoryMiB: guest.memoryMiB,
                drives: [Drive(driveId: "rootfs", pathOnHost: guest.rootfs, isRootDevice: true, isReadOnly: true)],
                readiness: ReadinessProbe(bootPrefix: guest.bootPattern, resumePrefix: guest.resumePattern)
            )
        }
    }

    private func drive<Backend: VMBackend>(
        backend: Backend,
        installation: FirecrackerInstallation?,
        cgroup: MemoryCgroup?,
        poolDirectory: String?,
        audit: (log: AuditLog, path: String, temporary: Bool),
        filesystem: SizeLimitedFilesystem?,
        quarantines: @Sendable () async -> Int,
        surface: (SnapshotPool<Backend, ContinuousClock>) -> FaultSurface
    ) async throws -> RunReport {
        // Whole seconds: the report stores ISO 8601 without fractions and must read back equal.
        let startedAt = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let start = ContinuousClock.now
        let descriptorsBefore = ProcessStatus.openDescriptorCount()
        let jemalloc = Jemalloc()
        let allocatedBefore = jemalloc?.statistics().allocated
        let recorder = RunRecorder()
        let sampler = TimelineSampler(cgroup: cgroup)
        var services = PoolServices()
        services.audit = audit.log
        if let interval = scenario.pool.pressureInterval {
            let source = cgroup?.pressureSource ?? SystemPressureSource()
            services.pressure = PressureMonitoring(source: source, interval: interval)
        }
        let pool = SnapshotPool(
            backend: backend,
            configuration: scenario.pool.configuration,
            services: services,
            clock: ContinuousClock(),
            logger: options.logger
        )
        let log = FaultLog(recordsLeases: !scenario.faults.isEmpty)
        let events = pool.subscribe()
        let scheduler = FaultScheduler(
            faults: scenario.faults,
            injector: FaultInjector(surface: surface(pool)),
            seed: scenario.seed
        )
        var failure: (any Error)?
        var occurrences: [FaultOccurrence] = []
        var leasedAfterLoad = 0
        var loadEnd = 0.0
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            group.addTask {
                for await event in events { log.record(event, at: start.duration(to: .now).inSeconds) }
            }
            group.addTask {
                await sampler.run(
                    start: start,
                    statistics: { await pool.statistics() },
                    served: { recorder.servedCount }
                )
            }
            defer { group.cancelAll() }
            var faults: Task<[FaultOccurrence], Never>?
            do {
                try await waitUntilStarted(pool)
                let phaseStart = ContinuousClock.now
                if !scenario.faults.isEmpty {
                    faults = Task { await scheduler.run(runStart: start, phaseStart: phaseStart) }
                }
                for phase in scenario.phases {
                    let index = recorder.beginPhase(phase.name, warmup: phase.warmup)
                    try await runPhase(phase, index: index, pool: pool, recorder: recorder, log: log, runStart: start)
                }
                loadEnd = start.duration(to: .now).inSeconds
                occurrences = await faults?.value ?? []
                leasedAfterLoad = await pool.statistics().leased
            } catch {
                failure = error
                loadEnd = start.duration(to: .now).inSeconds
                // Faults still under way are reverted now, before the drain.
                faults?.cancel()
                occurrences = await faults?.value ?? []
            }
            await pool.shutdown()
            // The pool's run() ends after the drain; its error (e.g. a failed start) is the run's failure.
            // A pool that failed to start explains the run's failure better than the wait that noticed it.
            do { try await group.next() } catch { failure = error }
        }
        let counters = await pool.statistics().counters
        sampler.sample(start: start, stats: nil, served: 0)
        let timeline = sampler.timeline
        filesystem?.unmount()
        let leakCheck = LeakChecker(
            poolDirectory: poolDirectory,
            descriptorsBefore: descriptorsBefore,
            allocatedBefore: allocatedBefore,
            timeline: timeline,
            filesystemPath: filesystem?.path
        )
        .check()
        let (phases, overall) = recorder.reports()
        let faultRecords = FaultAnalyzer(occurrences: occurrences, log: log, loadEnd: loadEnd).records()
        audit.log.close()
        let accounting = Accounting(
            phases: phases,
            counters: counters,
            leasedAfterLoad: leasedAfterLoad,
            deadAtHandout: log.deadAtHandout,
            leakProblems: leakCheck.problems,
            audit: Accounting.AuditFigures(
                path: audit.path,
                shedEvents: log.shedEvents,
                quarantines: await quarantines()
            )
        )
        var evaluator = GateEvaluator(
            overall: overall,
            timeline: timeline,
            counters: counters,
            leaks: leakCheck.problems.count
        )
        evaluator.additional = accounting.figures.merging(FaultAnalyzer.figures(faultRecords)) { first, _ in first }
        var gates = evaluator.evaluate(scenario.gates + options.extraGates)
        if failure == nil { gates += accounting.gates() }
        let verdict: Verdict
        if let failure {
            gates.append(GateResult(expression: "run completes", measured: nil, passed: false, reason: "\(failure)"))
            verdict = .incomplete
        } else if backend.kind == .simulated, options.signOff {
            gates.append(
                GateResult(
                    expression: "backend is firecracker",
                    measured: nil,
                    passed: false,
                    reason: "a simulated run can never pass a sign-off gate"
                )
            )
            verdict = .fail
        } else {
            verdict = gates.allSatisfy(\.passed) ? .pass : .fail
        }
        let host = HostInfo.current()
        return RunReport(
            scenario: scenario.name,
            description: scenario.description,
            startedAt: startedAt,
            durationSeconds: start.duration(to: .now).inSeconds,
            environment: EnvironmentInfo(
                hostname: host.hostname,
                kernel: host.kernelRelease,
                cpuModel: host.cpuModel,
                cpuCount: host.cpuCount,
                memoryBytes: host.memoryBytes,
                kvmFlavour: host.kvmFlavour,
                backend: backend.kind.rawValue,
                firecrackerVersion: installation?.version,
                firecrackerSHA256: installation?.sha256,
                allocator: Jemalloc.version.map { "jemalloc \($0.split(separator: "-").first ?? "")" } ?? "system",
                commit: Self.commit()
            ),
            definitions: Self.definitions,
            phases: phases,
            overall: overall,
            timeline: timeline,
            faults: faultRecords,
            leakCheck: leakCheck,
            gates: gates,
            verdict: verdict
        )
    }

    private func waitUntilStarted<Backend: VMBackend>(_ pool: SnapshotPool<Backend, ContinuousClock>) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let stats = await pool.statistics()
            if stats.state == "running", stats.warm >= scenario.pool.configuration.warmTarget { return }
            if stats.state == "stopped" || stats.state == "draining" {
                throw PoolError(.shuttingDown, "the pool stopped while starting")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw PoolError(.deadline, "the pool did not fill its warm set within 120 s")
    }

    /// Runs one phase: open loop from a precomputed schedule, or closed-loop workers.
    private func runPhase<Backend: VMBackend>(
        _ phase: Phase,
        index: Int,
        pool: SnapshotPool<Backend, ContinuousClock>,
        recorder: RunRecorder,
        log: FaultLog,
        runStart: ContinuousClock.Instant
    ) async throws {
        let phaseStart = ContinuousClock.now
        let holdSeed = scenario.seed &+ UInt64(index) &* 0x9E37_79B9
        let reporter = ProgressTicker(
            phase: phase,
            index: index,
            start: phaseStart,
            recorder: recorder,
            pool: pool,
            sink: options.progress
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let sink = options.progress {
                _ = sink
                group.addTask { await reporter.run() }
            }
            // Discarding: a plain group keeps every finished lease task until the phase ends (10 000 tasks in
            // churn held 9 KB each, and jemalloc `allocated` climbed ~1 MB/s).
            try await withThrowingDiscardingTaskGroup { leases in
                if case .workers(let count, let think, let duration) = phase.load {
                    for worker in 0..<count {
                        leases.addTask {
                            var random = SeededRandom(seed: holdSeed &+ UInt64(worker))
                            while phaseStart.duration(to: .now) < duration {
                                let requested = ContinuousClock.now
                                recorder.scheduled(phase: index, dispatchLag: nil)
                                await lease(
                                    pool,
                                    intended: requested,
                                    hold: phase.hold.sample(&random),
                                    index: index,
                                    recorder: recorder,
                                    log: log,
                                    runStart: runStart
                                )
                                try? await Task.sleep(for: think.sample(&random))
                            }
                        }
                    }
                } else {
                    let dispatcher = DispatchExecutor(name: "snapbench.dispatch")
                    defer { dispatcher.stop() }
                    try await withTaskExecutorPreference(dispatcher) {
                        var random = SeededRandom(seed: holdSeed)
                        for offset in ArrivalSchedule.offsets(for: phase.load, seed: holdSeed) {
                            let intended = phaseStart + offset
                            // Start the lease's task a little early: waking a pool thread takes ~40 µs here,
                            // which would otherwise be added to every lease.
                            try await Self.wait(until: intended - Self.taskHeadStart)
                            let hold = phase.hold.sample(&random)
                            // Leases run on the shared pool; only the dispatcher keeps the thread of its own.
                            leases.addTask(executorPreference: globalConcurrentExecutor) {
                                while ContinuousClock.now < intended { await Task.yield() }
                                recorder.scheduled(phase: index, dispatchLag: intended.duration(to: .now))
                                await lease(
                                    pool,
                                    intended: intended,
                                    hold: hold,
                                    index: index,
                                    recorder: recorder,
                                    log: log,
                                    runStart: runStart
                                )
                            }
                        }
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// How much earlier than its arrival a lease's task is started, so that it is running at the instant.
    static let taskHeadStart: Duration = .microseconds(150)

    /// Blocks the dispatcher's own thread until shortly before `instant`, then spins to it: an async timer
    /// fires from a shared thread that a busy host delays by a millisecond or more, and the dispatch lag is
    /// itself a measured figure. Only called on the dispatcher's executor, never on the shared pool.
    static func wait(until instant: ContinuousClock.Instant) async throws {
        try Task.checkCancellation()
        let remaining = ContinuousClock.now.duration(to: instant) - .microseconds(200)
        if remaining > .zero {
            let (seconds, attoseconds) = remaining.components
            var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            // Unsafe: nanosleep(2) reads the interval from our local; an interruption just ends the sleep early.
            _ = nanosleep(&request, nil)
        }
        while ContinuousClock.now < instant {}
    }

    /// One acquire → hold → release, recorded as exactly one outcome.
    private func lease<Backend: VMBackend>(
        _ pool: SnapshotPool<Backend, ContinuousClock>,
        intended: ContinuousClock.Instant,
        hold: Duration,
        index: Int,
        recorder: RunRecorder,
        log: FaultLog,
        runStart: ContinuousClock.Instant
    ) async {
        let arrival = runStart.duration(to: intended).inSeconds
        do {
            let lease = try await pool.acquire()
            let spawn = intended.duration(to: .now)
            recorder.served(phase: index, lease: lease, spawn: spawn)
            log.lease(arrival: arrival, spawnMs: spawn.inMilliseconds, error: nil)
            if let pid = lease.pid, !ProcessStatus.isRunning(pid) { log.noteDeadAtHandout() }
            if hold > .zero { try? await Task.sleep(for: hold) }
            await pool.release(lease)
        } catch {
            recorder.failed(phase: index, error: error)
            log.lease(arrival: arrival, spawnMs: nil, error: PoolError.outcome(of: error))
        }
    }

    static let definitions: [String: String] = [
        "restore_ms":
            "one VM restored from a snapshot: PUT /snapshot/load request sent → response received, on a Firecracker process whose API socket is already up",
        "firecracker_load_ms":
            "Firecracker's own latencies_us.load_snapshot for the same restores (recorded for VMs restored by the background refill)",
        "spawn_ms":
            "from the intended arrival instant (open loop) or the request (closed loop) to the guest's readiness line after resume; queueing inside the pool counts",
        "spawn_warm_ms": "spawn of leases served from the warm set",
        "spawn_on_demand_ms": "spawn of leases restored on demand",
        "dispatch_lag_ms": "actual dispatch of an open-loop arrival − its intended instant",
        "pool_resident_mb": "jemalloc stats.resident of the snapbench process, sampled at 5 Hz (epoch refreshed)",
        "vmm_pss_mb": "sum of the VMMs' Pss from /proc/PID/smaps_rollup",
        "leaks": "after the drain: child VMMs, files left in the work directory, descriptors above the start count",
    ]

    static func commit() -> String? {
        if let commit = ProcessInfo.processInfo.environment["SNAPBENCH_COMMIT"] { return commit }
        // The checkout's HEAD, read from .git without running git.
        for root in ProjectPaths.candidateRoots() {
            guard let head = try? String(contentsOfFile: root + "/.git/HEAD", encoding: .utf8) else { continue }
            let trimmed = head.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.hasPrefix("ref: ") else { return trimmed }
            let ref = String(trimmed.dropFirst(5))
            if let value = try? String(contentsOfFile: root + "/.git/" + ref, encoding: .utf8) {
                return value.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let packed = (try? String(contentsOfFile: root + "/.git/packed-refs", encoding: .utf8)) ?? ""
            return packed.split(separator: "\n").first { $0.hasSuffix(" " + ref) }.map { String($0.prefix(40)) }
        }
        return nil
    }
}

/// What the run is doing, for a progress display.
public struct RunProgress: Sendable {
    public var phase: String
    public var phaseIndex: Int
    public var elapsed: Duration
    public var phaseDuration: Duration?
    public var served: Int
    public var failed: Int
    public var spawnP95Milliseconds: Double?
    public var warm: Int
}

/// Reports progress about once a second while a phase runs.
struct ProgressTicker<Backend: VMBackend>: Sendable {
    let phase: Phase
    let index: Int
    let start: ContinuousClock.Instant
    let recorder: RunRecorder
    let pool: SnapshotPool<Backend, ContinuousClock>
    let sink: (@Sendable (RunProgress) -> Void)?

    init(
        phase: Phase,
        index: Int,
        start: ContinuousClock.Instant,
        recorder: RunRecorder,
        pool: SnapshotPool<Backend, ContinuousClock>,
        sink: (@Sendable (RunProgress) -> Void)?
    ) {
        self.phase = phase
        self.index = index
        self.start = start
        self.recorder = recorder
        self.pool = pool
        self.sink = sink
    }

    func run() async {
        guard let sink else { return }
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let totals = recorder.totals
            sink(
                RunProgress(
                    phase: phase.name,
                    phaseIndex: index,
                    elapsed: start.duration(to: .now),
                    phaseDuration: ScenarioTiming.duration(of: phase.load),
                    served: totals.served,
                    failed: totals.failed,
                    spawnP95Milliseconds: recorder.spawnP95(phase: index),
                    warm: await pool.statistics().warm
                )
            )
        }
    }
}

/// Lengths of phases.
public enum ScenarioTiming {
    /// How long a phase's load lasts (its schedule, or its workers' duration).
    public static func duration(of load: LoadProfile) -> Duration {
        switch load {
        case .constantArrivalRate(_, let duration), .poisson(_, let duration), .workers(_, _, let duration):
            duration
        case .rampingArrivalRate(_, let stages):
            stages.map(\.duration).reduce(.zero, +)
        case .burst(_, let spread, let bursts, let interval):
            interval * max(0, bursts - 1) + spread
        }
    }
}
