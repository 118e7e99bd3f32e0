import CSystemShims
import Glibc
import HostSystem
import Subprocess
import Synchronization
import SystemPackage

/// Shared between a VMM's supervising task and its handle: a process descriptor of our own to signal the
/// process through, and how it ended.
///
/// The descriptor is opened right after the spawn and closed only once the exit is recorded, under the same
/// lock that every signal is sent under: a signal can never reach a process that merely reuses the pid or a
/// descriptor number.
final class ProcessControl: Sendable {
    private struct State {
        var processDescriptor: Int32?
        var exit: VMMExit?
        var exitWaiters: [CheckedContinuation<VMMExit, Never>] = []
        var timedWaiters: [UInt64: CheckedContinuation<VMMExit?, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    /// The exit, once the process has ended and been reaped.
    var exit: VMMExit? { state.withLock { $0.exit } }

    /// Opens the process descriptor of `pid`, the child just spawned (it cannot have been reaped yet: only its
    /// supervising task reaps it).
    func attach(pid: Int32) throws {
        let descriptor = snapbench_pidfd_open(pid)
        guard descriptor >= 0 else { throw Errno.last.asError("pidfd_open(\(pid))") }
        state.withLock { $0.processDescriptor = descriptor }
    }

    /// Sends `signal` through the process descriptor; a no-op once the process has ended.
    func send(_ signal: Int32) throws {
        try state.withLock { state in
            guard state.exit == nil, let descriptor = state.processDescriptor else { return }
            // ESRCH: it exited and awaits its reap; nothing to signal.
            if snapbench_pidfd_send_signal(descriptor, signal) != 0, errno != ESRCH {
                throw Errno.last.asError("pidfd_send_signal(\(signal))")
            }
        }
    }

    /// Whether process `pid` (the child this control attached to) has ended or is on its way out: its exit is
    /// recorded, its process descriptor reports it exited (it awaits its reap), or the kernel is tearing it down.
    ///
    /// The kernel closes a process's descriptors (a VMM's API socket among them) only after it has marked the
    /// process exiting, so a caller that saw its connection close can tell a dying VMM from one that merely
    /// dropped the connection now, without waiting for a window in which the exit must show.
    func isEnding(pid: Int32) -> Bool {
        state.withLock { state in
            if state.exit != nil { return true }
            // Under the lock the descriptor stays open (markExited closes it under the same lock).
            guard let descriptor = state.processDescriptor else { return false }
            if Self.hasExited(descriptor) { return true }
            if Self.isExiting(pid) { return true }
            // Asked again after reading /proc: had the process exited and been reaped meanwhile, the pid could
            // name another process, and the descriptor, which names this one, now says it exited.
            return Self.hasExited(descriptor)
        }
    }

    /// Whether the process behind a process descriptor has exited: the descriptor polls readable then.
    private static func hasExited(_ descriptor: Int32) -> Bool {
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&request, 1, 0) > 0
    }

    /// Whether the kernel is tearing process `pid` down: it is a zombie, or its main thread has `PF_EXITING`
    /// (0x4) in the flags of `/proc/PID/stat`, set as a thread starts to exit and before the process's
    /// descriptors are released.
    private static func isExiting(_ pid: Int32) -> Bool {
        guard let text = SystemFile.readIfPresent("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else {
            return false
        }
        // After the name: the state (field 3), then ppid, pgrp, session, tty_nr, tpgid and the flags (field 9).
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 6, let state = fields[0].first, let flags = UInt64(fields[6]) else { return false }
        return state == "Z" || state == "X" || flags & 0x4 != 0
    }

    func markExited(_ exit: VMMExit) {
        let (waiters, timed, recorded) = state.withLock { state in
            state.exit = state.exit ?? exit
            if let descriptor = state.processDescriptor { close(descriptor) }
            state.processDescriptor = nil
            defer {
                state.exitWaiters = []
                state.timedWaiters = [:]
            }
            return (state.exitWaiters, Array(state.timedWaiters.values), state.exit ?? exit)
        }
        for waiter in waiters { waiter.resume(returning: recorded) }
        for waiter in timed { waiter.resume(returning: recorded) }
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

extension Errno {
    func asError(_ call: String) -> FirecrackerError {
        FirecrackerError(.system, "\(call) failed: \(self)")
    }
}
