import Foundation
import Glibc
import HostSystem
import SystemPackage

/// The files of one VMM's working directory.
enum Workspace {
    /// Creates the working directory with its marker and the empty files Firecracker writes to.
    ///
    /// - Throws: `FirecrackerError(.workspace)`.
    static func prepare(_ configuration: VMMConfiguration) throws {
        do {
            // The pool directory exists almost always: one mkdir, and the parents only when it fails for them.
            if mkdir(configuration.workingDirectory, 0o755) != 0, errno != EEXIST {
                try FileManager.default.createDirectory(
                    atPath: configuration.workingDirectory,
                    withIntermediateDirectories: true
                )
            }
            try DirectoryTree.createFile(
                configuration.path(VMMConfiguration.FileName.marker),
                contents: "pid=\(getpid())\nid=\(configuration.id)\n"
            )
            for name in [VMMConfiguration.FileName.log, VMMConfiguration.FileName.metrics] {
                try DirectoryTree.createFile(configuration.path(name))
                // A jailed VMM writes them as its unprivileged user.
                if let jail = configuration.jailer {
                    guard chown(configuration.path(name), jail.uid, jail.gid) == 0 else {
                        throw FirecrackerError(.workspace, "cannot hand \(name) to uid \(jail.uid): \(Errno.last)")
                    }
                }
            }
        } catch {
            try? remove(configuration.jailer?.jailDirectory(id: configuration.id) ?? configuration.workingDirectory)
            throw FirecrackerError(
                .workspace,
                "cannot prepare the VMM working directory \(configuration.workingDirectory)",
                underlying: error
            )
        }
    }

    /// Opens `path` for appending (creating it), close-on-exec.
    static func openForAppend(_ path: String) throws -> FileDescriptor {
        do {
            return try FileDescriptor.open(
                FilePath(path),
                .writeOnly,
                options: [.create, .append, .truncate, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead]
            )
        } catch {
            throw FirecrackerError(.workspace, "cannot open \(path)", underlying: error)
        }
    }

    /// Removes a working directory and everything in it; a missing directory is not an error.
    static func remove(_ path: String) throws {
        try DirectoryTree.remove(path)
    }
}
