import Foundation
import Glibc
import HostSystem
import Scenarios

/// The open-loop load generator's clock and executor: one thread of its own, at real-time priority where
/// allowed, that dispatches each arrival at its intended instant and runs the lease tasks' own (non-pool)
/// steps.
///
/// An arrival is dispatched when this thread starts its lease task, the instant the task is given; the task
/// prefers this dispatcher as its executor, so its first step runs on this thread right away (after every
/// other arrival then due), whatever Swift's two-thread cooperative pool is doing: restores of 100 VMs a
/// second keep that pool busy, and arrivals started there came late (2.7 % of churn's, lag p99 1.4 ms,
/// measured). The lease then moves to the cooperative pool, where the pool under
/// test does its work; waiting for a thread there is the system's own queueing, counted in spawn, which
/// starts at the intended instant.
///
/// ```swift
/// let dispatcher = Dispatcher(name: "snapbench.dispatch")
/// await dispatcher.dispatch(schedule, from: .now) { intended in
///     let dispatched = ContinuousClock.now
///     Task(executorPreference: dispatcher) { await lease(intended, dispatched) }
/// }
/// dispatcher.stop()
/// ```
final class Dispatcher: TaskExecutor, @unchecked Sendable {
    // @unchecked: every mutable property is guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var plan: Plan?
    private var stopped = false
    /// Whether the thread got real-time priority.
    private(set) var isRealTime = false
    /// The slice asked for without real-time priority: the fair scheduler's shortest (Linux clamps to 0.1 ms),
    /// held all the time. As an unprivileged user, `steady`'s 1 200 arrivals had 0–2 late starts with it (mean 0.3,
    /// 10 runs), against 0–5 with the default slice (mean 3.0, 6 runs). Switching to the default slice while the
    /// thread works (two `sched_setattr` calls an arrival) gave the late starts back: 3 and 4 when switched at the
    /// spin, 4 and 6 at the dispatch.
    static let shortSlice: Duration = .microseconds(100)

    /// The arrivals being dispatched and what to do at each.
    private final class Plan {
        var iterator: ArrivalSchedule.Iterator
        let start: ContinuousClock.Instant
        let arrive: @Sendable (ContinuousClock.Instant) -> Void
        let done: CheckedContinuation<Void, Never>
        var next: ContinuousClock.Instant?
        var cancelled = false
        let spinWindow: Duration

        init(
            schedule: ArrivalSchedule,
            start: ContinuousClock.Instant,
            arrive: @escaping @Sendable (ContinuousClock.Instant) -> Void,
            done: CheckedContinuation<Void, Never>
        ) {
            self.iterator = schedule.makeIterator()
            self.spinWindow = Dispatcher.spinWindow(meanGap: schedule.meanGap)
            self.start = start
            self.arrive = arrive
            self.done = done
            self.next = iterator.next().map { start + $0 }
        }
    }

    /// How close to an arrival the thread stops sleeping and spins: a sleeping thread wakes late, by up to
    /// ~100 µs on a busy host and by whole milliseconds on an idle one, whose vCPUs the hypervisor has halted
    /// (measured here as an unprivileged user, smoke's load of 20/s with the host otherwise idle: dispatch lag
    /// p999 1.6–2.2 ms and 3 and 6 late starts of 1 280 sleeping to each instant; 0 and 1 with a 2 ms spin, lag
    /// p999 0.40–0.52 ms). Once in 29 of `burst`'s runs as that user, the thread woke 17 ms late on an
    /// idle host, after a whole burst's gap of 2 s, and all 16 arrivals of that burst were late: where the gap
    /// allows it (bursts, slow loads), the spin covers that too, for 1 % of a core.
    static let longestSpin: Duration = .milliseconds(20)
    /// The share of the time between arrivals the spin may take, so that a fast load (churn's 100/s) does not
    /// spend a core on it.
    static let spinShare = 0.05
    /// The shortest spin, for the fastest loads: about what a timed wait oversleeps on a busy host.
    static let shortestSpin: Duration = .microseconds(200)

    /// The spin before each arrival of a schedule whose arrivals come `meanGap` apart.
    static func spinWindow(meanGap: Duration) -> Duration {
        max(shortestSpin, min(longestSpin, meanGap * spinShare))
    }

    init(name: String) {
        let thread = Thread { [self] in self.loop() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    /// Calls `arrive` on the dispatcher's thread at `start` + each offset of `schedule`; returns when every
    /// arrival has been dispatched, or at once when the task is cancelled (arrivals not yet due are dropped).
    func dispatch(
        _ schedule: ArrivalSchedule,
        from start: ContinuousClock.Instant,
        arrive: @escaping @Sendable (ContinuousClock.Instant) -> Void
    ) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                condition.lock()
                plan = Plan(schedule: schedule, start: start, arrive: arrive, done: done)
                if Task.isCancelled { plan?.cancelled = true }
                condition.signal()
                condition.unlock()
            }
        } onCancel: {
            condition.lock()
            plan?.cancelled = true
            condition.signal()
            condition.unlock()
        }
    }

    /// Lets the thread end once its queue is empty and no plan runs.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private enum Action {
        case run(UnownedJob)
        case arrive(ContinuousClock.Instant, @Sendable (ContinuousClock.Instant) -> Void)
        case spin(until: ContinuousClock.Instant)
        case finish(CheckedContinuation<Void, Never>)
        case exit
    }

    private func loop() {
        // Real-time priority (when allowed, e.g. as root) so that a core busy with VMM restores cannot delay an
        // arrival: the thread holds a core only for arrivals and the short steps of lease tasks.
        var parameters = sched_param(sched_priority: 10)
        let realTime = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters) == 0
        // Without that privilege (a CI runner's user), the shortest slice the fair scheduler grants: a thread
        // asking for short slices gets an early deadline, so when it wakes for an arrival it preempts a VMM's
        // restore instead of waiting out that restore's slice.
        if !realTime { ThreadSlice.request(Self.shortSlice) }
        Jemalloc.isolateCallingThread()
        condition.lock()
        isRealTime = realTime
        condition.unlock()
        while true {
            switch nextAction() {
            case .run(let job): job.runSynchronously(on: asUnownedTaskExecutor())
            case .arrive(let instant, let arrive): arrive(instant)
            case .spin(let instant): while ContinuousClock.now < instant {}
            case .finish(let done): done.resume()
            case .exit: return
            }
        }
    }

    private func nextAction() -> Action {
        condition.lock()
        defer { condition.unlock() }
        while true {
            // Every arrival that is due goes out before any lease task's step runs: a step hands its lease to
            // Swift's pool, and the thread that wakes there can preempt this one for a whole slice when it is
            // not real-time (as the runner's user: a burst's last arrivals went out 1.0-1.9 ms late that way,
            // 19 and 11 of burst's 288 in 2 of 29 runs).
            if let plan, !plan.cancelled, let next = plan.next, next <= ContinuousClock.now {
                plan.next = plan.iterator.next().map { plan.start + $0 }
                return .arrive(next, plan.arrive)
            }
            if !jobs.isEmpty { return .run(jobs.removeFirst()) }
            if let plan {
                guard !plan.cancelled, let next = plan.next else {
                    self.plan = nil
                    return .finish(plan.done)
                }
                let remaining = ContinuousClock.now.duration(to: next)
                if remaining <= .zero { continue }
                if remaining <= plan.spinWindow { return .spin(until: next) }
                _ = condition.wait(until: Date(timeIntervalSinceNow: (remaining - plan.spinWindow).inSeconds))
                continue
            }
            if stopped { return .exit }
            condition.wait()
        }
    }
}
