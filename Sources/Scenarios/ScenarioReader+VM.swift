import Firecracker
import Foundation
import HostSystem
import Reporting
import SnapshotPool
import Yams

/// `vm`: the built-in guest, a Linux guest, or a snapshot another tool made; its memory and first work.
extension ScenarioReader {
    func vm(_ node: Node, agent: AgentProbe?) throws -> VMDefinition {
        let fields = try Fields(node, path: "vm", document: document)
        if let snapshot = fields["snapshot"] { return try externalSnapshot(snapshot, vm: fields) }
        let guest = try fields["guest"].map { try document.word($0, path: "vm.guest", from: ["builtin", "linux"]) }
        let isLinux = guest == "linux"
        let allowed = isLinux ? Self.linuxKeys : Self.builtinKeys
        let other = isLinux ? Self.builtinKeys : Self.linuxKeys
        let kind = isLinux ? "a `linux` guest" : "the `builtin` guest"
        try fields.rejectUnknown(
            allowed: allowed,
            inapplicable: Dictionary(
                uniqueKeysWithValues: other.filter { !allowed.contains($0) }.map {
                    ($0, "does not apply to \(kind) (it takes \(allowed.joined(separator: ", ")))")
                }
            )
        )
        let memory = try fields["memory_mib"].map {
            try document.integer($0, path: "vm.memory_mib", minimum: 1, unit: "MiB")
        }
        let vcpus = try fields["vcpus"].map { try document.integer($0, path: "vm.vcpus", minimum: 1) } ?? 1
        if vcpus > 32, let node = fields["vcpus"] {
            throw document.error(
                .invalidValue,
                at: node,
                path: "vm.vcpus",
                "Firecracker allows at most 32 vCPUs (is \(vcpus))"
            )
        }
        if isLinux {
            func text(_ key: String) throws -> String {
                try document.string(
                    fields.required(key, hint: " (required for a `linux` guest)"),
                    path: fields.path(key)
                )
            }
            // With readiness over vsock the agent's reply is the proof: no serial line is needed after a resume, and
            // without a boot line the golden VM is ready once its agent answers.
            let serialLine: (String) throws -> String = { key in
                guard agent != nil else { return try text(key) }
                return try fields[key].map { try self.document.string($0, path: fields.path(key)) } ?? ""
            }
            return .linux(
                LinuxGuest(
                    kernel: try text("kernel"),
                    rootfs: try text("rootfs"),
                    bootArgs: try text("boot_args"),
                    memoryMiB: memory ?? 128,
                    vcpus: vcpus,
                    bootPattern: try serialLine("boot_pattern"),
                    resumePattern: try serialLine("resume_pattern")
                )
            )
        }
        let workingSet =
            try fields["working_set_mib"].map {
                try document.integer($0, path: "vm.working_set_mib", minimum: 0, unit: "MiB")
            } ?? 16
        let memoryMiB = memory ?? 128
        if workingSet + Self.builtinOverheadMiB > memoryMiB {
            let key = fields.has("working_set_mib") ? "working_set_mib" : "memory_mib"
            throw document.error(
                .invalidValue,
                at: fields[key],
                path: fields.path(key),
                "working_set_mib (\(workingSet)) + \(Self.builtinOverheadMiB) MiB for the guest itself exceeds "
                    + "memory_mib (\(memoryMiB)); raise memory_mib to at least \(workingSet + Self.builtinOverheadMiB)"
            )
        }
        return .builtInGuest(
            workingSetMiB: workingSet,
            memoryMiB: memoryMiB,
            vcpus: vcpus,
            touch: try touch(fields, workingSet: workingSet)
        )
    }

