import Foundation
import Glibc
import Synchronization

/// A task executor with one thread of its own, for the open-loop dispatcher.
///
/// Swift's cooperative pool has as many threads as cores (two here), and a VMM spawn blocks one of them for
/// a millisecond or two; a dispatcher sharing that pool started arrivals late whenever spawns piled up
/// (35 of 80 in a burst, measured). On its own thread it wakes on time whatever the pool is doing.
final class DispatchExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: every stored property is immutable or guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

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

    /// Lets the thread end once its queue is empty.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        // Real-time priority (when allowed, e.g. as root) so that a core busy with VMM restores cannot delay
        // an arrival: the thread wakes only at arrival instants, so it never holds a core for long.
        var parameters = sched_param(sched_priority: 10)
        _ = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters)
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty && stopped {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
