import MicroVM
import Synchronization

/// One VM's resume and readiness wait, run by the pool's own task group so that an acquire can stop waiting for
/// it — a hedge won — while it goes on to its end: the pool still destroys it, and still counts a VM that never
/// proved readiness as a readiness failure, when its timeout comes.
///
/// ```swift
/// let attempt = ResumeAttempt(vm: vm, timeout: .seconds(2))
/// // the pool's task group: await attempt.run()
/// await attempt.completion()  // any number of waiters; cancellable
/// ```
final class ResumeAttempt<VM: BackendVM>: Sendable {
    let vm: VM
    let timeout: Duration

    private struct State {
        var result: Result<ReadinessProof, any Error>?
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    init(vm: VM, timeout: Duration) {
        self.vm = vm
        self.timeout = timeout
    }

    /// The outcome, once the attempt has ended.
    var result: Result<ReadinessProof, any Error>? { state.withLock { $0.result } }

    /// Resumes the VM and records how that ended; wakes every waiter.
    func run() async {
        let outcome: Result<ReadinessProof, any Error>
        do {
            outcome = .success(try await vm.resume(timeout: timeout))
        } catch {
            outcome = .failure(error)
        }
        let waiters = state.withLock { state in
            state.result = outcome
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the attempt has ended, or at once when the calling task is cancelled.
    func completion() async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    // Checked under the lock: a cancellation handled before this registration would leave it
                    // waiting for good.
                    if state.result != nil || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}

/// The first of `attempts` to end, by index; `nil` when `deadline` on `clock` comes first (or the task is
/// cancelled). Attempts already ended count at once, the first of them first.
func firstEnded<VM: BackendVM, C: Clock<Duration>>(
    _ attempts: [ResumeAttempt<VM>],
    until deadline: C.Instant,
    clock: C
) async -> Int? {
    if let done = attempts.firstIndex(where: { $0.result != nil }) { return done }
    return await withTaskGroup(of: Int?.self) { group in
        for (index, attempt) in attempts.enumerated() {
            group.addTask {
                await attempt.completion()
                return attempt.result == nil ? nil : index
            }
        }
        group.addTask {
            try? await clock.sleep(until: deadline, tolerance: nil)
            return nil
        }
        defer { group.cancelAll() }
        // The first child to return decides: an attempt that ended, or the deadline.
        let first = await group.next() ?? nil
        return first ?? attempts.firstIndex(where: { $0.result != nil })
    }
}
