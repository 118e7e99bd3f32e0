import Foundation
import Glibc
import Synchronization

/// A real-time thread that wakes every `period` and records how late it woke: a witness of stalls of the
/// whole machine.
///
/// At `SCHED_FIFO` priority no ordinary thread of this host can hold it off, so when it wakes many
/// milliseconds late the machine itself did not run (on a virtual machine: the hypervisor ran something
/// else), not the work under test. Without the right to real-time priority it still runs, at normal
/// priority, and says so (``isRealTime``).
///
/// ```swift
/// let heartbeat = Heartbeat(period: .milliseconds(10))
/// heartbeat.start()
/// defer { heartbeat.stop() }
/// let worst = heartbeat.takeLatestLateness()  // the worst lateness since the previous call
/// ```
package final class Heartbeat: Sendable {
    private struct State {
        var worst: Duration = .zero
        var running = false
        var stopRequested = false
        var realTime = false
    }

    /// How often it wakes.
    package let period: Duration
    private let state = Mutex(State())

    package init(period: Duration = .milliseconds(10)) {
        self.period = period
    }

    /// Whether the thread got real-time priority.
    package var isRealTime: Bool { state.withLock { $0.realTime } }

    /// Starts the thread (once).
    package func start() {
        let begin = state.withLock { state -> Bool in
            guard !state.running else { return false }
            state.running = true
            state.stopRequested = false
            return true
        }
        guard begin else { return }
        let thread = Thread { [self] in self.beat() }
        thread.name = "snapbench.heartbeat"
        thread.start()
    }

    /// Asks the thread to end; it does within one period.
    package func stop() {
        state.withLock { $0.stopRequested = true }
    }

    /// The worst lateness since the previous call, and starts a new window.
    package func takeLatestLateness() -> Duration {
        state.withLock { state in
            defer { state.worst = .zero }
            return state.worst
        }
    }

    private func beat() {
        // Priority 5: below the load generator's dispatcher (10), above every ordinary thread.
        var parameters = sched_param(sched_priority: 5)
        let realTime = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters) == 0
        state.withLock { $0.realTime = realTime }
        let (seconds, attoseconds) = period.components
        var next = timespec()
        clock_gettime(CLOCK_MONOTONIC, &next)
        while true {
            let stop = state.withLock { $0.stopRequested }
            if stop { break }
            next.tv_nsec += Int(attoseconds / 1_000_000_000)
            next.tv_sec += Int(seconds) + next.tv_nsec / 1_000_000_000
            next.tv_nsec %= 1_000_000_000
            // Unsafe: clock_nanosleep reads the deadline from our local; an interruption is retried.
            while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nil) == EINTR {}
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let late = Duration.seconds(now.tv_sec - next.tv_sec) + .nanoseconds(now.tv_nsec - next.tv_nsec)
            state.withLock { $0.worst = max($0.worst, late) }
            if late > period {
                // After a long stall, beat from now rather than firing the missed periods in a burst.
                next = now
            }
        }
        state.withLock { $0.running = false }
    }
}
