import Subprocess
import Synchronization

/// Shared between a VMM's supervising task and its handle: how to signal the process, and how it ended.
final class ProcessControl: Sendable {
    private struct State {
        var signaller: (@Sendable (Int32) throws -> Void)?
        var exit: VMMExit?
        var exitWaiters: [CheckedContinuation<VMMExit, Never>] = []
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
        let waiters = state.withLock { state -> [CheckedContinuation<VMMExit, Never>] in
            state.exit = state.exit ?? exit
            state.signaller = nil
            defer { state.exitWaiters = [] }
            return state.exitWaiters
        }
        for waiter in waiters { waiter.resume(returning: exit) }
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
