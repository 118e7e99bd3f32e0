import CSystemShims
import Foundation
import Glibc
import SystemPackage

/// What a process holds of the host, read from `/proc`: the network devices of its namespace, which namespace
/// that is, the files it has open; and whether a Unix socket accepts connections.
///
/// ```swift
/// ProcessDevices.networkDevices(of: vmm.pid)  // ["lo", "tap0"]
/// ProcessDevices.acceptsConnections("/run/snapbench/vm-1/vsock.sock")  // nil: something listens there
/// ```
package enum ProcessDevices {
    /// The network devices of the namespace process `pid` runs in (`/proc/PID/net/dev`); `nil` when it is gone.
    package static func networkDevices(of pid: Int32) -> [String]? {
        guard let text = SystemFile.readIfPresent("/proc/\(pid)/net/dev") else { return nil }
        return text.split(separator: "\n").dropFirst(2).compactMap { line in
            line.split(separator: ":", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    /// The inode of the network namespace process `pid` runs in; `nil` when it is gone.
    package static func networkNamespace(of pid: Int32) -> UInt64? {
        inode("/proc/\(pid)/ns/net")
    }

    /// The inode of the file (or namespace) at `path`, following links; `nil` when it cannot be read.
    package static func inode(_ path: String) -> UInt64? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return UInt64(status.st_ino)
    }

    /// What `lstat` says of a file: whether it is a symbolic link, its hard links and its size.
    package struct FileStatus: Equatable {
        package var isLink: Bool
        package var links: UInt64
        package var size: UInt64
    }

    /// The file at `path` itself (a link is not followed); `nil` when there is none.
    package static func fileStatus(_ path: String) -> FileStatus? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return FileStatus(
            isLink: status.st_mode & S_IFMT == S_IFLNK,
            links: UInt64(status.st_nlink),
            size: UInt64(status.st_size)
        )
    }

    /// Why nothing accepts connections on the Unix socket at `path`, or `nil` when something does.
    package static func acceptsConnections(_ path: String) -> String? {
        snapbench_unix_socket_accepts(path) == 0 ? nil : "\(Errno.last)"
    }
}
