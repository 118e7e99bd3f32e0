import Glibc
package import SystemPackage

/// A system call that failed, with what it was called on and the `errno` it set.
///
/// ```swift
/// do {
///     _ = try SystemFile.read("/sys/fs/cgroup/memory/snapbench-1/memory.usage_in_bytes")
/// } catch {
///     print(error)  // read /sys/fs/cgroup/…: cannot open for reading (No such file or directory, errno 2)
/// }
/// ```
package struct SystemError: Error, Sendable, CustomStringConvertible {
    /// The call or operation, e.g. `open`, `write`, `pidfd_open`, `inotify_add_watch`.
    package var operation: String
    /// The file or directory it was on, when there was one.
    package var path: String?
    /// What failed, in words.
    package var message: String
    /// The `errno` the call set, when it set one.
    package var errno: Errno?

    package init(_ operation: String, path: String? = nil, _ message: String, errno: Errno? = nil) {
        self.operation = operation
        self.path = path
        self.message = message
        self.errno = errno
    }

    /// The error the last failed call on this thread set, e.g. `SystemError.last("fsync", path: log)`.
    package static func last(_ operation: String, path: String? = nil) -> SystemError {
        let code = Errno.last
        return SystemError(operation, path: path, "failed", errno: code)
    }

    package var description: String {
        var text = operation + (path.map { " \($0)" } ?? "") + ": " + message
        if let errno { text += " (\(errno.description), errno \(errno.rawValue))" }
        return text
    }
}

extension Errno {
    /// The calling thread's `errno` now.
    package static var last: Errno { Errno(rawValue: Glibc.errno) }
}
