// Typed models of the Firecracker v1.12 HTTP API (`src/firecracker/swagger/firecracker.yaml`).
//
// Field names follow Swift conventions; `APICoding` converts them to Firecracker's snake_case on the wire.
// Firecracker rejects unknown fields with a 400, so optional fields that are `nil` are omitted, never sent as null.

/// The guest kernel (or the built-in benchmark guest) and its command line: `PUT /boot-source`.
///
/// ```swift
/// let boot = BootSource(kernelImagePath: "/srv/guest.elf", bootArgs: "ws=16")
/// ```
package struct BootSource: Codable, Sendable, Equatable {
    /// Host path of the ELF image Firecracker loads.
    package var kernelImagePath: String
    /// The guest kernel command line.
    package var bootArgs: String?
    /// Host path of an initial ramdisk.
    package var initrdPath: String?

    package init(kernelImagePath: String, bootArgs: String? = nil, initrdPath: String? = nil) {
        self.kernelImagePath = kernelImagePath
        self.bootArgs = bootArgs
        self.initrdPath = initrdPath
    }
}

/// vCPUs and memory of a microVM: `PUT /machine-config`.
///
/// ```swift
/// let machine = MachineConfiguration(vcpuCount: 1, memSizeMib: 128)
/// ```
public struct MachineConfiguration: Codable, Sendable, Equatable {
    /// Number of vCPUs (1–32).
    package var vcpuCount: Int
    /// Guest memory in MiB.
    package var memSizeMib: Int
    /// Simultaneous multithreading (x86_64 only).
    package var smt: Bool?
    /// Whether KVM tracks dirty pages, needed for Diff snapshots.
    package var trackDirtyPages: Bool?
    /// Back guest memory with hugetlbfs pages; such a snapshot restores only through userfaultfd.
    package var hugePages: HugePages?

    /// Guest memory page size (`huge_pages`).
    package enum HugePages: String, Codable, Sendable {
        case none = "None"
        case twoMiB = "2M"
    }

    package init(
        vcpuCount: Int,
        memSizeMib: Int,
        smt: Bool? = nil,
        trackDirtyPages: Bool? = nil,
        hugePages: HugePages? = nil
    ) {
        self.vcpuCount = vcpuCount
        self.memSizeMib = memSizeMib
        self.smt = smt
        self.trackDirtyPages = trackDirtyPages
        self.hugePages = hugePages
    }
}

/// A block device: `PUT /drives/{drive_id}`.
///
/// ```swift
/// let rootfs = Drive(driveId: "rootfs", pathOnHost: "/srv/rootfs.ext4", isRootDevice: true, isReadOnly: true)
/// ```
package struct Drive: Codable, Sendable, Equatable {
    /// Identifier, also the last path component of the endpoint.
    package var driveId: String
    /// Host path of the backing file.
    package var pathOnHost: String
    /// Whether the kernel mounts this drive as `/`.
    package var isRootDevice: Bool
    /// Whether the guest sees the drive read-only.
    package var isReadOnly: Bool

    package init(driveId: String, pathOnHost: String, isRootDevice: Bool, isReadOnly: Bool) {
        self.driveId = driveId
        self.pathOnHost = pathOnHost
        self.isRootDevice = isRootDevice
        self.isReadOnly = isReadOnly
    }
}

/// A virtio-net device backed by a host TAP: `PUT /network-interfaces/{iface_id}`.
///
/// ```swift
/// let nic = NetworkInterface(ifaceId: "eth0", hostDevName: "tap0", guestMac: "06:00:AC:10:00:02")
/// ```
package struct NetworkInterface: Codable, Sendable, Equatable {
    /// Identifier, also the last path component of the endpoint.
    package var ifaceId: String
    /// Name of the host TAP device (it must exist in the VMM's network namespace).
    package var hostDevName: String
    /// The guest MAC address.
    package var guestMac: String?

    package init(ifaceId: String, hostDevName: String, guestMac: String? = nil) {
        self.ifaceId = ifaceId
        self.hostDevName = hostDevName
        self.guestMac = guestMac
    }
}

/// A virtio-vsock device: `PUT /vsock`.
///
/// Give clones of one snapshot a *relative* `udsPath`: it is re-bound on restore relative to each clone's
/// working directory.
///
/// ```swift
/// let vsock = Vsock(guestCid: 3, udsPath: "vsock.sock")
/// ```
package struct Vsock: Codable, Sendable, Equatable {
    /// The guest's context identifier (≥ 3).
    package var guestCid: UInt32
    /// Path of the host-side Unix socket.
    package var udsPath: String

    package init(guestCid: UInt32, udsPath: String) {
        self.guestCid = guestCid
        self.udsPath = udsPath
    }
}

