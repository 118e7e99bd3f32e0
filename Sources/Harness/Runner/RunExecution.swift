import Firecracker
import Foundation
import HostSystem
import Logging
import Reporting
import Scenarios
import SnapshotPool

/// What a run did, before it is judged: the recorded phases, the timeline, the pool's counters, the faults.
struct RunOutcome: Sendable {
    /// Whole seconds: the report stores ISO 8601 without fractions and must read back equal.
    var startedAt: Date
    var duration: Duration
    /// Why the run could not complete, if it could not.
    var failure: (any Error)?
    var phases: [PhaseReport]
    var overall: PhaseReport
    var undisturbed: PhaseReport?
    /// The measured burst phases alone, and without the disturbed acquires: what the bursts' floors judge.
    var bursts: PhaseReport?
    var undisturbedBursts: PhaseReport?
    var timeline: [TimelineSample]
    var disturbances: [Disturbance]
    /// The pool's counters at the end, and when the first measured phase began.
    var counters: PoolStatistics.Counters
    var countersAtMeasuredStart: PoolStatistics.Counters
    /// Seconds since the start at which the measured phases began and the load ended.
    var measuredStart: Double?
    var loadEnd: Double
    /// Leases still out when the load had ended (before the drain).
    var leasedAfterLoad: Int
    var occurrences: [FaultOccurrence]
    var log: FaultLog
    /// Descriptors open once the pool was running (its lazily started machinery included), by number.
    var descriptorsBefore: [Int32: String]
    var allocatedBefore: UInt64?
    /// Whether the load generator's dispatcher and the heartbeat got real-time priority.
    var dispatcherRealTime: Bool
    var heartbeatRealTime: Bool
    /// Acquires a disturbance touched.
    var disturbedAcquires: Int
    /// The CPU of one spawn alone, for a burst scenario's floor; or why it could not be measured.
    var spawnCosts: SpawnCostProbe.Costs?
    var spawnCostProblem: String?
    /// The host's own floor for a burst's restores; or why it could not be measured.
    var restoreFloor: RestoreFloor?
    var restoreFloorProblem: String?
    /// The floor of the guest's first work; or why it could not be measured.
    var workFloor: WorkFloor?
    var workFloorProblem: String?
    /// Leased clones checked for their devices.
    var deviceChecks = RunRecorder.DeviceChecks()
}

/// Drives one run: the pool on its backend, the load, the faults, the sampler; drains the pool at the end
/// whatever happened.
struct RunExecution<Backend: VMBackend>: Sendable {
    let scenario: Scenario
    let options: ScenarioRunner.Options
    let resources: RunResources<Backend>
    /// Where the run is shown while it runs, when it serves metrics.
    var live: LiveMetrics? = nil

    func drive() async -> RunOutcome {
        let startedAt = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let start = ContinuousClock.now
        let recorder = RunRecorder(live: live)
        let sampler = TimelineSampler(
            cgroup: resources.cgroup,
            live: live,
            disturbances: options.detectsDisturbances ? .init() : .never
        )
        defer { sampler.stop() }
        let dispatcher = Dispatcher(name: "snapbench.dispatch")
        defer { dispatcher.stop() }
        // Before the pool starts, so that nothing else runs: the host's own floors for this scenario's load.
        let floors = await measureFloors()
        let pool = makePool()
        let log = FaultLog(recordsLeases: !scenario.faults.isEmpty)
        let load = await run(
            pool,
            log: log,
            recorder: recorder,
            sampler: sampler,
            dispatcher: dispatcher,
            start: start,
            samplesBetweenBursts: floors.spawnCosts.value != nil
        )
        let counters = await pool.statistics().counters
        sampler.sample(start: start, pool: nil, recorder: recorder)
        recorder.settleAll(disturbances: sampler.disturbances)
        let reports = recorder.reports(bursts: scenario.measuredBurstPhaseNames)
        return RunOutcome(
            startedAt: startedAt,
            duration: start.duration(to: .now),
            failure: load.failure,
            phases: reports.phases,
            overall: reports.overall,
            undisturbed: reports.undisturbed,
            bursts: reports.bursts,
            undisturbedBursts: reports.undisturbedBursts,
            timeline: sampler.timeline,
            disturbances: sampler.disturbances,
            counters: counters,
            countersAtMeasuredStart: load.countersAtMeasuredStart,
            measuredStart: load.measuredStart,
            loadEnd: load.loadEnd,
            leasedAfterLoad: load.leasedAfterLoad,
            occurrences: load.occurrences,
            log: log,
            descriptorsBefore: load.descriptorsBefore,
            allocatedBefore: load.allocatedBefore,
            dispatcherRealTime: dispatcher.isRealTime,
            heartbeatRealTime: sampler.heartbeatIsRealTime,
            disturbedAcquires: recorder.excludedCount,
            spawnCosts: floors.spawnCosts.value?.adding(betweenBursts: load.betweenBursts.costs),
            spawnCostProblem: floors.spawnCosts.problem ?? load.betweenBursts.problem,
            restoreFloor: floors.restore.value,
            restoreFloorProblem: floors.restore.problem,
            workFloor: floors.work.value,
            workFloorProblem: floors.work.problem,
            deviceChecks: recorder.deviceChecks
        )
    }

