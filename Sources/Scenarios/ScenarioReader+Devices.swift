import Firecracker
import Yams

extension VMDefinition {
    /// The guest's memory in MiB.
    var memoryMiB: Int {
        switch self {
        case .builtInGuest(_, let memory, _, _): memory
        case .linux(let guest): guest.memoryMiB
        case .snapshot: 128
        }
    }
}

/// `vm.network_interfaces`, `vm.drives`, `vm.balloon`, `vm.vsock` and `pool.launch`, and the combinations the
/// pool cannot run.
extension ScenarioReader {
    static let deviceKeys = ["network_interfaces", "drives", "balloon", "vsock"]
    static let driveKeys = ["count", "size_mib", "sharing"]
    static let balloonKeys = ["amount_mib", "deflate_on_oom", "stats_interval_s"]
    static let launchKeys = ["mode", "uid", "gid", "chroot_base", "cgroup_memory_mib"]
    /// More than this many of a kind is no VM anyone ships (and each NIC is a namespace's TAP per clone).
    static let largestDeviceCount = 16

    func devices(_ node: Node, memoryMiB: Int) throws -> DeviceSettings {
        let fields = try Fields(node, path: "vm", document: document)
        var devices = DeviceSettings()
        if let node = fields["network_interfaces"] {
            devices.networkInterfaces = try document.integer(
                node,
                path: "vm.network_interfaces",
                minimum: 0,
                maximum: Self.largestDeviceCount
            )
        }
        if let node = fields["drives"] { devices.drives = try drives(node) }
        if let node = fields["balloon"] { devices.balloon = try balloon(node, memoryMiB: memoryMiB) }
        if let node = fields["vsock"], try document.bool(node, path: "vm.vsock") {
            devices.vsock = Vsock(guestCid: DeviceSettings.vsockGuestCID, udsPath: DeviceSettings.vsockSocket)
        }
        return devices
    }

    /// `{count, size_mib, sharing}`.
    private func drives(_ node: Node) throws -> BlockDevices {
        let fields = try Fields(node, path: "vm.drives", document: document)
        try fields.rejectUnknown(allowed: Self.driveKeys)
        let count = try document.integer(
            fields.required("count"),
            path: "vm.drives.count",
            minimum: 1,
            maximum: Self.largestDeviceCount
        )
        let size = try document.integer(
            fields.required("size_mib"),
            path: "vm.drives.size_mib",
            minimum: 1,
            maximum: 4096,
            unit: "MiB"
        )
        let sharing: BlockDevices.Sharing =
            try fields["sharing"].map { try document.choice($0, path: "vm.drives.sharing") } ?? .readOnly
        return BlockDevices(count: count, sizeMiB: size, sharing: sharing)
    }

    /// `true`, or `{amount_mib, deflate_on_oom, stats_interval_s}`.
    private func balloon(_ node: Node, memoryMiB: Int) throws -> Balloon? {
        if node.tagName == .bool {
            return try document.bool(node, path: "vm.balloon") ? Balloon(amountMib: 0, deflateOnOom: true) : nil
        }
        let fields = try Fields(node, path: "vm.balloon", document: document)
        try fields.rejectUnknown(allowed: Self.balloonKeys)
        let amount = try fields["amount_mib"].map {
            try document.integer($0, path: "vm.balloon.amount_mib", minimum: 0, maximum: memoryMiB, unit: "MiB")
        }
        return Balloon(
            amountMib: amount ?? 0,
            deflateOnOom: try fields["deflate_on_oom"].map { try document.bool($0, path: "vm.balloon.deflate_on_oom") }
                ?? true,
            statsPollingIntervalS: try fields["stats_interval_s"].map {
                try document.integer($0, path: "vm.balloon.stats_interval_s", minimum: 0, maximum: 3600)
            } ?? 0
        )
    }

    /// `direct`, `jailer`, or `{mode, uid, gid, chroot_base, cgroup_memory_mib}`.
    func launch(_ poolNode: Node) throws -> LaunchMode {
        let pool = try Fields(poolNode, path: "pool", document: document)
        guard let node = pool["launch"] else { return .direct }
        let modes = ["direct", "jailer"]
        if case .scalar = node {
            return try document.word(node, path: "pool.launch", from: modes) == "jailer"
                ? .jailer(JailSettings()) : .direct
        }
        let fields = try Fields(node, path: "pool.launch", document: document)
        try fields.rejectUnknown(allowed: Self.launchKeys)
        let mode = try document.word(fields.required("mode"), path: "pool.launch.mode", from: modes)
        guard mode == "jailer" else {
            if let extra = fields.entries.first(where: { $0.key != "mode" }) {
                throw document.error(
                    .inapplicableKey,
                    at: extra.keyNode,
                    path: fields.path(extra.key),
                    "applies only to `mode: jailer`"
                )
            }
            return .direct
        }
        func id(_ key: String) throws -> UInt32? {
            try fields[key].map { UInt32(try document.integer($0, path: fields.path(key), minimum: 0, maximum: 65534)) }
        }
        var jail = JailSettings()
        jail.uid = try id("uid") ?? JailSettings.nobody
        jail.gid = try id("gid") ?? JailSettings.nobody
        if let node = fields["chroot_base"] {
            let base = try document.string(node, path: "pool.launch.chroot_base")
            // The API socket's path in the jail must fit a sockaddr_un (107 bytes) with `firecracker/<id>/root`.
            guard base.hasPrefix("/"), base.utf8.count <= 48 else {
                throw document.error(
                    .invalidValue,
                    at: node,
                    path: "pool.launch.chroot_base",
                    "must be an absolute path of at most 48 bytes (each VM's API socket lies below it and a Unix "
                        + "socket's path has 107)"
                )
            }
            jail.chrootBase = base
        }
        jail.cgroupMemoryMiB = try fields["cgroup_memory_mib"].map {
            try document.integer($0, path: "pool.launch.cgroup_memory_mib", minimum: 16, unit: "MiB")
        }
        return .jailer(jail)
    }

    /// Refuses what the pool cannot run: a jailed VMM served by the page server, two cgroups for one VMM.
    func checkCombination(pool: PoolSettings, vm: Node?, poolNode: Node) throws {
        let poolFields = try Fields(poolNode, path: "pool", document: document)
        let vmFields = try vm.map { try Fields($0, path: "vm", document: document) }
        guard let jail = pool.launch.jail, let launchNode = poolFields["launch"] else { return }
        if pool.memory.backend == .userfaultfd {
            throw document.error(
                .invalidValue,
                at: vmFields?["memory_backend"] ?? launchNode,
                path: vmFields?.has("memory_backend") == true ? "vm.memory_backend" : "pool.launch",
                "a jailed VMM cannot be served by snapbench's page server yet (its socket would have to be inside "
                    + "each jail); use memory_backend: file with launch: jailer"
            )
        }
        if jail.cgroupMemoryMiB != nil, pool.cgroupLimitMiB != nil, let node = poolFields["cgroup_limit_mib"] {
            throw document.error(
                .invalidValue,
                at: node,
                path: "pool.cgroup_limit_mib",
                "cannot be used with pool.launch.cgroup_memory_mib: the jailer puts each VMM in a cgroup of its own, "
                    + "and a VMM is in one memory cgroup; keep one of the two"
            )
        }
    }
}
