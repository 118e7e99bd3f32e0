import Firecracker
import Foundation
import Glibc
import Scenarios
import SnapshotPool

/// A snapshot another tool made, checked against this host and this Firecracker before any VM starts: its files
/// present and readable, its format version one this Firecracker loads, its memory file as large as its state
/// says, and every host path it expects usable by clones that must not share what they write.
///
/// ```swift
/// let state = try await ExternalSnapshotCheck(snapshot: external, installation: fc).check(readiness: agent)
/// ```
struct ExternalSnapshotCheck: Sendable {
    var snapshot: ExternalSnapshot
    var installation: FirecrackerInstallation
    var memory = GuestMemory()

    /// The snapshot's state, once every check passed.
    ///
    /// - Throws: ``RunError`` `.invalidRequest` naming the file and the reason.
    func check(readiness: AgentProbe?) async throws -> SnapshotStateFile {
        for (path, what) in [(snapshot.state, "state file"), (snapshot.memory, "memory file")] {
            guard FileManager.default.fileExists(atPath: path) else {
                throw refusal("its \(what) \(path) does not exist")
            }
            guard access(path, R_OK) == 0 else { throw refusal("its \(what) \(path) is not readable by this user") }
        }
        let state: SnapshotStateFile
        do {
            state = try SnapshotStateFile.read(path: snapshot.state)
        } catch let error as SnapshotStateError {
            throw refusal("\(error)")
        }
        let readable = try await installation.snapshotFormatVersion()
        guard FirecrackerInstallation.snapshotFormat(state.formatVersion, loadsIn: readable) else {
            throw refusal(
                "its state file \(snapshot.state) has snapshot format \(state.formatVersion), and this Firecracker "
                    + "(v\(installation.version) at \(installation.firecrackerPath)) loads format \(readable): restore it "
                    + "with the Firecracker that made it (--firecracker PATH)"
            )
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: snapshot.memory)[.size] as? NSNumber)?.uint64Value
        guard let size, size >= state.memoryBytes else {
            throw refusal(
                "its memory file \(snapshot.memory) has \(size ?? 0) bytes and its state file's memory regions need "
                    + "\(state.memoryBytes): the memory file is truncated, or of another snapshot"
            )
        }
        if state.hugePages, memory.backend != .userfaultfd {
            throw refusal("its guest memory is in huge pages, which restore only through vm.memory_backend: uffd")
        }
        let directory = URL(fileURLWithPath: snapshot.state).deletingLastPathComponent().path
        for drive in state.drives {
            if drive.path.hasPrefix("/") {
                guard FileManager.default.fileExists(atPath: drive.path) else {
                    throw refusal("its drive `\(drive.id)` needs \(drive.path), which does not exist")
                }
                guard drive.isReadOnly else {
                    throw refusal(
                        "its drive `\(drive.id)` is writable at the absolute path \(drive.path): every clone would write "
                            + "the same file; make the snapshot with a relative drive path (each clone gets its own copy) "
                            + "or a read-only drive"
                    )
                }
            } else if !FileManager.default.fileExists(atPath: directory + "/" + drive.path) {
                throw refusal(
                    "its drive `\(drive.id)` has the relative path \(drive.path), and \(directory)/\(drive.path) does not "
                        + "exist: put the drive beside the state file"
                )
            }
        }
        if let vsock = state.vsock, vsock.udsPath.hasPrefix("/") {
            throw refusal(
                "its vsock device binds the absolute path \(vsock.udsPath): every clone would bind the same socket; "
                    + "make the snapshot with a relative uds_path (each clone binds its own, in its own directory)"
            )
        }
        let abilities = PrivilegeCheck.Abilities.current()
        if !state.networkInterfaces.isEmpty, !(abilities.systemAdministration && abilities.networkAdministration) {
            throw refusal(
                "its network interfaces (TAPs \(state.networkInterfaces.map(\.tapName).joined(separator: ", "))) need a "
                    + "network namespace per clone, which only root may make"
            )
        }
        if readiness != nil, state.vsock == nil {
            throw refusal("vm.readiness is vsock, and the snapshot has no vsock device")
        }
        if readiness == nil, snapshot.resumePattern == nil {
            throw refusal(
                "it names no readiness: give vm.readiness: vsock (its agent answers over vsock) or "
                    + "vm.snapshot.resume_pattern (the serial line its guest prints after every resume)"
            )
        }
        return state
    }

    private func refusal(_ reason: String) -> RunError {
        RunError(
            .invalidRequest,
            "the snapshot \(snapshot.state) cannot be restored here, so nothing was started: \(reason)"
        )
    }

    /// The VM the snapshot holds, as the pool restores it: its drives, interfaces and vsock as the state names
    /// them, proving readiness through `readiness` or on the serial console.
    static func spec(of state: SnapshotStateFile, snapshot: ExternalSnapshot, readiness: AgentProbe?) -> VMSpec {
        VMSpec(
            kernelImagePath: state.kernelImagePath,
            bootArgs: state.bootArgs ?? "",
            vcpuCount: state.vcpuCount,
            memoryMiB: Int(state.memorySizeMiB),
            drives: state.drives.map {
                Drive(driveId: $0.id, pathOnHost: $0.path, isRootDevice: $0.isRoot, isReadOnly: $0.isReadOnly)
            },
            networkInterfaces: state.networkInterfaces.map {
                NetworkInterface(ifaceId: $0.id, hostDevName: $0.tapName)
            },
            vsock: state.vsock.map { Vsock(guestCid: UInt32(truncatingIfNeeded: $0.guestCID), udsPath: $0.udsPath) },
            balloon: nil,
            readiness: ReadinessProbe(
                bootPrefix: "",
                resumePrefix: snapshot.resumePattern ?? "",
                agent: readiness.map { probe in
                    var probe = probe
                    probe.socket = state.vsock?.udsPath ?? probe.socket
                    return probe
                }
            ),
            hugePages: state.hugePages ? true : nil
        )
    }
}
