import Foundation
import Glibc
import Synchronization

/// Waits for changes of a file or directory with inotify instead of sleeping in a loop.
///
/// Each wait parks a thread of its own (never one of Swift's cooperative pool) in `poll(2)` on an inotify
/// descriptor, so the caller wakes within microseconds of the change.
///
/// Two measured pitfalls shape it (2 cores, 2026-11): closing an inotify descriptor waits for an RCU grace
/// period (13–22 ms), so the caller is resumed *before* the descriptor is closed; and a Dispatch queue's
/// threads are as many as the cores, so waits queued behind blocked ones, hence a thread per wait.
enum FileEvents {
    /// Which changes wake the waiter.
    struct Mask: OptionSet, Sendable {
        let rawValue: UInt32
        /// A file was created in the watched directory.
        static let created = Mask(rawValue: UInt32(IN_CREATE))
        /// The watched file was written.
        static let modified = Mask(rawValue: UInt32(IN_MODIFY))
    }

    /// The longest single `poll(2)`: it bounds how late a cancellation or a process exit is noticed
    /// when the watched path never changes.
    private static let slice: Int32 = 5

    /// Returns when `condition` holds, checking it at once and after every change of `path`.
    ///
    /// - Parameters:
    ///   - path: the file or directory to watch; it must exist.
    ///   - mask: which changes to wake for.
    ///   - deadline: when to give up.
    ///   - condition: evaluated on the waiting thread; returns a value to finish with, or `nil` to go on.
    /// - Returns: the condition's value, or `nil` at the deadline.
    /// - Throws: `CancellationError` when the task is cancelled; `FirecrackerError(.system)` when inotify fails.
    static func wait<T: Sendable>(
        on path: String,
        for mask: Mask,
        until deadline: ContinuousClock.Instant,
        condition: @escaping @Sendable () -> T?
    ) async throws -> T? {
        let cancelled = Atomic<Bool>(false)
        let result: Result<T?, any Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
                    guard fd >= 0 else {
                        continuation.resume(
                            returning: .failure(FirecrackerError(.system, "inotify_init1 failed: \(Errno.current)"))
                        )
                        return
                    }
                    continuation.resume(
                        returning: Result {
                            try blockingWait(
                                fd: fd,
                                path: path,
                                mask: mask,
                                deadline: deadline,
                                cancelled: cancelled,
                                condition
                            )
                        }
                    )
                    close(fd)
                }
                thread.name = "snapbench.file-events"
                thread.start()
            }
        } onCancel: {
            cancelled.store(true, ordering: .relaxed)
        }
        return try result.get()
    }

    private static func blockingWait<T>(
        fd: Int32,
        path: String,
        mask: Mask,
        deadline: ContinuousClock.Instant,
        cancelled: borrowing Atomic<Bool>,
        _ condition: () -> T?
    ) throws -> T? {
        guard inotify_add_watch(fd, path, mask.rawValue) >= 0 else {
            throw FirecrackerError(.system, "cannot watch \(path): \(Errno.current)")
        }
        var events = [UInt8](repeating: 0, count: 4096)
        while true {
            if let value = condition() { return value }
            if cancelled.load(ordering: .relaxed) { throw CancellationError() }
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return nil }
            let milliseconds = min(Int64(slice), max(1, remaining.milliseconds))
            var pollDescriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&pollDescriptor, 1, Int32(milliseconds))
            // Drain the queued events; their content does not matter, only that something changed.
            // Unsafe: read(2) needs a raw pointer into our own buffer of known size.
            _ = events.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        }
    }
}
/// The current `errno`, printable.
struct Errno: CustomStringConvertible, Sendable {
    let code: Int32
    static var current: Errno { Errno(code: errno) }
    var description: String { "\(String(cString: strerror(code))) (errno \(code))" }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The duration in (fractional) milliseconds, for display and statistics.
    public var inMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    /// Whole nanoseconds.
    public var inNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
