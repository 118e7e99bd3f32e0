import HostSystem

/// An error from creating, driving or removing a memory cgroup, naming the file or directory involved.
///
/// ```swift
/// do {
///     try cgroup.setLimit(bytes: 64 << 20)
/// } catch let error as MemoryCgroupError where error.code == .write {
///     print("cannot write \(error.path): errno \(error.errno ?? 0)")
/// }
/// ```
package struct MemoryCgroupError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: String, Hashable, Sendable {
            case noController, create, read, write, invalidContents, processesRemain, remove
        }

        private let storage: Storage

        /// Neither a cgroup2 mount with the memory controller delegated nor a writable v1 memory hierarchy
        /// exists.
        package static let noController = Code(storage: .noController)
        /// The cgroup directory could not be created.
        package static let create = Code(storage: .create)
        /// A control file could not be read.
        package static let read = Code(storage: .read)
        /// A control file refused a write (a limit below current usage, a pid that is gone, no permission).
        package static let write = Code(storage: .write)
        /// A control file held something that is not what its format promises.
        package static let invalidContents = Code(storage: .invalidContents)
        /// Processes were still in the cgroup when it had to be empty.
        package static let processesRemain = Code(storage: .processesRemain)
        /// The cgroup directory could not be removed.
        package static let remove = Code(storage: .remove)

        package var description: String { storage.rawValue }
    }

    /// What kind of failure this is.
    package let code: Code
    /// The file or directory the operation was on.
    package let path: String
    /// A sentence saying what failed, for a person.
    package let message: String
    /// The `errno` of the failed system call, when one failed.
    package let errno: Int32?

    /// Creates an error.
    package init(_ code: Code, path: String, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.errno = errno
    }

    package var description: String {
        var text = "\(code): \(message) (\(path))"
        if let errno { text += " [errno \(errno): \(SystemFile.errorText(errno))]" }
        return text
    }
}