    /// A floor measured before the pool starts, or why it was not (nothing when the scenario needs none).
    struct Measured<Value> {
        var value: Value?
        var problem: String?
    }

    /// The host's own floors the scenario's gates are judged against.
    struct Floors {
        var spawnCosts = Measured<SpawnCostProbe.Costs>()
        var restore = Measured<RestoreFloor>()
        var work = Measured<WorkFloor>()
    }

    /// What the load did, up to the pool's drain.
    struct LoadResult {
        var failure: (any Error)?
        var occurrences: [FaultOccurrence] = []
        var leasedAfterLoad = 0
        var loadEnd = 0.0
        var measuredStart: Double?
        var countersAtMeasuredStart = PoolStatistics.Counters()
        var descriptorsBefore: [Int32: String] = [:]
        var allocatedBefore: UInt64?
        /// Spawns measured alone between the measured bursts.
        var betweenBursts = SpawnCostsSampled()
    }

    private func makePool() -> SnapshotPool<Backend, ContinuousClock> {
        var services = PoolServices()
        services.audit = resources.audit.log
        if let interval = scenario.pool.pressureInterval {
            let source = resources.cgroup?.pressureSource ?? SystemPressureSource()
            services.pressure = PressureMonitoring(source: source, interval: interval)
        }
        return SnapshotPool(
            backend: resources.backend,
            configuration: scenario.pool.configuration,
            services: services,
            clock: ContinuousClock(),
            logger: options.logger
        )
    }

    /// Each floor the scenario's load has: a burst's spawn CPU and restore floor, the first work's floor.
    private func measureFloors() async -> Floors {
        var floors = Floors()
        if scenario.measuredBursts != nil, needsFloor(.spawnFloorRatio) {
            floors.spawnCosts = await measure(
                resources.spawnCosts,
                failing: "the CPU of one spawn could not be measured",
                simulated: "the simulated backend's spawns use no CPU of this host, so a burst has no floor"
            )
        }
        if let concurrency = scenario.restoreFloorConcurrency, needsFloor(.restoreFloorRatio) {
            floors.restore = await measure(
                resources.restoreFloor.map { probe in { try await probe(concurrency) } },
                failing: "the restore floor could not be measured",
                simulated: "the simulated backend's restores use no CPU of this host, so a burst has no floor"
            )
        }
        if let touchMiB = scenario.workFloorTouchMiB {
            floors.work = await measure(
                resources.workFloor.map { probe in { try await probe(touchMiB) } },
                failing: "the work floor could not be measured",
                simulated: "the simulated backend's guests do no work on this host, so there is no work floor"
            )
        }
        return floors
    }

    /// Whether the floor `ratio` divides by is measured: always in a scenario of bursts alone (its report shows
    /// its floors), else only when a gate judges by it (a steady phase beside a burst, as in `smoke`, costs no
    /// floor it does not use).
    private func needsFloor(_ ratio: Metric) -> Bool {
        scenario.isBurstsOnly || (scenario.gates + options.extraGates).contains { $0.metric == ratio }
    }

    /// Runs `probe`, or says why there is none (`simulated`) or why it failed (`failing`, logged).
    private func measure<Value>(
        _ probe: (() async throws -> Value)?,
        failing: String,
        simulated: String
    ) async -> Measured<Value> {
        guard let probe else { return Measured(problem: simulated) }
        do {
            return Measured(value: try await probe())
        } catch {
            let problem = "\(failing): \(error)"
            options.logger.warning("\(problem)")
            return Measured(problem: problem)
        }
    }

