import Firecracker
import HostSystem

/// Checks that a restored clone really has the devices its snapshot was made with, from the outside: the VMM's
/// own account (`GET /vm/config`), each TAP in the clone's own network namespace, its vsock socket accepting
/// connections in its own directory, and its drives in its directory and open in its VMM.
///
/// ```swift
/// let problems = await DeviceInspection(spec: spec, vmm: clone.vmm, slot: slot).problems()
/// // [] when every device is there
/// ```
struct DeviceInspection {
    let spec: VMSpec
    let vmm: VMMProcess
    let slot: NetworkSlot?

    /// The network namespace snapbench runs in (the host's), read once.
    static let hostNamespace = ProcessDevices.inode("/proc/self/ns/net")

    /// Whether the spec has a device this inspection looks at.
    static func applies(to spec: VMSpec) -> Bool {
        !spec.networkInterfaces.isEmpty || spec.vsock != nil || spec.blockDevices != nil || spec.balloon != nil
    }

    /// Every way the clone differs from its spec; empty when it has every device.
    func problems() async -> [String] {
        var problems: [String] = []
        do {
            problems += Self.configurationProblems(try await vmm.api.vmConfiguration(), spec: spec)
        } catch {
            problems.append("GET /vm/config failed: \(error)")
        }
        problems += networkProblems() + vsockProblems() + driveProblems()
        return problems
    }

    /// The VMM's account of its devices against the spec.
    static func configurationProblems(_ configuration: VMConfiguration, spec: VMSpec) -> [String] {
        var problems: [String] = []
        let drives = configuration.drives.map { "\($0.driveId)=\($0.pathOnHost)\($0.isReadOnly ? " ro" : "")" }
        let expectedDrives = spec.allDrives.map { "\($0.driveId)=\($0.pathOnHost)\($0.isReadOnly ? " ro" : "")" }
        if drives.sorted() != expectedDrives.sorted() {
            problems.append("the VMM has drives \(drives.sorted()), the snapshot's spec \(expectedDrives.sorted())")
        }
        let taps = configuration.networkInterfaces.map { "\($0.ifaceId)=\($0.hostDevName)" }.sorted()
        let expectedTaps = spec.networkInterfaces.map { "\($0.ifaceId)=\($0.hostDevName)" }.sorted()
        if taps != expectedTaps {
            problems.append("the VMM has network interfaces \(taps), the snapshot's spec \(expectedTaps)")
        }
        if configuration.balloon != spec.balloon {
            problems.append(
                "the VMM's balloon is \(configuration.balloon.map { "\($0)" } ?? "absent"), the spec's "
                    + (spec.balloon.map { "\($0)" } ?? "absent")
            )
        }
        if configuration.vsock != spec.vsock {
            problems.append(
                "the VMM's vsock is \(configuration.vsock.map { "\($0)" } ?? "absent"), the spec's "
                    + (spec.vsock.map { "\($0)" } ?? "absent")
            )
        }
        return problems
    }

    /// Each TAP in the namespace the VMM runs in, and that namespace the clone's own slot, not the host's.
    func networkProblems() -> [String] {
        guard !spec.networkInterfaces.isEmpty else { return [] }
        guard let slot else { return ["the clone has network interfaces but no network slot"] }
        var problems: [String] = []
        let own = ProcessDevices.networkNamespace(of: vmm.pid)
        if own == nil || own != ProcessDevices.inode(NetworkSlotPool.namespacePath(slot.namespace)) {
            problems.append("the VMM does not run in its slot's network namespace \(slot.namespace)")
        }
        if own == Self.hostNamespace {
            problems.append("the VMM runs in the host's network namespace")
        }
        let devices = Set(ProcessDevices.networkDevices(of: vmm.pid) ?? [])
        for interface in spec.networkInterfaces where !devices.contains(interface.hostDevName) {
            problems.append(
                "no TAP \(interface.hostDevName) in the VMM's network namespace (it has \(devices.sorted()))"
            )
        }
        return problems
    }

    /// The vsock's socket accepting connections in the clone's own directory.
    func vsockProblems() -> [String] {
        guard let vsock = spec.vsock else { return [] }
        let path = vsock.udsPath.hasPrefix("/") ? vsock.udsPath : vmm.workingDirectory + "/" + vsock.udsPath
        guard let error = ProcessDevices.acceptsConnections(path) else { return [] }
        return ["the vsock socket \(path) accepts no connection: \(error)"]
    }

    /// Each data drive in the clone's directory (a copy of its full size, or a link to the snapshot's) and open
    /// in its VMM.
    func driveProblems() -> [String] {
        guard let drives = spec.blockDevices else { return [] }
        var problems: [String] = []
        let open = ProcessStatus.openDescriptors(of: vmm.pid).values
        for index in 0..<drives.count {
            let name = BlockDevices.fileName(index)
            let path = vmm.workingDirectory + "/" + name
            switch (ProcessDevices.fileStatus(path), drives.sharing) {
            case (nil, _):
                problems.append("the drive \(name) is not in the clone's directory \(vmm.workingDirectory)")
            case (let file?, .copy) where file.isLink || file.links != 1 || file.size != UInt64(drives.sizeMiB) << 20:
                problems.append("the drive \(name) is no copy of its own (\(file.size) bytes, \(file.links) links)")
            case (let file?, .readOnly) where !file.isLink && file.links < 2:
                problems.append("the read-only drive \(name) is not the snapshot's file")
            default: break
            }
            if !open.contains(where: { $0.hasSuffix("/" + name) }) {
                problems.append("the VMM does not hold the drive \(name) open")
            }
        }
        return problems
    }
}
