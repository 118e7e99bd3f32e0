import CSystemShims

/// The time slice the fair scheduler gives the calling thread (EEVDF's request size, `sched_runtime` of
/// `sched_setattr(2)`, Linux 6.12 on): a thread asking for a short slice gets an early virtual deadline, so when
/// it wakes it preempts threads running on longer slices. Unlike real-time priority, no privilege is needed.
///
/// ```swift
/// if !ThreadSlice.request(.microseconds(100)) { /* an older kernel: the default slice */ }
/// let slice = ThreadSlice.current  // .microseconds(100); the kernel's default (e.g. 1.4 ms) otherwise
/// ```
package enum ThreadSlice {
    /// Asks for `slice` (Linux clamps it to 0.1–100 ms) for the calling thread, keeping its niceness.
    ///
    /// - Returns: whether the kernel took it (`false` on kernels without custom slices).
    @discardableResult
    package static func request(_ slice: Duration) -> Bool {
        snapbench_set_thread_slice(UInt64(max(0, slice.inNanoseconds))) == 0
    }

    /// Asks for `slice` for every thread `pid` has now (a process of this user), each keeping its niceness; `nil`
    /// gives them the kernel's default slice back. Threads started later inherit their starter's slice.
    ///
    /// - Returns: how many threads took it.
    @discardableResult
    package static func request(_ slice: Duration?, allThreadsOf pid: Int32) -> Int {
        let nanoseconds = UInt64(max(0, slice?.inNanoseconds ?? 0))
        var count = 0
        for thread in ProcessStatus.threads(of: pid) ?? [] where snapbench_set_slice_of_thread(thread, nanoseconds) == 0
        {
            count += 1
        }
        return count
    }

    /// The slice of each thread `pid` has now, by thread id (threads whose slice cannot be read left out).
    package static func slices(allThreadsOf pid: Int32) -> [Int32: Duration] {
        var slices: [Int32: Duration] = [:]
        for thread in ProcessStatus.threads(of: pid) ?? [] {
            let nanoseconds = snapbench_slice_of_thread(thread)
            if nanoseconds >= 0 { slices[thread] = .nanoseconds(nanoseconds) }
        }
        return slices
    }

    /// The calling thread's slice: the one it asked for, else the kernel's default; `nil` when it cannot be read.
    package static var current: Duration? {
        let nanoseconds = snapbench_thread_slice()
        return nanoseconds < 0 ? nil : .nanoseconds(nanoseconds)
    }
}
