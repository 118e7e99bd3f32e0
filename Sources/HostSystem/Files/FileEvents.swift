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
package enum FileEvents {
    /// Which changes wake the waiters.
    package struct Mask: OptionSet, Sendable {
        package let rawValue: UInt32
        package init(rawValue: UInt32) { self.rawValue = rawValue }
        /// A file was created in the watched directory.
        package static let created = Mask(rawValue: UInt32(IN_CREATE))
        /// The watched file was written.
        package static let modified = Mask(rawValue: UInt32(IN_MODIFY))
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
    package static func wait<T: Sendable>(
        on path: String,
        for mask: Mask,
        until deadline: ContinuousClock.Instant,
        condition: @escaping @Sendable () -> T?
    ) async throws -> T? {
        try await FileEventReactor.shared.wait(on: path, mask: mask.rawValue, until: deadline, condition: condition)
    }
}

/// The one inotify instance and thread behind ``FileEvents``.
///
/// A change wakes only the waiters of the path that changed: inotify names the watch, and each waiter belongs to
/// one. (Checking every waiter on every change cost O(waiters × bytes written): 64 VMs resumed at once, each
/// printing a 60-byte line a byte at a time, made 64 × 64 × 60 condition checks, each reading a console file.)
final class FileEventReactor: Sendable {
    static let shared = FileEventReactor()

    /// How often every condition is checked anyway, changes or not: a safety net for conditions that also
    /// depend on something else (a VMM that exited, say).
    private static let sweep: Duration = .milliseconds(50)

    private struct Waiter {
        /// Checks the condition; resumes the waiter and returns `true` when it is done.
        var check: @Sendable (_ expired: Bool, _ cancelled: Bool) -> Bool
        var deadline: ContinuousClock.Instant
        var watch: Int32
        var cancelled = false
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        /// Waiters by the watch they belong to.
        var byWatch: [Int32: Set<UInt64>] = [:]
        /// Waiters to check on the next turn whatever changed: new ones (a change may have come between their
        /// first check and their registration) and cancelled ones.
        var pending: Set<UInt64> = []
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
        let watch = inotify_add_watch(inotify, path, mask | UInt32(IN_MASK_ADD))
        guard watch >= 0 else {
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
                    state.waiters[id] = Waiter(
                        check: check,
                        deadline: deadline,
                        watch: watch,
                        cancelled: Task.isCancelled
                    )
                    state.byWatch[watch, default: []].insert(id)
                    state.pending.insert(id)
                    defer { state.started = true }
                    return !state.started
                }
                if startThread { startReactor() }
                signal()
            }
        } onCancel: {
            state.withLock { state in
                guard state.waiters[id] != nil else { return }
                state.waiters[id]?.cancelled = true
                state.pending.insert(id)
            }
            signal()
        }
    }

    /// Wakes the reactor so that it checks the pending waiters now.
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
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var descriptors = [
            pollfd(fd: inotify, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeup, events: Int16(POLLIN), revents: 0),
        ]
        var nextSweep = ContinuousClock.now + Self.sweep
        while true {
            _ = poll(&descriptors, 2, nextTimeout(sweep: nextSweep))
            let changed = readChangedWatches(into: &buffer)
            // Unsafe: read(2) drains the eventfd's 8-byte counter into our buffer.
            _ = buffer.withUnsafeMutableBytes { read(wakeup, $0.baseAddress, 8) }
            let now = ContinuousClock.now
            let everything = now >= nextSweep
            if everything { nextSweep = now + Self.sweep }
            check(changed: changed, everything: everything, now: now)
        }
    }

    /// The watches inotify reported changes for (every queued event is read).
    private func readChangedWatches(into buffer: inout [UInt8]) -> Set<Int32> {
        var changed: Set<Int32> = []
        let header = MemoryLayout<inotify_event>.size
        while true {
            // Unsafe: read(2) fills our own buffer of known size.
            let count = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
            guard count > 0 else { return changed }
            var offset = 0
            while offset + header <= count {
                // Unsafe: an inotify_event header lies at `offset`, inside what read(2) returned.
                let event = buffer.withUnsafeBytes {
                    $0.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                }
                changed.insert(event.wd)
                offset += header + Int(event.len)
            }
        }
    }

    private func nextTimeout(sweep: ContinuousClock.Instant) -> Int32 {
        let earliest = state.withLock { $0.waiters.values.map(\.deadline).min() }
        let next = min(earliest ?? sweep, sweep)
        let remaining = ContinuousClock.now.duration(to: next)
        return Int32(max(0, min(Int64(1000), remaining.wholeMilliseconds + 1)))
    }

    /// Checks the waiters of the changed watches, the pending ones and the expired ones (every waiter on a sweep),
    /// and removes those that are done.
    private func check(changed: Set<Int32>, everything: Bool, now: ContinuousClock.Instant) {
        let due = state.withLock { state -> [(UInt64, Waiter)] in
            var ids = state.pending
            state.pending.removeAll()
            if everything {
                ids.formUnion(state.waiters.keys)
            } else {
                for watch in changed { ids.formUnion(state.byWatch[watch] ?? []) }
                for (id, waiter) in state.waiters where waiter.deadline <= now { ids.insert(id) }
            }
            return ids.compactMap { id in state.waiters[id].map { (id, $0) } }
        }
        var finished: [(UInt64, Int32)] = []
        for (id, waiter) in due where waiter.check(now >= waiter.deadline, waiter.cancelled) {
            finished.append((id, waiter.watch))
        }
        guard !finished.isEmpty else { return }
        state.withLock { state in
            for (id, watch) in finished {
                state.waiters[id] = nil
                state.byWatch[watch]?.remove(id)
                if state.byWatch[watch]?.isEmpty == true { state.byWatch[watch] = nil }
            }
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
