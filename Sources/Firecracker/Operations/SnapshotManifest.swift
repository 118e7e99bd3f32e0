package import Foundation
package import HostSystem
package import MicroVM

/// Everything that must match for a snapshot to be restorable here; its ``digest`` names the snapshot.
package struct CompatibilityKey: Codable, Sendable, Hashable {
    /// Firecracker version (snapshots are only valid on the version that made them).
    package var firecrackerVersion: String
    /// SHA-256 of the Firecracker binary.
    package var firecrackerSHA256: String
    /// SHA-256 of the guest kernel or built-in guest.
    package var kernelSHA256: String
    /// SHA-256 of each drive's backing file, in drive order.
    package var driveSHA256s: [String]
    /// The kernel command line.
    package var bootArgs: String
    /// vCPUs.
    package var vcpuCount: Int
    /// Guest memory in MiB.
    package var memoryMiB: Int
    /// A canonical description of the devices (drives, NICs, vsock).
    package var devices: String
    /// `uname -r` of the host.
    package var hostKernelRelease: String
    /// The host CPU model.
    package var cpuModel: String

    package init(
        firecrackerVersion: String,
        firecrackerSHA256: String,
        kernelSHA256: String,
        driveSHA256s: [String],
        bootArgs: String,
        vcpuCount: Int,
        memoryMiB: Int,
        devices: String,
        hostKernelRelease: String,
        cpuModel: String
    ) {
        self.firecrackerVersion = firecrackerVersion
        self.firecrackerSHA256 = firecrackerSHA256
        self.kernelSHA256 = kernelSHA256
        self.driveSHA256s = driveSHA256s
        self.bootArgs = bootArgs
        self.vcpuCount = vcpuCount
        self.memoryMiB = memoryMiB
        self.devices = devices
        self.hostKernelRelease = hostKernelRelease
        self.cpuModel = cpuModel
    }

    /// Computes the key of `spec` on this host with `installation`.
    ///
    /// - Throws: `FirecrackerError(.workspace)` when the kernel or a drive cannot be read.
    package static func make(
        spec: VMSpec,
        installation: FirecrackerInstallation,
        host: HostInfo
    ) throws
        -> CompatibilityKey
    {
        let devices = try String(decoding: APICoding.encoder().encode(DeviceSummary(spec)), as: UTF8.self)
        return CompatibilityKey(
            firecrackerVersion: installation.version,
            firecrackerSHA256: installation.sha256,
            kernelSHA256: try FileDigest.sha256(ofFile: spec.kernelImagePath),
            driveSHA256s: try spec.drives.map { try FileDigest.sha256(ofFile: $0.pathOnHost) },
            bootArgs: spec.bootArgs,
            vcpuCount: spec.vcpuCount,
            memoryMiB: spec.memoryMiB,
            devices: devices,
            hostKernelRelease: host.kernelRelease,
            cpuModel: host.cpuModel
        )
    }

    /// SHA-256 of the key's canonical JSON: equal keys have equal digests.
    package var digest: String {
        let encoder = APICoding.encoder()
        return FileDigest.sha256(of: (try? encoder.encode(self)) ?? Data())
    }

    /// The fields that differ from `other`, by name, for a person reading why a snapshot was rejected.
    package func differences(from other: CompatibilityKey) -> [String] {
        var names: [String] = []
        if firecrackerVersion != other.firecrackerVersion { names.append("firecrackerVersion") }
        if firecrackerSHA256 != other.firecrackerSHA256 { names.append("firecrackerSHA256") }
        if kernelSHA256 != other.kernelSHA256 { names.append("kernelSHA256") }
        if driveSHA256s != other.driveSHA256s { names.append("driveSHA256s") }
        if bootArgs != other.bootArgs { names.append("bootArgs") }
        if vcpuCount != other.vcpuCount { names.append("vcpuCount") }
        if memoryMiB != other.memoryMiB { names.append("memoryMiB") }
        if devices != other.devices { names.append("devices") }
        if hostKernelRelease != other.hostKernelRelease { names.append("hostKernelRelease") }
        if cpuModel != other.cpuModel { names.append("cpuModel") }
        return names
    }

    private struct DeviceSummary: Encodable {
        var drives: [Drive]
        var networkInterfaces: [NetworkInterface]
        var vsock: Vsock?
        /// Present only when set, so the keys of snapshots without huge pages are what they were.
        var hugePages: Bool?
        /// Present only when set, like ``hugePages``.
        var blockDevices: BlockDevices?
        var balloon: Balloon?
        init(_ spec: VMSpec) {
            drives = spec.drives
            networkInterfaces = spec.networkInterfaces
            vsock = spec.vsock
            blockDevices = spec.blockDevices
            balloon = spec.balloon
            hugePages = spec.hugePages == true ? true : nil
        }
    }
}

/// The manifest written beside a golden snapshot's state and memory files.
package struct SnapshotManifest: Codable, Sendable, Equatable {
    /// The manifest format this build writes.
    package static let currentFormatVersion = 1
    /// File name of the manifest inside a snapshot directory.
    package static let fileName = "manifest.json"

    /// The manifest format.
    package var formatVersion: Int
    /// What the snapshot is compatible with.
    package var compatibility: CompatibilityKey
    /// The spec the golden VM was booted from.
    package var spec: VMSpec
    /// Name of the state file inside the snapshot directory.
    package var stateFile: String
    /// Name of the memory file inside the snapshot directory.
    package var memoryFile: String
    /// SHA-256 of the state file.
    package var stateSHA256: String
    /// Size of the memory file in bytes.
    package var memoryBytes: UInt64
    /// When the snapshot was made.
    package var createdAt: Date
    /// The golden VM's boot, from InstanceStart to its ready line, in milliseconds.
    package var bootToReadyMilliseconds: Double
    /// `PUT /snapshot/create`, in milliseconds.
    package var createMilliseconds: Double
    /// The golden VM's ready line, when it was read; absent in manifests written before it was kept.
    package var readyLine: String?

    /// The VM generation id the golden VM booted with, from its ready line: a clone that reports it after a
    /// restore was not given a new one.
    package var goldenGeneration: GenerationID? { readyLine.flatMap(GenerationID.init(line:)) }

    package init(
        compatibility: CompatibilityKey,
        spec: VMSpec,
        stateFile: String,
        memoryFile: String,
        stateSHA256: String,
        memoryBytes: UInt64,
        createdAt: Date,
        bootToReadyMilliseconds: Double,
        createMilliseconds: Double,
        readyLine: String? = nil
    ) {
        self.formatVersion = Self.currentFormatVersion
        self.compatibility = compatibility
        self.spec = spec
        self.stateFile = stateFile
        self.memoryFile = memoryFile
        self.stateSHA256 = stateSHA256
        self.memoryBytes = memoryBytes
        self.createdAt = createdAt
        self.bootToReadyMilliseconds = bootToReadyMilliseconds
        self.createMilliseconds = createMilliseconds
        self.readyLine = readyLine
    }
}
