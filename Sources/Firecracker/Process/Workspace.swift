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
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: configuration.workingDirectory, withIntermediateDirectories: true)
            let marker = "pid=\(getpid())\nid=\(configuration.id)\n"
            guard
                manager.createFile(
                    atPath: configuration.path(VMMConfiguration.FileName.marker),
                    contents: Data(marker.utf8)
                )
            else { throw FirecrackerError(.workspace, "cannot write the marker file") }
            for name in [VMMConfiguration.FileName.log, VMMConfiguration.FileName.metrics] {
                guard manager.createFile(atPath: configuration.path(name), contents: nil) else {
                    throw FirecrackerError(.workspace, "cannot create \(name)")
                }
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
        guard FileManager.default.fileExists(atPath: path) else { return }
        try FileManager.default.removeItem(atPath: path)
    }
}
