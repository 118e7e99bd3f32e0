import Foundation
import Glibc
import HostSystem
package import Logging

/// A golden snapshot on disk: state file, memory file and manifest in one directory.
///
/// ```swift
/// let snapshot = try await GoldenSnapshot.build(spec: spec, installation: installation, into: "/var/snap/g1")
/// try snapshot.verify()
/// ```
package struct GoldenSnapshot: Sendable, Equatable {
    /// The snapshot directory.
    package let directory: String
    /// Its manifest.
    package let manifest: SnapshotManifest

    package init(directory: String, manifest: SnapshotManifest) {
        self.directory = directory
        self.manifest = manifest
    }

    /// Path of the VM state file (the manifest names it inside the directory, or, for a snapshot another tool
    /// made, by its absolute path).
    package var statePath: String {
        manifest.stateFile.hasPrefix("/") ? manifest.stateFile : directory + "/" + manifest.stateFile
    }
    /// Path of the guest memory file.
    package var memoryPath: String {
        manifest.memoryFile.hasPrefix("/") ? manifest.memoryFile : directory + "/" + manifest.memoryFile
    }

    /// A snapshot another tool made, used where it is and as it is: nothing is written beside it, and it is never
    /// moved or rebuilt. Its relative drive paths resolve beside the state file.
    ///
    /// ```swift
    /// let snapshot = try GoldenSnapshot.external(state: "/srv/snap/vm.state", memory: "/srv/snap/vm.mem",
    ///                                            spec: spec, installation: fc)
    /// ```
    ///
    /// - Throws: `FirecrackerError(.snapshotMissing)` when a file cannot be read.
    package static func external(
        state: String,
        memory: String,
        spec: VMSpec,
        installation: FirecrackerInstallation
    ) throws -> GoldenSnapshot {
        let state = ProjectPaths.absolute(state)
        let memory = ProjectPaths.absolute(memory)
        guard let size = (try? FileManager.default.attributesOfItem(atPath: memory)[.size] as? NSNumber)?.uint64Value
        else { throw FirecrackerError(.snapshotMissing, "the snapshot's memory file \(memory) cannot be read") }
        let host = HostInfo.current()
        let key = CompatibilityKey(
            firecrackerVersion: installation.version,
            firecrackerSHA256: installation.sha256,
            kernelSHA256: "",
            driveSHA256s: [],
            bootArgs: spec.bootArgs,
            vcpuCount: spec.vcpuCount,
            memoryMiB: spec.memoryMiB,
            devices: "external snapshot " + state,
            hostKernelRelease: host.kernelRelease,
            cpuModel: host.cpuModel
        )
        let manifest = SnapshotManifest(
            compatibility: key,
            spec: spec,
            stateFile: state,
            memoryFile: memory,
            stateSHA256: try FileDigest.sha256(ofFile: state),
            memoryBytes: size,
            createdAt: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)),
            bootToReadyMilliseconds: 0,
            createMilliseconds: 0
        )
        return GoldenSnapshot(
            directory: URL(fileURLWithPath: state).deletingLastPathComponent().path,
            manifest: manifest
        )
    }

    /// Reads the manifest of the snapshot in `directory`.
    ///
    /// - Throws: `FirecrackerError(.snapshotMissing)` when there is no manifest, `.snapshotInvalid` when it
    ///   cannot be decoded or is of another format version.
    package static func open(directory: String) throws -> GoldenSnapshot {
        let path = directory + "/" + SnapshotManifest.fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FirecrackerError(.snapshotMissing, "no snapshot manifest at \(path)")
        }
        let manifest: SnapshotManifest
        do {
            manifest = try manifestDecoder().decode(SnapshotManifest.self, from: data)
        } catch {
            throw FirecrackerError(.snapshotInvalid, "the manifest \(path) cannot be read", underlying: error)
        }
        guard manifest.formatVersion == SnapshotManifest.currentFormatVersion else {
            throw FirecrackerError(
                .snapshotInvalid,
                "the manifest \(path) has format \(manifest.formatVersion); this build reads \(SnapshotManifest.currentFormatVersion)"
            )
        }
        return GoldenSnapshot(directory: directory, manifest: manifest)
    }

    /// Checks that both files exist, the state file's hash matches and the memory file has its size.
    ///
    /// - Throws: `FirecrackerError(.snapshotMissing)` naming a missing file, `.snapshotInvalid` naming the
    ///   mismatch.
    package func verify() throws {
        try checkFilesPresent()
        let stateHash = try FileDigest.sha256(ofFile: statePath)
        guard stateHash == manifest.stateSHA256 else {
            throw FirecrackerError(
                .snapshotInvalid,
                "the state file \(statePath) has SHA-256 \(stateHash), the manifest says \(manifest.stateSHA256)"
            )
        }
    }

    /// Checks only that both files exist as regular files (links followed, as Firecracker follows them) and the
    /// memory file has its recorded size (cheap: two `stat`s).
    ///
    /// - Throws: `FirecrackerError(.snapshotMissing)` or `.snapshotInvalid`.
    package func checkFilesPresent() throws {
        // stat(2) itself: every restore checks, and FileManager's attributes also look up the owner's names.
        func regularFile(_ path: String) throws -> stat {
            var status = stat()
            guard stat(path, &status) == 0 else {
                throw FirecrackerError(.snapshotMissing, "the snapshot file \(path) is missing")
            }
            guard status.st_mode & S_IFMT == S_IFREG else {
                throw FirecrackerError(.snapshotInvalid, "the snapshot file \(path) is not a regular file")
            }
            return status
        }
        _ = try regularFile(statePath)
        let size = UInt64(max(0, try regularFile(memoryPath).st_size))
        guard size == manifest.memoryBytes else {
            throw FirecrackerError(
                .snapshotInvalid,
                "the memory file \(memoryPath) has \(size) bytes, the manifest says \(manifest.memoryBytes)"
            )
        }
    }

    static func manifestEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static func manifestDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

