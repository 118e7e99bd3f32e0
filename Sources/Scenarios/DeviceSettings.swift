package import Firecracker

/// The devices of a scenario's VM (`vm.network_interfaces`, `vm.drives`, `vm.balloon`, `vm.vsock`): what the
/// golden VM boots with, so what every clone restores with.
///
/// ```swift
/// let devices = DeviceSettings(networkInterfaces: 3, drives: BlockDevices(count: 3, sizeMiB: 16, sharing: .copy))
/// devices.description  // "3 NICs, 3 drives of 16 MiB (copy)"
/// ```
package struct DeviceSettings: Sendable, Equatable {
    /// Network interfaces: `eth0` … on TAPs `tap0` …, each clone's in a network namespace of its own.
    package var networkInterfaces: Int
    /// Data drives.
    package var drives: BlockDevices?
    /// A balloon device.
    package var balloon: Balloon?
    /// A vsock device, each clone's socket `vsock.sock` in its own directory.
    package var vsock: Vsock?

    /// The context id every clone's vsock has (the guest's; clones of one snapshot share it, each behind its
    /// own host socket).
    package static let vsockGuestCID: UInt32 = 3
    /// The vsock socket's name in each clone's directory.
    package static let vsockSocket = "vsock.sock"

    package init(networkInterfaces: Int = 0, drives: BlockDevices? = nil, balloon: Balloon? = nil, vsock: Vsock? = nil)
    {
        self.networkInterfaces = networkInterfaces
        self.drives = drives
        self.balloon = balloon
        self.vsock = vsock
    }

    /// Whether the VM has any device.
    package var hasDevices: Bool { networkInterfaces > 0 || drives != nil || balloon != nil || vsock != nil }

    /// The interfaces as the golden VM is configured with them.
    package var interfaces: [NetworkInterface] {
        (0..<networkInterfaces).map { NetworkInterface(ifaceId: "eth\($0)", hostDevName: "tap\($0)") }
    }

    /// `spec` with these devices.
    package func applied(to spec: VMSpec) -> VMSpec {
        var spec = spec
        spec.networkInterfaces = interfaces
        spec.blockDevices = drives
        spec.balloon = balloon
        spec.vsock = vsock
        return spec
    }

    /// The devices in words, for reports: `none`, or e.g. `1 NIC, 3 drives of 16 MiB (read_only), balloon, vsock`.
    package var description: String {
        var parts: [String] = []
        if networkInterfaces > 0 { parts.append("\(networkInterfaces) NIC" + (networkInterfaces == 1 ? "" : "s")) }
        if let drives {
            parts.append(
                "\(drives.count) drive\(drives.count == 1 ? "" : "s") of \(drives.sizeMiB) MiB (\(drives.sharing.rawValue))"
            )
        }
        if balloon != nil { parts.append("balloon") }
        if vsock != nil { parts.append("vsock") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}

/// How each clone's Firecracker is started (`pool.launch`): directly, or through the jailer.
///
/// ```swift
/// let launch = LaunchMode.jailer(JailSettings(uid: 65534, gid: 65534, cgroupMemoryMiB: 256))
/// launch.description  // "jailer (uid 65534, gid 65534, cgroup memory 256 MiB)"
/// ```
package enum LaunchMode: Sendable, Equatable {
    /// `firecracker` itself, as snapbench's child.
    case direct
    /// Through Firecracker's `jailer`: chrooted, as an unprivileged user, optionally in a cgroup per VM.
    case jailer(JailSettings)

    /// The jail's settings, when jailed.
    package var jail: JailSettings? {
        if case .jailer(let settings) = self { settings } else { nil }
    }

    package var description: String {
        switch self {
        case .direct: "direct"
        case .jailer(let jail):
            "jailer (uid \(jail.uid), gid \(jail.gid)"
                + (jail.cgroupMemoryMiB.map { ", cgroup memory \($0) MiB" } ?? "") + ")"
        }
    }
}

/// A jailed launch's settings.
package struct JailSettings: Sendable, Equatable {
    /// The user every VMM runs as.
    package var uid: UInt32
    /// The group every VMM runs as.
    package var gid: UInt32
    /// Where jails are made; `nil`: a directory of the run's own beside the snapshot store (jails hard-link the
    /// snapshot's files, so they must be on its filesystem).
    package var chrootBase: String?
    /// A memory limit the jailer sets on each VM's own cgroup, in MiB; `nil` for no cgroup.
    package var cgroupMemoryMiB: Int?

    /// `nobody`, as Firecracker's own examples run it.
    package static let nobody: UInt32 = 65534

    package init(uid: UInt32 = nobody, gid: UInt32 = nobody, chrootBase: String? = nil, cgroupMemoryMiB: Int? = nil) {
        self.uid = uid
        self.gid = gid
        self.chrootBase = chrootBase
        self.cgroupMemoryMiB = cgroupMemoryMiB
    }
}
