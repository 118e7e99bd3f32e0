import CSystemShims
import Glibc
import SystemPackage

/// Resource limits applied to a child after it is spawned (swift-subprocess has no pre-exec hook).
package enum ProcessLimits {
    /// Sets `RLIMIT_NOFILE` of process `pid` to `limit` (soft and hard).
    ///
    /// A process that has already ended (`ESRCH`) is left alone: its exit, noticed by the caller, says more
    /// than a failed prlimit would.
    ///
    /// - Throws: ``SystemError`` when `prlimit(2)` fails otherwise.
    package static func setOpenFileLimit(of pid: Int32, to limit: UInt64) throws {
        guard snapbench_set_open_file_limit(pid, limit) == 0 || errno == ESRCH else {
            throw SystemError("prlimit", "RLIMIT_NOFILE of pid \(pid) cannot be set", errno: .last)
        }
    }

    /// The `RLIMIT_NOFILE` soft limit of process `pid`, read back from the kernel.
    package static func openFileLimit(of pid: Int32) -> UInt64? {
        var limit: UInt64 = 0
        // Unsafe: the shim writes the limit through a pointer to our local.
        guard snapbench_get_open_file_limit(pid, &limit) == 0 else { return nil }
        return limit
    }
}
