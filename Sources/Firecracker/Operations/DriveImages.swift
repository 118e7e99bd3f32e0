import CSystemShims
import Foundation
import Glibc
import HostSystem
import Randomness
import SystemPackage

/// The files behind a golden VM's data drives (``BlockDevices``): made once beside the snapshot, then given to
/// each clone in its own directory under the names the snapshot holds.
///
/// ```swift
/// try DriveImages.create(drives, in: snapshotDirectory)                      // at the golden build
/// try DriveImages.provide(drives, from: snapshotDirectory, into: cloneRoot)  // before each load
/// ```
package enum DriveImages {
    /// Writes `devices.count` files of `devices.sizeMiB` into `directory`, each filled with bytes from a seeded
    /// generator: real data, so that a copy costs what copying a drive costs (a sparse file copies for free).
    ///
    /// - Throws: `FirecrackerError(.workspace)` naming the file that could not be written.
    package static func create(_ devices: BlockDevices, in directory: String) throws {
        let chunk = 1 << 20
        for index in 0..<devices.count {
            let path = directory + "/" + BlockDevices.fileName(index)
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                throw FirecrackerError(.workspace, "cannot create the drive image \(path): \(Errno.last)")
            }
            defer { close(descriptor) }
            var random = SplitMix64(seed: UInt64(index + 1), label: "drive")
            var words = [UInt64](repeating: 0, count: chunk / 8)
            for _ in 0..<devices.sizeMiB {
                for word in words.indices { words[word] = random.next() }
                let written = words.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                guard written == chunk else {
                    throw FirecrackerError(.workspace, "cannot write the drive image \(path): \(Errno.last)")
                }
            }
        }
    }

    /// Gives a clone the drives in `root` (its working directory, or its jail's root) under the snapshot's file
    /// names: read-only drives as links to the snapshot's files — a hard link into a jail (a chrooted VMM cannot
    /// follow a link out of it; the jail is on the snapshot's filesystem), a symbolic link otherwise — and
    /// writable ones as copies, owned by the jail's user when jailed.
    ///
    /// - Throws: `FirecrackerError(.workspace)` naming the drive that could not be given.
    package static func provide(
        _ devices: BlockDevices,
        from snapshotDirectory: String,
        into root: String,
        jail: JailerOptions? = nil
    ) throws {
        for index in 0..<devices.count {
            let name = BlockDevices.fileName(index)
            let source = snapshotDirectory + "/" + name
            let target = root + "/" + name
            switch (devices.sharing, jail) {
            case (.readOnly, let jail?):
                try jail.link(source, into: target)
            case (.readOnly, nil):
                guard symlink(source, target) == 0 else {
                    throw FirecrackerError(.workspace, "cannot link the drive \(source) to \(target): \(Errno.last)")
                }
            case (.copy, let jail):
                try copy(source, to: target, bytes: devices.sizeMiB << 20)
                if let jail, chown(target, jail.uid, jail.gid) != 0 {
                    throw FirecrackerError(.workspace, "cannot give \(target) to uid \(jail.uid): \(Errno.last)")
                }
            }
        }
    }

    /// Gives a clone the drives named by relative paths: read-only ones linked to `snapshotDirectory`'s files,
    /// writable ones copied, as ``provide(_:from:into:jail:)`` does for data drives.
    ///
    /// - Throws: `FirecrackerError(.workspace)` naming the drive that could not be given.
    package static func provide(
        _ drives: [Drive],
        from snapshotDirectory: String,
        into root: String,
        jail: JailerOptions? = nil
    ) throws {
        for drive in drives {
            let source = snapshotDirectory + "/" + drive.pathOnHost
            let target = root + "/" + drive.pathOnHost
            let parent = URL(fileURLWithPath: target).deletingLastPathComponent().path
            try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            if drive.isReadOnly {
                if let jail {
                    try jail.link(source, into: target)
                } else if symlink(source, target) != 0 {
                    throw FirecrackerError(.workspace, "cannot link the drive \(source) to \(target): \(Errno.last)")
                }
                continue
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: source)[.size] as? NSNumber)?.intValue ?? 0
            try copy(source, to: target, bytes: size)
            if let jail, chown(target, jail.uid, jail.gid) != 0 {
                throw FirecrackerError(.workspace, "cannot give \(target) to uid \(jail.uid): \(Errno.last)")
            }
        }
    }

    /// Copies `bytes` of `source` to a new `target` in the kernel (`copy_file_range`), without passing the data
    /// through this process.
    static func copy(_ source: String, to target: String, bytes: Int) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw FirecrackerError(.workspace, "cannot open \(source): \(Errno.last)") }
        defer { close(input) }
        let output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw FirecrackerError(.workspace, "cannot create \(target): \(Errno.last)") }
        defer { close(output) }
        var left = bytes
        while left > 0 {
            let copied = Int(snapbench_copy_file_range(input, output, UInt64(left)))
            if copied < 0, errno == EINTR { continue }
            guard copied > 0 else {
                throw FirecrackerError(.workspace, "cannot copy \(source) to \(target): \(Errno.last)")
            }
            left -= copied
        }
    }
}
