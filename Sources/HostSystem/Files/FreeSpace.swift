import Glibc

/// Free space on the filesystem holding a path, as an unprivileged writer sees it.
///
/// ```swift
/// let bytes = FreeSpace.bytes(at: "/dev/shm/snapbench")  // nil when the path cannot be examined
/// ```
package enum FreeSpace {
    /// Bytes available at `path`'s filesystem (`statvfs` `f_bavail × f_frsize`); `nil` when it cannot be read.
    package static func bytes(at path: String) -> UInt64? {
        var stats = statvfs()
        // Unsafe: statvfs(2) fills our local.
        guard statvfs(path, &stats) == 0 else { return nil }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
    }
}
