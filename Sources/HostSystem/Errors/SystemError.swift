import Glibc
public import SystemPackage

/// A system call that failed, with what it was called on and the `errno` it set.
///
/// ```swift
/// do {
///     _ = try SystemFile.read("/sys/fs/cgroup/memory/snapbench-1/memory.usage_in_bytes")
/// } catch {
///     print(error)  // read /sys/fs/cgroup/…: cannot open for reading (No such file or directory, errno 2)
/// }
/// ```
public struct SystemError: Error, Sendable, CustomStringConvertible {
    /// The call or operation, e.g. `open`, `write`, `pidfd_open`, `inotify_add_watch`.
    public var operation: String
    /// The file or directory it was on, when there was one.
    public var path: String?
    /// What failed, in words.
    public var message: String
    /// The `errno` the call set, when it set one.
    public var errno: Errno?

    public init(_ operation: String, path: String? = nil, _ message: String, errno: Errno? = nil) {
        self.operation = operation
        self.path = path
        self.message = message
        self.errno = errno
    }

    /// The error the last failed call on this thread set, e.g. `SystemError.last("fsync", path: log)`.
    public static func last(_ operation: String, path: String? = nil) -> SystemError {
        let code = Errno.last
        return SystemError(operation, path: path, "failed", errno: code)
    }

    public var description: String {
        var text = operation + (path.map { " \($0)" } ?? "") + ": " + message
        if let errno { text += " (\(errno.description), errno \(errno.rawValue))" }
        return text
    }
}

extension Errno {
    /// The calling thread's `errno` now.
    public static var last: Errno { Errno(rawValue: Glibc.errno) }
}