    /// `vm.snapshot: {state, memory, resume_pattern}`: a snapshot another tool made. Relative paths are read from
    /// the scenario file's directory; what the VM is comes from the snapshot, so the guest's keys do not apply.
    func externalSnapshot(_ node: Node, vm: Fields) throws -> VMDefinition {
        try vm.rejectUnknown(
            allowed: Self.snapshotVMKeys,
            inapplicable: Dictionary(
                uniqueKeysWithValues: Set(Self.builtinKeys + Self.linuxKeys).subtracting(Self.snapshotVMKeys).map {
                    ($0, "does not apply to a VM restored from vm.snapshot: the snapshot holds what the VM is")
                }
            )
        )
        let fields = try Fields(node, path: "vm.snapshot", document: document)
        try fields.rejectUnknown(allowed: Self.snapshotKeys)
        let base = URL(fileURLWithPath: document.file).deletingLastPathComponent().path
        func path(_ key: String) throws -> String {
            let text = try document.string(fields.required(key), path: "vm.snapshot." + key)
            return text.hasPrefix("/") ? text : ProjectPaths.absolute(base + "/" + text)
        }
        return .snapshot(
            ExternalSnapshot(
                state: try path("state"),
                memory: try path("memory"),
                resumePattern: try fields["resume_pattern"].map {
                    try document.string($0, path: "vm.snapshot.resume_pattern")
                }
            )
        )
    }

    /// `touch_mib` (with `touch_order`, `touch_access`): the guest's work after every resume; at most the
    /// working set it wrote at boot.
    func touch(_ fields: Fields, workingSet: Int) throws -> WorkingSetTouch? {
        let mebibytes = try fields["touch_mib"].map {
            try document.integer($0, path: "vm.touch_mib", minimum: 0, unit: "MiB")
        }
        let order: WorkingSetTouch.Order? = try fields["touch_order"].map {
            try document.choice($0, path: "vm.touch_order")
        }
        let access: WorkingSetTouch.Access? = try fields["touch_access"].map {
            try document.choice($0, path: "vm.touch_access")
        }
        guard let mebibytes, mebibytes > 0 else {
            for key in ["touch_order", "touch_access"] where fields.has(key) {
                throw document.error(
                    .inapplicableKey,
                    at: fields[key],
                    path: fields.path(key),
                    "applies only with vm.touch_mib above 0"
                )
            }
            return nil
        }
        guard mebibytes <= workingSet else {
            throw document.error(
                .invalidValue,
                at: fields["touch_mib"],
                path: "vm.touch_mib",
                "re-touches at most the working set the guest wrote: touch_mib (\(mebibytes)) exceeds "
                    + "working_set_mib (\(workingSet))"
            )
        }
        return WorkingSetTouch(
            mebibytes: mebibytes,
            order: order ?? .sequential,
            access: access ?? .read,
            seed: 1
        )
    }

    /// `vm.memory_backend`, `vm.page_cache`, `vm.huge_pages`, `pool.prefetch` and `pool.fault_around_kib`: where
    /// clones' guest memory comes from.
    func guestMemory(vm: Node?, pool: Node) throws -> GuestMemory {
        let vmFields = try vm.map { try Fields($0, path: "vm", document: document) }
        let poolFields = try Fields(pool, path: "pool", document: document)
        var memory = GuestMemory()
        if let node = vmFields?["memory_backend"] {
            memory.backend = try document.choice(node, path: "vm.memory_backend")
        }
        if let node = vmFields?["page_cache"] { memory.pageCache = try document.choice(node, path: "vm.page_cache") }
        if let node = vmFields?["huge_pages"] {
            memory.hugePages = try document.bool(node, path: "vm.huge_pages")
            if memory.hugePages, memory.backend != .userfaultfd {
                throw document.error(
                    .invalidValue,
                    at: node,
                    path: "vm.huge_pages",
                    "huge-page guest memory restores only through userfaultfd: add vm.memory_backend: uffd"
                )
            }
        }
        if let node = poolFields["prefetch"] {
            memory.prefetch = try document.choice(node, path: "pool.prefetch")
        }
        if let node = poolFields["fault_around_kib"] {
            let kib = try document.integer(node, path: "pool.fault_around_kib", minimum: 4, maximum: 2048)
            guard memory.backend == .userfaultfd else {
                throw document.error(
                    .inapplicableKey,
                    at: node,
                    path: "pool.fault_around_kib",
                    "applies only with vm.memory_backend: uffd (the kernel does its own fault-around for a file)"
                )
            }
            guard kib % 4 == 0, (kib / 4) & (kib / 4 - 1) == 0 else {
                throw document.error(
                    .invalidValue,
                    at: node,
                    path: "pool.fault_around_kib",
                    "must be 4 KiB times a power of two (4, 8, 16, … 2048): it is an aligned block of pages"
                )
            }
            memory.faultAroundPages = kib / 4
        }
        return memory
    }
}
