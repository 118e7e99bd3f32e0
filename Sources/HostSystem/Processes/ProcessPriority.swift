import Glibc

/// CPU priority (`nice`) of another process's threads.
///
/// ```swift
/// ProcessPriority.set(-5, allThreadsOf: vmm.pid)  // while it loads
/// ProcessPriority.set(0, allThreadsOf: vmm.pid)
/// ```
package enum ProcessPriority {
    /// Sets the niceness of every thread `pid` has now (on Linux `setpriority` reaches one thread per id).
    /// Threads it starts later inherit the niceness of the thread that starts them. Returns how many were set.
    @discardableResult
    package static func set(_ niceness: Int32, allThreadsOf pid: Int32) -> Int {
        var count = 0
        for thread in ProcessStatus.threads(of: pid) ?? [] {
            if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(thread), niceness) == 0 { count += 1 }
        }
        return count
    }
}

extension ProcessPriority {
    /// Whether this process may set a thread's niceness as low as `niceness` (a higher priority than the default):
    /// with `CAP_SYS_NICE` (root has it), or an `RLIMIT_NICE` soft limit of at least `20 − niceness`.
    ///
    /// ```swift
    /// ProcessPriority.mayRaise(to: -10)  // true as root; false for a plain user
    /// ```
    package static func mayRaise(to niceness: Int32) -> Bool {
        if niceness >= 0 || ProcessStatus.hasCapability(sysNice) { return true }
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(__RLIMIT_NICE.rawValue), &limit) == 0 else { return false }
        return limit.rlim_cur == rlim_t.max || limit.rlim_cur >= rlim_t(20 - Int64(niceness))
    }

    /// `CAP_SYS_NICE`'s bit in a capability set.
    static let sysNice = 23
}
