/// What a golden VM is made of: the guest, its command line, its machine and devices, and how it proves
/// it is ready.
///
/// ```swift
/// let spec = VMSpec.builtInGuest(imagePath: guestPath, workingSetMiB: 16)
/// ```
public struct VMSpec: Codable, Sendable, Equatable {
    /// The guest kernel or built-in guest ELF.
    public var kernelImagePath: String
    /// The kernel command line.
    public var bootArgs: String
    /// vCPUs.
    public var vcpuCount: Int
    /// Guest memory in MiB.
    public var memoryMiB: Int
    /// Block devices (a Linux guest's rootfs).
    public var drives: [Drive]
    /// Network interfaces; their TAP names are baked into the snapshot.
    public var networkInterfaces: [NetworkInterface]
    /// A vsock device; give it a relative `udsPath` so each clone binds its own.
    public var vsock: Vsock?
    /// How the guest proves it runs.
    public var readiness: ReadinessProbe

    public init(
        kernelImagePath: String,
        bootArgs: String,
        vcpuCount: Int = 1,
        memoryMiB: Int = 128,
        drives: [Drive] = [],
        networkInterfaces: [NetworkInterface] = [],
        vsock: Vsock? = nil,
        readiness: ReadinessProbe
    ) {
        self.kernelImagePath = kernelImagePath
        self.bootArgs = bootArgs
        self.vcpuCount = vcpuCount
        self.memoryMiB = memoryMiB
        self.drives = drives
        self.networkInterfaces = networkInterfaces
        self.vsock = vsock
        self.readiness = readiness
    }

    /// The built-in benchmark guest, writing `workingSetMiB` of its memory at boot.
    public static func builtInGuest(
        imagePath: String,
        workingSetMiB: Int = 16,
        memoryMiB: Int = 128,
        vcpuCount: Int = 1
    ) -> VMSpec {
        VMSpec(
            kernelImagePath: imagePath,
            bootArgs: "ws=\(workingSetMiB)",
            vcpuCount: vcpuCount,
            memoryMiB: memoryMiB,
            readiness: .builtInGuest
        )
    }
}

/// How the host learns that a guest runs: a line on the serial console, at boot and after every resume.
public struct ReadinessProbe: Codable, Sendable, Equatable {
    /// The start of the line the guest prints once booted and ready to be snapshotted.
    public var bootPrefix: String
    /// The start of the line the guest prints after every resume; it must differ between clones.
    public var resumePrefix: String

    public init(bootPrefix: String, resumePrefix: String) {
        self.bootPrefix = bootPrefix
        self.resumePrefix = resumePrefix
    }

    /// The tokens of the built-in guest (`Guest/README.md`): its clone's proof is `R<32 hex VMGenID>/<n>`,
    /// short because every byte the guest writes to its serial port is a VM exit.
    public static let builtInGuest = ReadinessProbe(bootPrefix: "SNAPBENCH-READY", resumePrefix: "R")
}
