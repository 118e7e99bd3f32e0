import CSystemShims
import Foundation
import Synchronization

/// One thread of its own that runs submitted work in order: for blocking reads of `/proc` and other slow
/// system calls that must never occupy Swift's cooperative pool (two threads on a 2-core host) nor make a
/// new thread per call (each new thread costs a stack and allocator state).
///
/// ```swift
/// let worker = WorkerThread(name: "snapbench.sampler")
/// let rss = await worker.run { ProcessCPUTimes.read(pid: getpid()) }
/// worker.stop()
/// ```
package final class WorkerThread: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var stopped = false
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)

    /// Starts the thread.
    ///
    /// - Parameters:
    ///   - name: the thread's name.
    ///   - niceness: its CPU priority (`nice`, 0–19): above 0 for work that must yield to what it measures.
    package init(name: String, niceness: Int32 = 0) {
        let thread = Thread { [self] in
            // Failing leaves the thread at the default priority, which is only slower for others.
            if niceness != 0 { _ = snapbench_set_thread_niceness(niceness) }
            self.loop()
        }
        thread.name = name
        thread.start()
    }

    /// Runs `work` on the thread and returns its result.
    package func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            submit { continuation.resume(returning: work()) }
        }
    }

    /// Queues `work` without waiting for it.
    package func submit(_ work: @escaping @Sendable () -> Void) {
        let accepted = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.jobs.append(work)
            return true
        }
        if accepted { wakeup.signal() } else { work() }
    }

    /// Lets the thread end once its queue is empty; later work runs on the caller's thread.
    package func stop() {
        state.withLock { $0.stopped = true }
        wakeup.signal()
    }

    private func loop() {
        while true {
            wakeup.wait()
            // Drain everything queued; once stopped, nothing more can be queued (submit runs it inline).
            while true {
                let (jobs, stopped) = state.withLock { state in
                    defer { state.jobs.removeAll(keepingCapacity: true) }
                    return (state.jobs, state.stopped)
                }
                for job in jobs { job() }
                if jobs.isEmpty {
                    if stopped { return }
                    break
                }
            }
        }
    }
}
