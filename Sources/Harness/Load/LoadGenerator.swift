import Firecracker
import HostSystem
import MicroVM
import Randomness
import Scenarios
import SnapshotPool

/// Drives the pool through a scenario's phases: open-loop arrivals at their intended instants (dispatched from
/// the ``Dispatcher``'s own thread), or closed-loop workers; every acquire is held, released and recorded as
/// exactly one ``LeaseRecord``.
///
/// Random draws come from streams of their own: hold times (`holds/<phase>`), think times and worker holds
/// (`think/<phase>/<worker>`, `holds/<phase>/<worker>`), apart from arrivals (`arrivals/<phase>`).
struct LoadGenerator<Backend: VMBackend>: Sendable {
    let scenario: Scenario
    let pool: SnapshotPool<Backend, ContinuousClock>
    let recorder: RunRecorder
    let log: FaultLog
    let runStart: ContinuousClock.Instant
    let dispatcher: Dispatcher
    let progress: (@Sendable (RunProgress) -> Void)?

    /// How long a served guest may take to report its first work (it re-touches at most its working set).
    static var workTimeout: Duration { .seconds(10) }
    /// The outcome of a lease whose guest did not report its work in time, or whose VMM died meanwhile.
    static var workFailed: String { "work_failed" }
    /// The outcome of a lease whose guest read pages that did not hold what it wrote before the snapshot.
    static var wrongPages: String { "wrong_pages" }
    /// The outcome of a lease whose clone lacked a device of its snapshot.
    static var missingDevice: String { "missing_device" }