// MARK: - Building

extension GoldenSnapshot {
    /// Boots a golden VM from `spec`, waits until it is ready, pauses it, writes a Full snapshot (state,
    /// memory, manifest) into `directory` and stops the VM.
    ///
    /// - Parameters:
    ///   - spec: the guest and machine.
    ///   - installation: the Firecracker binary.
    ///   - directory: where the snapshot goes (created; the build VM's working directory is a
    ///     sub-directory that is removed afterwards).
    ///   - launcher: a command prefix the golden VM's Firecracker runs under (``VMMConfiguration/launcher``);
    ///     a spec with network interfaces needs their TAP devices where it runs, e.g.
    ///     `["/usr/sbin/ip", "netns", "exec", "snb-1234-golden-0"]`.
    ///   - bootTimeout: how long the guest may take to print its ready line.
    ///   - logger: progress at info level.
    /// - Returns: the snapshot, verified.
    /// - Throws: `FirecrackerError`; on failure no process and no partial snapshot file is left.
    package static func build(
        spec: VMSpec,
        installation: FirecrackerInstallation,
        into directory: String,
        launcher: [String] = [],
        bootTimeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "snapbench.firecracker")
    ) async throws -> GoldenSnapshot {
        let manager = FileManager.default
        let compatibility = try CompatibilityKey.make(spec: spec, installation: installation, host: .current())
        let stateFile = "vm.state"
        let memoryFile = "vm.mem"
        let statePath = directory + "/" + stateFile
        let memoryPath = directory + "/" + memoryFile
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FirecrackerError(.workspace, "cannot create the snapshot directory \(directory)", underlying: error)
        }
        let driveFiles = (0..<(spec.blockDevices?.count ?? 0)).map(BlockDevices.fileName)
        for name in [stateFile, memoryFile, SnapshotManifest.fileName] + driveFiles {
            try? manager.removeItem(atPath: directory + "/" + name)
        }
        var configuration = VMMConfiguration(
            binary: installation.firecrackerPath,
            workingDirectory: directory + "/golden-vm",
            id: "snapbench-golden"
        )
        configuration.requestTimeout = .seconds(120)
        configuration.launcher = launcher
        logger.info("booting the golden VM", metadata: ["snapshot.directory": "\(directory)"])
        do {
            if let drives = spec.blockDevices { try DriveImages.create(drives, in: directory) }
            let (bootToReady, create, readyLine) = try await withVMM(configuration, logger: logger) { vmm in
                if let drives = spec.blockDevices {
                    // By the relative paths every clone will have them at, in its own directory.
                    try DriveImages.provide(
                        BlockDevices(count: drives.count, sizeMiB: drives.sizeMiB, sharing: .readOnly),
                        from: directory,
                        into: vmm.workingDirectory
                    )
                }
                try await configure(vmm, spec: spec)
                let started = ContinuousClock.now
                try await vmm.api.perform(InstanceAction(.instanceStart))
                let (ready, agentConnection) = try await waitForBoot(vmm, spec: spec, deadline: started + bootTimeout)
                // The agent's connection stays open until the snapshot is written: closed before the pause, the
                // guest's answer to that close (a reset for the connection's host port) could still wait in the
                // device's queue when the VM is paused, and every clone's Firecracker, which numbers its first
                // connection as this one was numbered, would then deliver it to that first connection.
                defer { agentConnection?.close() }
                let bootToReady = started.duration(to: ready.observedAt)
                try await vmm.api.setState(.paused)
                let createStarted = ContinuousClock.now
                try await vmm.api.createSnapshot(
                    SnapshotCreateParameters(snapshotType: .full, snapshotPath: statePath, memFilePath: memoryPath)
                )
                return (bootToReady, createStarted.duration(to: .now), ready.text)
            }
            let size = (try manager.attributesOfItem(atPath: memoryPath)[.size] as? NSNumber)?.uint64Value ?? 0
            let manifest = SnapshotManifest(
                compatibility: compatibility,
                spec: spec,
                stateFile: stateFile,
                memoryFile: memoryFile,
                stateSHA256: try FileDigest.sha256(ofFile: statePath),
                memoryBytes: size,
                // Whole seconds: the manifest stores ISO 8601 without fractions, and must read back equal.
                createdAt: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)),
                bootToReadyMilliseconds: bootToReady.inMilliseconds,
                createMilliseconds: create.inMilliseconds,
                readyLine: readyLine
            )
            try manifestEncoder().encode(manifest).write(
                to: URL(fileURLWithPath: directory + "/" + SnapshotManifest.fileName)
            )
            let snapshot = GoldenSnapshot(directory: directory, manifest: manifest)
            try snapshot.verify()
            logger.info(
                "golden snapshot ready",
                metadata: [
                    "snapshot.directory": "\(directory)",
                    "snapshot.boot_ms": "\(bootToReady.inMilliseconds)",
                    "snapshot.create_ms": "\(create.inMilliseconds)",
                ]
            )
            return snapshot
        } catch {
            for name in [stateFile, memoryFile, SnapshotManifest.fileName] + driveFiles {
                try? manager.removeItem(atPath: directory + "/" + name)
            }
            throw error
        }
    }

    /// Waits until the golden VM is ready to be snapshotted: its boot line on the serial console, or, for a
    /// guest whose readiness is its agent and that names no boot line, until the agent answers over vsock
    /// (tried every 20 ms while it boots). The agent's connection is returned open, for the caller to close
    /// once the snapshot is written.
    private static func waitForBoot(
        _ vmm: VMMProcess,
        spec: VMSpec,
        deadline: ContinuousClock.Instant
    ) async throws -> (SerialLine, AgentConnection?) {
        guard let agent = spec.readiness.agent, spec.readiness.bootPrefix.isEmpty else {
            let line = try await vmm.serial.waitForLine(
                startingWith: spec.readiness.bootPrefix,
                deadline: deadline,
                abortIf: exitedError(vmm)
            )
            return (line, nil)
        }
        let socket = agent.socket.hasPrefix("/") ? agent.socket : vmm.workingDirectory + "/" + agent.socket
        var last: (any Error)?
        while ContinuousClock.now < deadline {
            if let error = exitedError(vmm)() { throw error }
            do {
                let (connection, exchange) = try await AgentChannel.open(
                    socketPath: socket,
                    port: agent.port,
                    asking: agent.request,
                    deadline: min(deadline, .now + .seconds(1))
                )
                if exchange.reply.hasPrefix(agent.expect) {
                    return (SerialLine(text: exchange.reply, observedAt: exchange.replied), connection)
                }
                connection.close()
                last = FirecrackerError(.agentMismatch, "the agent answered `\(exchange.reply.prefix(80))`")
            } catch {
                last = error
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw FirecrackerError(
            .guestNotReady,
            "the guest's agent on vsock port \(agent.port) did not answer `\(agent.request)` with `\(agent.expect)…` "
                + "before the boot timeout" + (last.map { " (last: \($0))" } ?? ""),
            underlying: last
        )
    }

    /// Sends the spec's configuration to a fresh VMM.
    private static func configure(_ vmm: VMMProcess, spec: VMSpec) async throws {
        try await vmm.api.configure(BootSource(kernelImagePath: spec.kernelImagePath, bootArgs: spec.bootArgs))
        try await vmm.api.configure(
            MachineConfiguration(
                vcpuCount: spec.vcpuCount,
                memSizeMib: spec.memoryMiB,
                hugePages: spec.hugePages == true ? .twoMiB : nil
            )
        )
        for drive in spec.allDrives { try await vmm.api.configure(drive) }
        for interface in spec.networkInterfaces { try await vmm.api.configure(interface) }
        if let vsock = spec.vsock { try await vmm.api.configure(vsock) }
        if let balloon = spec.balloon { try await vmm.api.configure(balloon) }
    }
}

/// An `abortIf` check for serial waits: the VMM has exited.
func exitedError(_ vmm: VMMProcess) -> @Sendable () -> FirecrackerError? {
    { [weak vmm] in
        guard let exit = vmm?.exit else { return nil }
        return FirecrackerError(.processExited, "the VMM \(exit) while the host waited for the guest")
    }
}