/// A virtio-balloon device: `PUT /balloon`, before boot.
///
/// ```swift
/// let balloon = Balloon(amountMib: 0, deflateOnOom: true, statsPollingIntervalS: 1)
/// ```
package struct Balloon: Codable, Sendable, Equatable {
    /// The target size of the balloon, in MiB.
    package var amountMib: Int
    /// Whether the guest may deflate the balloon when it runs out of memory.
    package var deflateOnOom: Bool
    /// How often the guest reports its memory statistics, in seconds (0: never).
    package var statsPollingIntervalS: Int

    package init(amountMib: Int, deflateOnOom: Bool, statsPollingIntervalS: Int = 0) {
        self.amountMib = amountMib
        self.deflateOnOom = deflateOnOom
        self.statsPollingIntervalS = statsPollingIntervalS
    }
}

/// The devices of a VM as its VMM reports them: the part of `GET /vm/config` a clone's devices are checked
/// against (after a snapshot load, the restored devices).
///
/// ```swift
/// let configuration = try await vmm.api.vmConfiguration()
/// configuration.networkInterfaces.map(\.hostDevName)  // ["tap0"]
/// ```
package struct VMConfiguration: Codable, Sendable, Equatable {
    /// The block devices.
    package var drives: [Drive]
    /// The network interfaces.
    package var networkInterfaces: [NetworkInterface]
    /// The balloon, when there is one.
    package var balloon: Balloon?
    /// The vsock device, when there is one.
    package var vsock: Vsock?

    package init(drives: [Drive], networkInterfaces: [NetworkInterface], balloon: Balloon?, vsock: Vsock?) {
        self.drives = drives
        self.networkInterfaces = networkInterfaces
        self.balloon = balloon
        self.vsock = vsock
    }

    private enum CodingKeys: String, CodingKey {
        case drives, balloon, vsock
        case networkInterfaces = "network-interfaces"
    }
}

/// Where Firecracker writes its own log: `PUT /logger`.
///
/// ```swift
/// let logger = LoggerConfiguration(logPath: "firecracker.log", level: .info)
/// ```
package struct LoggerConfiguration: Codable, Sendable, Equatable {
    /// Firecracker's log levels.
    package enum Level: String, Codable, Sendable {
        case error = "Error"
        case warning = "Warning"
        case info = "Info"
        case debug = "Debug"
        case trace = "Trace"
        case off = "Off"
    }

    /// Host path of a file or FIFO.
    package var logPath: String?
    /// Minimum level written.
    package var level: Level?
    /// Whether each line carries its level.
    package var showLevel: Bool?
    /// Whether each line carries its source location.
    package var showLogOrigin: Bool?

    package init(logPath: String? = nil, level: Level? = nil, showLevel: Bool? = nil, showLogOrigin: Bool? = nil) {
        self.logPath = logPath
        self.level = level
        self.showLevel = showLevel
        self.showLogOrigin = showLogOrigin
    }
}

/// Where Firecracker writes its JSON metrics lines: `PUT /metrics` (once per process).
///
/// ```swift
/// let metrics = MetricsConfiguration(metricsPath: "metrics.json")
/// ```
package struct MetricsConfiguration: Codable, Sendable, Equatable {
    /// Host path of a file or FIFO.
    package var metricsPath: String

    package init(metricsPath: String) {
        self.metricsPath = metricsPath
    }
}

/// A synchronous action: `PUT /actions`.
///
/// ```swift
/// try await client.perform(InstanceAction(.instanceStart))
/// ```
package struct InstanceAction: Codable, Sendable, Equatable {
    /// The actions this driver uses.
    package enum Kind: String, Codable, Sendable {
        case instanceStart = "InstanceStart"
        case flushMetrics = "FlushMetrics"
        case sendCtrlAltDel = "SendCtrlAltDel"
    }

    /// Which action.
    package var actionType: Kind

    package init(_ actionType: Kind) {
        self.actionType = actionType
    }
}

/// Pause or resume a running microVM: `PATCH /vm`.
///
/// ```swift
/// let pause = VMStateChange(state: .paused)
/// ```
package struct VMStateChange: Codable, Sendable, Equatable {
    /// The two states a running microVM can be put in.
    package enum State: String, Codable, Sendable {
        case paused = "Paused"
        case resumed = "Resumed"
    }

    /// The requested state.
    package var state: State

    package init(state: State) {
        self.state = state
    }
}

