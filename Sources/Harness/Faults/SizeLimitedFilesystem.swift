import Firecracker
import Foundation
import Glibc
import HostSystem
import Logging

/// A tmpfs of a fixed size mounted for one run, so that a `disk_full` fault can really fill the filesystem
/// the pool writes its VM directories to. Its directory name carries the owner's pid: a run that finds one
/// whose owner is dead (a killed run) unmounts it.
///
/// ```swift
/// let filesystem = try SizeLimitedFilesystem.mount(in: "/tmp/snapbench/run", mebibytes: 64)
/// defer { filesystem.unmount() }
/// try filesystem.fill(leavingKiB: 0)
/// ```
final class SizeLimitedFilesystem: Sendable {
    /// Why a mount or fill failed.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Where it is mounted.
    let path: String
    /// Its size in MiB.
    let mebibytes: Int
    /// The ``OwnerTag`` kind of its directory name: `fs-<pid>-<random>`.
    static let kind = "fs"
    private static let fillerName = ".snapbench-filler"

    private init(path: String, mebibytes: Int) {
        self.path = path
        self.mebibytes = mebibytes
    }

    /// Mounts a new tmpfs of `mebibytes` below `directory`.
    static func mount(in directory: String, mebibytes: Int) throws -> SizeLimitedFilesystem {
        try mount(
            at: directory + "/" + OwnerTag(kind: kind).name(String(UUID().uuidString.prefix(8))),
            mebibytes: mebibytes
        )
    }

    /// Mounts a new tmpfs of `mebibytes` at `path` (created when missing).
    static func mount(at path: String, mebibytes: Int) throws -> SizeLimitedFilesystem {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create \(path): \(error.localizedDescription)")
        }
        guard Glibc.mount("snapbench", path, "tmpfs", 0, "size=\(mebibytes)m,mode=0755") == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: path)
            throw Failure(description: "cannot mount a \(mebibytes) MiB tmpfs at \(path): \(reason) (needs root)")
        }
        return SizeLimitedFilesystem(path: path, mebibytes: mebibytes)
    }

    /// Free bytes left.
    var freeBytes: UInt64 { FreeSpace.bytes(at: path) ?? 0 }

    /// Fills the filesystem with one file until `leavingKiB` remain free.
    ///
    /// - Returns: the bytes the filler took.
    @discardableResult
    func fill(leavingKiB: Int) throws -> UInt64 {
        let leave = UInt64(leavingKiB) * 1_024
        guard freeBytes > leave else { return 0 }
        let filler = path + "/" + Self.fillerName
        let descriptor = open(filler, O_CREAT | O_WRONLY | O_CLOEXEC | O_APPEND, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot create \(filler): errno \(errno)") }
        defer { close(descriptor) }
        // Whole blocks, largest first, until the kernel says no space: preallocating the exact free count
        // fails on tmpfs (its own bookkeeping takes a little), and writing shows the filesystem truly full.
        let zeros = [UInt8](repeating: 0, count: 1_048_576)
        var written: UInt64 = 0
        for chunk in [1_048_576, 65_536, 4_096] {
            while freeBytes > leave, freeBytes - leave >= UInt64(chunk) {
                // Unsafe: write(2) reads `chunk` bytes of our zero buffer.
                let count = zeros.withUnsafeBytes { write(descriptor, $0.baseAddress, chunk) }
                if count <= 0 {
                    guard errno == ENOSPC else {
                        throw Failure(description: "cannot fill \(path): \(String(cString: strerror(errno)))")
                    }
                    break
                }
                written += UInt64(count)
            }
        }
        return written
    }

    /// Removes the filler: the space is free again.
    func drain() {
        unlink(path + "/" + Self.fillerName)
    }

    /// Unmounts it (lazily, so a file still open cannot keep it) and removes its directory.
    func unmount() {
        Self.unmount(path)
    }

    private static func unmount(_ path: String) {
        _ = umount2(path, Int32(MNT_DETACH))
        rmdir(path)
    }

    /// SIGKILLs every process whose working directory lies in `directory`: a killed run's VMMs (each runs
    /// in its VM's directory) would otherwise outlive the filesystem they ran in.
    static func killProcesses(workingIn directory: String) {
        for pid in ProcessStatus.processes(workingIn: directory) where pid != getpid() {
            kill(pid, SIGKILL)
        }
    }

    /// Where tmpfs filesystems are mounted now, from `/proc/self/mounts`.
    static func mountedTmpfs() -> [String] {
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        return mounts.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 2 && fields[2] == "tmpfs" ? String(fields[1]) : nil
        }
    }

    /// Unmounts the filesystems of dead owners found in `directory`.
    ///
    /// - Returns: the paths unmounted.
    static func reclaimOrphans(in directory: String, logger: Logger) async -> [String] {
        let sweep = await OrphanSweep.run(Mounts(directory: directory))
        return sweep.reclaimed.map { name, _ in
            logger.notice("unmounted a killed run's filesystem", metadata: ["path": "\(directory)/\(name)"])
            return directory + "/" + name
        }
    }

    /// The tmpfs mounts directly below one directory as ``TaggedResources``.
    private struct Mounts: TaggedResources {
        let directory: String
        var kind: String { SizeLimitedFilesystem.kind }
        var noun: String { "size-limited filesystem" }

        func names() -> [String] {
            mountedTmpfs().compactMap { mountPoint in
                guard mountPoint.hasPrefix(directory + "/") else { return nil }
                let name = String(mountPoint.dropFirst(directory.count + 1))
                return name.contains("/") ? nil : name
            }
        }

        func remove(_ name: String) {
            let mountPoint = directory + "/" + name
            killProcesses(workingIn: mountPoint)
            unmount(mountPoint)
        }
    }
}