    /// Runs one phase, its arrivals counted from `phaseStart`; returns when its every acquire has ended.
    func run(_ phase: Phase, index: Int, start phaseStart: ContinuousClock.Instant = .now) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let progress {
                let ticker = ProgressTicker(
                    phase: phase,
                    index: index,
                    start: phaseStart,
                    recorder: recorder,
                    pool: pool,
                    sink: progress
                )
                group.addTask { await ticker.run() }
            }
            if let schedule = ArrivalSchedule(load: phase.load, seed: scenario.seed, phase: phase.name) {
                try await openLoop(schedule, phase: phase, index: index, start: phaseStart)
            } else if case .workers(let count, let think, let duration) = phase.load {
                try await closedLoop(workers: count, think: think, duration: duration, phase: phase, index: index)
            }
            group.cancelAll()
        }
    }

    private func openLoop(
        _ schedule: ArrivalSchedule,
        phase: Phase,
        index: Int,
        start: ContinuousClock.Instant
    ) async throws {
        let tracker = LeaseTracker()
        // Drawn on the dispatcher's thread, one per arrival in order: the same seed gives the same holds.
        let holds = SendableBox(SplitMix64(seed: scenario.seed, label: "holds/\(phase.name)"))
        let dispatcher = self.dispatcher
        await withTaskCancellationHandler {
            await dispatcher.dispatch(schedule, from: start) { intended in
                let dispatched = ContinuousClock.now
                var drawn = Duration.zero
                holds.update { drawn = phase.hold.sample(&$0) }
                let hold = drawn
                tracker.start(on: dispatcher) {
                    await lease(intended: intended, hold: hold, index: index, dispatched: dispatched)
                }
            }
            await tracker.waitUntilIdle()
        } onCancel: {
            tracker.cancelAll()
        }
        try Task.checkCancellation()
    }

    private func closedLoop(
        workers: Int,
        think: LatencyDistribution,
        duration: Duration,
        phase: Phase,
        index: Int
    ) async throws {
        let start = ContinuousClock.now
        try await withThrowingDiscardingTaskGroup { group in
            for worker in 0..<workers {
                group.addTask {
                    var holds = SplitMix64(seed: scenario.seed, label: "holds/\(phase.name)/\(worker)")
                    var thinks = SplitMix64(seed: scenario.seed, label: "think/\(phase.name)/\(worker)")
                    while start.duration(to: .now) < duration, !Task.isCancelled {
                        await lease(
                            intended: .now,
                            hold: phase.hold.sample(&holds),
                            index: index,
                            dispatched: nil
                        )
                        try? await Task.sleep(for: think.sample(&thinks))
                    }
                }
            }
        }
        try Task.checkCancellation()
    }

    /// One acquire → hold → release, recorded as exactly one outcome.
    ///
    /// An open-loop lease comes with the instant the dispatcher's thread started it (`dispatched`; a closed-loop
    /// one has none) and leaves that thread at once: everything else runs on Swift's shared pool, where waiting
    /// for a thread is counted in spawn (from the intended instant) and in harness overhead, not in dispatch
    /// lag. (An actor runs its jobs on the executor its caller's task prefers, so a lease left on the dispatcher
    /// would run the pool's own work there, at real-time priority, and hold up the next arrivals: 4 simultaneous
    /// ones came up to 3 ms late that way.)
    private func lease(
        intended: ContinuousClock.Instant,
        hold: Duration,
        index: Int,
        dispatched: ContinuousClock.Instant?
    ) async {
        let lag = dispatched.map { intended.duration(to: $0) }
        await withTaskExecutorPreference(globalConcurrentExecutor) {
            // Counted off the dispatcher's thread: the recorder's lock is also held while the timeline files
            // ended acquires, and a dispatcher waiting on it would start the next arrivals late.
            recorder.scheduled(phase: index, dispatchLag: lag)
            await serve(intended: intended, hold: hold, index: index, lag: lag)
        }
    }

    /// Records an acquire that ended in an error (`code`) now: its time to outcome runs from its intended instant.
    private func recordFailure(
        _ code: String,
        intended: ContinuousClock.Instant,
        arrival: Double,
        phase: Int,
        lag: Duration?
    ) {
        let failedAt = ContinuousClock.now
        log.lease(arrival: arrival, spawnMs: nil, error: code)
        recorder.record(
            LeaseRecord(
                phase: phase,
                intended: arrival,
                ended: runStart.duration(to: failedAt).inSeconds,
                exposedFrom: arrival,
                dispatchLag: lag,
                outcome: .failed(code: code, after: intended.duration(to: failedAt))
            )
        )
    }

    private func serve(intended: ContinuousClock.Instant, hold: Duration, index: Int, lag: Duration?) async {
        let arrival = runStart.duration(to: intended).inSeconds
        do {
            let acquiring = ContinuousClock.now
            let lease = try await pool.acquire()
            let servedAt = ContinuousClock.now
            let spawn = intended.duration(to: servedAt)
            // A VMM that a fault killed while this acquire was under way may die after its readiness proof, the
            // pool's last look: that is the fault hitting a leased VM, not the pool handing out a dead one. So is
            // the OOM killer's, while a memory-pressure fault squeezes the pool's cgroup.
            if let pid = lease.pid, !ProcessStatus.isRunning(pid), !log.wasSignalled(pid, since: acquiring),
                !log.hadMemoryPressure(since: acquiring)
            {
                log.noteDeadAtHandout()
            }
            // The guest's first work (when it does any) is part of the lease, before the hold.
            var work: LeaseRecord.Work?
            var workFailure: String?
            do {
                if let report = try await pool.work(of: lease, timeout: Self.workTimeout) {
                    if report.wrongPages > 0 { workFailure = Self.wrongPages }
                    work = LeaseRecord.Work(
                        firstWork: intended.duration(to: report.observedAt),
                        workingSet: lease.proof.observedAt.duration(to: report.observedAt),
                        guest: .microseconds(report.guestMicroseconds)
                    )
                }
            } catch {
                workFailure = Self.workFailed
            }
            // Off the spawn, before the hold: a clone without its devices is no lease a caller could use.
            if workFailure == nil, scenario.devices.hasDevices, let problems = try? await pool.checkDevices(of: lease) {
                recorder.deviceChecked(problems: problems)
                if !problems.isEmpty { workFailure = Self.missingDevice }
            }
            if hold > .zero { try? await Task.sleep(for: hold) }
            let stages = await pool.release(lease) ?? lease.timings.stages
            if let workFailure {
                // Served, but its work went wrong: an error, so that no gate passes on it.
                recordFailure(workFailure, intended: intended, arrival: arrival, phase: index, lag: lag)
                return
            }
            log.lease(arrival: arrival, spawnMs: spawn.inMilliseconds, error: nil)
            let exposedFrom = stages.startedAt.map { min(runStart.duration(to: $0).inSeconds, arrival) } ?? arrival
            recorder.record(
                LeaseRecord(
                    phase: index,
                    intended: arrival,
                    ended: runStart.duration(to: servedAt).inSeconds,
                    exposedFrom: exposedFrom,
                    dispatchLag: lag,
                    outcome: .served(
                        LeaseRecord.Served(
                            spawn: spawn,
                            path: lease.path,
                            queueWait: lease.timings.queueWait,
                            acquire: lease.timings.acquire,
                            stages: stages,
                            work: work
                        )
                    )
                )
            )
        } catch {
            recordFailure(PoolError.outcome(of: error), intended: intended, arrival: arrival, phase: index, lag: lag)
        }
    }
}
