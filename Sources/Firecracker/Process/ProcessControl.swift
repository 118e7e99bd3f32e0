import Subprocess
import Synchronization

/// Shared between a VMM's supervising task and its handle: how to signal the process, and how it ended.
final class ProcessControl: Sendable {
    private struct State {
        var signaller: (@Sendable (Int32) throws -> Void)?
        var exit: VMMExit?
        var exitWaiters: [CheckedContinuation<VMMExit, Never>] = []
        var timedWaiters: [UInt64: CheckedContinuation<VMMExit?, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    /// The exit, once the process has ended and been reaped.
    var exit: VMMExit? { state.withLock { $0.exit } }

    func attach(signaller: @escaping @Sendable (Int32) throws -> Void) {
        state.withLock { $0.signaller = signaller }
    }

    /// Sends `signal` through the process descriptor; a no-op once the process has ended.
    func send(_ signal: Int32) throws {
        let signaller = state.withLock { $0.exit == nil ? $0.signaller : nil }
        try signaller?(signal)
    }

    func markExited(_ exit: VMMExit) {
        let (waiters, timed) = state.withLock { state in
            state.exit = state.exit ?? exit
            state.signaller = nil
            defer {
                state.exitWaiters = []
                state.timedWaiters = [:]
            }
            return (state.exitWaiters, Array(state.timedWaiters.values))
        }
        for waiter in waiters { waiter.resume(returning: exit) }
        for waiter in timed { waiter.resume(returning: exit) }
    }

    /// Waits until the process has ended or `timeout` has passed (`nil`). Unlike a task group racing
    /// ``waitForExit()`` against a sleep, this returns at the timeout even though the exit wait cannot be
    /// cancelled: a live process (a frozen one, say) must not hold its caller.
    func waitForExit(within timeout: Duration) async -> VMMExit? {
        await withCheckedContinuation { (continuation: CheckedContinuation<VMMExit?, Never>) in
            let registered = state.withLock { state -> (exit: VMMExit?, id: UInt64) in
                if let exit = state.exit { return (exit, 0) }
                state.nextWaiter += 1
                state.timedWaiters[state.nextWaiter] = continuation
                return (nil, state.nextWaiter)
            }
            if let exit = registered.exit {
                continuation.resume(returning: exit)
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                let waiter = self.state.withLock { $0.timedWaiters.removeValue(forKey: registered.id) }
                waiter?.resume(returning: nil)
            }
        }
    }

    func waitForExit() async -> VMMExit {
        await withCheckedContinuation { continuation in
            let exit = state.withLock { state -> VMMExit? in
                if let exit = state.exit { return exit }
                state.exitWaiters.append(continuation)
                return nil
            }
            if let exit { continuation.resume(returning: exit) }
        }
    }
}

extension VMMExit {
    init(_ status: TerminationStatus) {
        switch status {
        case .exited(let code): self = .exited(code)
        case .signaled(let signal): self = .signaled(signal)
        }
    }
}