    /// Runs the pool, its event log and the sampler beside the phases of load and the faults, then drains the
    /// pool whatever happened.
    private func run(
        _ pool: SnapshotPool<Backend, ContinuousClock>,
        log: FaultLog,
        recorder: RunRecorder,
        sampler: TimelineSampler,
        dispatcher: Dispatcher,
        start: ContinuousClock.Instant,
        samplesBetweenBursts: Bool
    ) async -> LoadResult {
        let events = pool.subscribe()
        let scheduler = FaultScheduler(
            faults: scenario.faults,
            injector: FaultInjector(surface: resources.surface(pool), log: log),
            seed: scenario.seed
        )
        let generator = LoadGenerator(
            scenario: scenario,
            pool: pool,
            recorder: recorder,
            log: log,
            runStart: start,
            dispatcher: dispatcher,
            progress: options.progress
        )
        var result = LoadResult()
        // The pool's own error (e.g. a configuration it refuses) explains a failed start better than the wait
        // that noticed it: kept apart, whichever of the group's tasks ends first.
        let poolFailure = SendableBox<(any Error)?>(nil)
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await pool.run()
                } catch {
                    poolFailure.update { $0 = error }
                }
            }
            group.addTask {
                for await event in events {
                    log.record(event, at: start.duration(to: .now).inSeconds)
                    live?.event(FaultLog.name(of: event))
                }
            }
            group.addTask {
                await sampler.run(start: start, recorder: recorder) {
                    (
                        await pool.statistics(),
                        await pool.inventory()
                            + pool.backend.standbyProcessIDs().map { PoolVM(id: "standby", pid: $0, state: .standby) }
                    )
                }
            }
            defer { group.cancelAll() }
            var faults: Task<[FaultOccurrence], Never>?
            do {
                try await waitUntilStarted(pool)
                // Taken once the pool runs: its lazily started machinery (event loops, the file-event reactor)
                // is open by now, so whatever is open after the drain and not now was left by the run.
                result.descriptorsBefore = ProcessStatus.openDescriptors()
                result.allocatedBefore = Jemalloc()?.statistics()?.allocated
                let phaseStart = ContinuousClock.now
                if !scenario.faults.isEmpty {
                    faults = Task { await scheduler.run(runStart: start, phaseStart: phaseStart) }
                }
                for phase in scenario.phases {
                    if !phase.warmup, result.measuredStart == nil {
                        result.measuredStart = start.duration(to: .now).inSeconds
                        result.countersAtMeasuredStart = await pool.statistics().counters
                    }
                    let index = recorder.beginPhase(phase.name, warmup: phase.warmup)
                    let sampled = try await runPhase(
                        phase,
                        index: index,
                        generator: generator,
                        pool: pool,
                        samplesBetweenBursts: samplesBetweenBursts && result.betweenBursts.problem == nil
                    )
                    result.betweenBursts.costs = result.betweenBursts.costs.adding(betweenBursts: sampled.costs)
                    result.betweenBursts.problem = result.betweenBursts.problem ?? sampled.problem
                }
                result.loadEnd = start.duration(to: .now).inSeconds
                result.occurrences = await faults?.value ?? []
                result.leasedAfterLoad = await pool.statistics().leased
            } catch {
                result.failure = error
                result.loadEnd = start.duration(to: .now).inSeconds
                // Faults still under way are reverted now, before the drain.
                faults?.cancel()
                result.occurrences = await faults?.value ?? []
            }
            await pool.shutdown()
            group.cancelAll()
            while (try? await group.next()) != nil {}
        }
        if let error = poolFailure.value { result.failure = error }
        return result
    }

    /// Runs one phase; beside a measured burst phase, measures one spawn alone in each gap between its bursts
    /// (the burst's floor then covers the minutes it judges), ending that with the phase.
    private func runPhase(
        _ phase: Phase,
        index: Int,
        generator: LoadGenerator<Backend>,
        pool: SnapshotPool<Backend, ContinuousClock>,
        samplesBetweenBursts: Bool
    ) async throws -> SpawnCostsSampled {
        guard samplesBetweenBursts, !phase.warmup, case .burst(_, _, let bursts, let interval) = phase.load,
            let measureOne = resources.spawnCostBetweenBursts
        else {
            try await generator.run(phase, index: index)
            return SpawnCostsSampled()
        }
        let sampler = SpawnCostsBetweenBursts(
            clock: ContinuousClock(),
            isIdle: { await pool.isIdle() },
            measureOne: measureOne,
            logger: options.logger
        )
        let start = ContinuousClock.now
        return try await withThrowingTaskGroup(of: SpawnCostsSampled?.self) { group in
            group.addTask { await sampler.run(start: start, bursts: bursts, interval: interval) }
            group.addTask {
                try await generator.run(phase, index: index, start: start)
                return nil
            }
            var sampled = SpawnCostsSampled()
            while let next = try await group.next() {
                // The load ended: a gap after the last burst is no gap.
                if let next { sampled = next } else { group.cancelAll() }
            }
            return sampled
        }
    }

    private func waitUntilStarted(_ pool: SnapshotPool<Backend, ContinuousClock>) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let stats = await pool.statistics()
            if stats.state == .running, stats.warm >= scenario.pool.configuration.warmTarget { return }
            if stats.state == .stopped || stats.state == .draining {
                throw PoolError(.shuttingDown, "the pool stopped while starting")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw PoolError(.deadline, "the pool did not fill its warm set within 120 s")
    }
}
