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