/// Create a snapshot of a paused microVM: `PUT /snapshot/create`.
///
/// ```swift
/// let create = SnapshotCreateParameters(snapshotType: .full, snapshotPath: "vm.state", memFilePath: "vm.mem")
/// ```
package struct SnapshotCreateParameters: Codable, Sendable, Equatable {
    /// Full snapshots hold all guest memory; Diff snapshots only pages dirtied since the last one.
    package enum SnapshotType: String, Codable, Sendable {
        case full = "Full"
        case diff = "Diff"
    }

    /// Full or Diff.
    package var snapshotType: SnapshotType
    /// Host path the VM state (device and vCPU state) is written to.
    package var snapshotPath: String
    /// Host path guest memory is written to.
    package var memFilePath: String

    package init(snapshotType: SnapshotType = .full, snapshotPath: String, memFilePath: String) {
        self.snapshotType = snapshotType
        self.snapshotPath = snapshotPath
        self.memFilePath = memFilePath
    }
}

/// How a restored microVM gets its memory.
///
/// ```swift
/// let backend = MemoryBackend(backendType: .file, backendPath: "/srv/golden/vm.mem")
/// ```
package struct MemoryBackend: Codable, Sendable, Equatable {
    /// `File` maps the memory file privately; `Uffd` hands page faults to a userfaultfd handler at `backendPath`.
    package enum BackendType: String, Codable, Sendable {
        case file = "File"
        case uffd = "Uffd"
    }

    /// File or Uffd.
    package var backendType: BackendType
    /// The memory file, or the handler's Unix socket.
    package var backendPath: String

    package init(backendType: BackendType, backendPath: String) {
        self.backendType = backendType
        self.backendPath = backendPath
    }
}

/// Points a restored network interface at another host TAP.
///
/// ```swift
/// let override = NetworkOverride(ifaceId: "eth0", hostDevName: "tap7")
/// ```
package struct NetworkOverride: Codable, Sendable, Equatable {
    /// The interface as named in the snapshot.
    package var ifaceId: String
    /// The TAP to use instead.
    package var hostDevName: String

    package init(ifaceId: String, hostDevName: String) {
        self.ifaceId = ifaceId
        self.hostDevName = hostDevName
    }
}

/// Restore a microVM from a snapshot into a fresh Firecracker process: `PUT /snapshot/load`.
///
/// ```swift
/// let load = SnapshotLoadParameters(
///     snapshotPath: "/srv/golden/vm.state",
///     memBackend: MemoryBackend(backendType: .file, backendPath: "/srv/golden/vm.mem"),
///     resumeVm: false
/// )
/// ```
public struct SnapshotLoadParameters: Codable, Sendable, Equatable {
    /// Host path of the VM state file.
    package var snapshotPath: String
    /// Where guest memory comes from.
    package var memBackend: MemoryBackend
    /// Whether KVM tracks dirty pages after the load (for later Diff snapshots).
    package var enableDiffSnapshots: Bool?
    /// Whether the VM runs as soon as it is loaded.
    package var resumeVm: Bool?
    /// TAP devices to use instead of the ones named in the snapshot.
    package var networkOverrides: [NetworkOverride]?

    package init(
        snapshotPath: String,
        memBackend: MemoryBackend,
        enableDiffSnapshots: Bool? = nil,
        resumeVm: Bool? = nil,
        networkOverrides: [NetworkOverride]? = nil
    ) {
        self.snapshotPath = snapshotPath
        self.memBackend = memBackend
        self.enableDiffSnapshots = enableDiffSnapshots
        self.resumeVm = resumeVm
        self.networkOverrides = networkOverrides
    }
}

/// `GET /`: who is answering.
public struct InstanceInfo: Codable, Sendable, Equatable {
    /// Always "Firecracker".
    package var appName: String
    /// The `--id` the process was started with.
    package var id: String
    /// "Not started", "Running" or "Paused".
    package var state: String
    /// e.g. "1.12.1".
    package var vmmVersion: String

    package init(appName: String, id: String, state: String, vmmVersion: String) {
        self.appName = appName
        self.id = id
        self.state = state
        self.vmmVersion = vmmVersion
    }
}

/// The body of every Firecracker error response.
public struct APIFault: Codable, Sendable, Equatable {
    /// Firecracker's description of what went wrong.
    package var faultMessage: String

    package init(faultMessage: String) {
        self.faultMessage = faultMessage
    }
}
