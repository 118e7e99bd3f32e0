import CSystemShims
import Foundation
import Glibc
import Synchronization
import SystemPackage

/// Waits for changes of files and directories with inotify instead of sleeping in a loop.
///
/// One inotify instance and one reactor thread serve every wait of the process: waits register a condition,
/// the thread blocks in `poll(2)` and re-checks the conditions after every change, so a waiter wakes within
/// microseconds of the change it waits for, and no thread of Swift's cooperative pool ever blocks.
///
/// Measured pitfalls that shaped it (2 cores, 2026-11): an inotify instance per wait ran into the limit of
/// 128 instances per user under load, and closing one waits for an RCU grace period (13–22 ms); a Dispatch
/// queue's threads are as many as the cores, so waits queued behind blocked ones. Watches are never removed
/// by hand (that too waits for RCU): the kernel drops them when the watched file or directory is deleted.
public enum FileEvents {
    /// Which changes wake the waiters.
    public struct Mask: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// A file was created in the watched directory.
        public static let created = Mask(rawValue: UInt32(IN_CREATE))
        /// The watched file was written.
        public static let modified = Mask(rawValue: UInt32(IN_MODIFY))
    }

    /// Returns when `condition` holds, checking it at once and after every change of a watched path.
    ///
    /// - Parameters:
    ///   - path: the file or directory to watch; it must exist.
    ///   - mask: which changes to wake for.
    ///   - deadline: when to give up.
    ///   - condition: evaluated on the caller's thread first, then on the reactor thread; returns a value to
    ///     finish with, or `nil` to go on. It must be quick.
    /// - Returns: the condition's value, or `nil` at the deadline.
    /// - Throws: `CancellationError` when the task is cancelled; ``SystemError`` when inotify fails.
    public static func wait<T: Sendable>(
        on path: String,
        for mask: Mask,
        until deadline: ContinuousClock.Instant,
        condition: @escaping @Sendable () -> T?
    ) async throws -> T? {
        try await FileEventReactor.shared.wait(on: path, mask: mask.rawValue, until: deadline, condition: condition)
    }
}

/// The one inotify instance and thread behind ``FileEvents``.
final class FileEventReactor: Sendable {
    static let shared = FileEventReactor()

    /// The longest single `poll(2)`: a safety net that re-checks every condition (exit of a VMM, say) even
    /// when nothing on disk changes.
    private static let slice: Int32 = 5

    private struct Waiter {
        /// Checks the condition; resumes the waiter and returns `true` when it is done.
        var check: @Sendable (_ expired: Bool, _ cancelled: Bool) -> Bool
        var deadline: ContinuousClock.Instant
        var cancelled = false
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 0
        var started = false
    }

    private let inotify: Int32
    private let wakeup: Int32
    private let failure: SystemError?
    private let state = Mutex(State())

    private init() {
        let inotify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        let wakeup = snapbench_eventfd()
        self.inotify = inotify
        self.wakeup = wakeup
        self.failure =
            inotify < 0 || wakeup < 0
            ? SystemError("inotify_init1", "cannot create the inotify reactor", errno: .last) : nil
    }

    func wait<T: Sendable>(
        on path: String,
        mask: UInt32,
        until deadline: ContinuousClock.Instant,
        condition: @escaping @Sendable () -> T?
    ) async throws -> T? {
        if let failure { throw failure }
        guard inotify_add_watch(inotify, path, mask | UInt32(IN_MASK_ADD)) >= 0 else {
            throw SystemError("inotify_add_watch", path: path, "cannot watch", errno: .last)
        }
        if let value = condition() { return value }
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T?, any Error>) in
                let check: @Sendable (Bool, Bool) -> Bool = { expired, cancelled in
                    if cancelled {
                        continuation.resume(throwing: CancellationError())
                        return true
                    }
                    if let value = condition() {
                        continuation.resume(returning: value)
                        return true
                    }
                    if expired {
                        continuation.resume(returning: nil)
                        return true
                    }
                    return false
                }
                let startThread = state.withLock { state -> Bool in
                    // A cancellation that came before this registration found no waiter to mark.
                    state.waiters[id] = Waiter(check: check, deadline: deadline, cancelled: Task.isCancelled)
                    defer { state.started = true }
                    return !state.started
                }
                if startThread { startReactor() }
                signal()
            }
        } onCancel: {
            state.withLock { $0.waiters[id]?.cancelled = true }
            signal()
        }
    }

    /// Wakes the reactor so that it checks every waiter now (a new waiter may already be satisfied).
    private func signal() {
        var one: UInt64 = 1
        // Unsafe: write(2) reads the 8-byte counter increment from our local.
        _ = write(wakeup, &one, 8)
    }

    private func startReactor() {
        let thread = Thread { [self] in self.run() }
        thread.name = "snapbench.file-events"
        thread.start()
    }

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var descriptors = [
            pollfd(fd: inotify, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeup, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let timeout = nextTimeout()
            _ = poll(&descriptors, 2, timeout)
            // Drain both descriptors; which paths changed does not matter, every waiter is re-checked.
            // Unsafe: read(2) fills our own buffer of known size.
            _ = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
            _ = buffer.withUnsafeMutableBytes { read(wakeup, $0.baseAddress, 8) }
            checkAll()
        }
    }

    private func nextTimeout() -> Int32 {
        let earliest = state.withLock { $0.waiters.values.map(\.deadline).min() }
        guard let earliest else { return 1000 }
        let remaining = ContinuousClock.now.duration(to: earliest)
        return Int32(max(0, min(Int64(Self.slice), remaining.wholeMilliseconds + 1)))
    }

    private func checkAll() {
        let now = ContinuousClock.now
        let waiters = state.withLock { $0.waiters }
        var finished: [UInt64] = []
        for (id, waiter) in waiters where waiter.check(now >= waiter.deadline, waiter.cancelled) {
            finished.append(id)
        }
        guard !finished.isEmpty else { return }
        state.withLock { state in
            for id in finished { state.waiters[id] = nil }
        }
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    fileprivate var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
