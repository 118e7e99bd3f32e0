import Synchronization

/// The lease tasks an open-loop phase started (unstructured: the dispatcher's thread starts them), so the phase
/// can wait for them to end and a cancelled run can cancel them. Holds only the tasks still running.
final class LeaseTracker: Sendable {
    private struct State {
        var outstanding = 0
        var tasks: [UInt64: Task<Void, Never>] = [:]
        /// Tasks that ended before `start` could store their handle.
        var finishedEarly: Set<UInt64> = []
        var nextID: UInt64 = 0
        var cancelled = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Starts `body` as a task preferring `executor`; it is cancelled at once when the tracker was.
    func start(on executor: some TaskExecutor, _ body: @escaping @Sendable () async -> Void) {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            state.outstanding += 1
            return state.nextID
        }
        let task = Task(executorPreference: executor) {
            await body()
            self.finished(id)
        }
        let cancelled = state.withLock { state -> Bool in
            if state.finishedEarly.remove(id) == nil { state.tasks[id] = task }
            return state.cancelled
        }
        if cancelled { task.cancel() }
    }

    private func finished(_ id: UInt64) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.tasks.removeValue(forKey: id) == nil { state.finishedEarly.insert(id) }
            state.outstanding -= 1
            guard state.outstanding == 0 else { return [] }
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once every started task has ended.
    func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                if state.outstanding == 0 { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Cancels every running task, and every one started from now on.
    func cancelAll() {
        let tasks = state.withLock { state -> [Task<Void, Never>] in
            state.cancelled = true
            return Array(state.tasks.values)
        }
        for task in tasks { task.cancel() }
    }
}
