import Firecracker
import Foundation
import HostSystem
import Reporting
import SnapshotPool
import Yams

/// Turns a composed document into a ``Scenario``, key by key.
struct ScenarioReader {
    let document: ScenarioDocument

    static let rootKeys = [
        "name", "description", "seed", "backend", "sign_off", "vm", "pool", "phases", "faults", "gates", "variants",
    ]
    static let variantKeys = ["name", "vm", "pool", "phases", "gates"]
    static let builtinKeys =
        [
            "guest", "working_set_mib", "memory_mib", "vcpus", "touch_mib", "touch_order", "touch_access",
            "memory_backend", "page_cache", "huge_pages", "readiness", "snapshot",
        ] + deviceKeys
    /// What a VM restored from a snapshot another tool made may say: the rest is in the snapshot.
    static let snapshotVMKeys = ["snapshot", "readiness", "memory_backend", "page_cache"]
    static let snapshotKeys = ["state", "memory", "resume_pattern"]
    static let linuxKeys =
        [
            "guest", "memory_mib", "vcpus", "kernel", "rootfs", "boot_args", "boot_pattern", "resume_pattern",
            "memory_backend", "page_cache", "huge_pages", "readiness",
        ] + deviceKeys
    static let poolKeys = [
        "warm_target", "maximum_vms", "refill_concurrency", "acquire_timeout", "readiness_timeout",
        "maximum_warm_age", "elevated_warm_floor", "pressure_interval", "cgroup_limit_mib", "work_dir_size_mib",
        "prefetch", "fault_around_kib", "standby_vmms", "launch", "hedging",
    ]
    static let hedgingKeys = ["delay", "multiplier", "minimum_delay", "maximum_delay", "per_second"]
    static let executors = ["constant-arrival-rate", "ramping-arrival-rate", "burst", "poisson", "workers"]
    static let phaseKeys = ["name", "warmup", "executor", "hold"]
    static let executorKeys: [String: [String]] = [
        "constant-arrival-rate": ["rate", "duration"],
        "poisson": ["rate", "duration"],
        "ramping-arrival-rate": ["start_rate", "stages"],
        "burst": ["count", "spread", "bursts", "interval"],
        "workers": ["count", "duration", "think_time"],
    ]
    /// The longest a scenario's phases may last together.
    static let longestScenario = Duration.nanoseconds(Int64(Units.longestDuration))
    /// Memory the built-in guest needs beyond its working set, in MiB.
    static let builtinOverheadMiB = 24

    func scenario(_ root: Node) throws -> Scenario {
        let top = try Fields(root, path: "", document: document)
        try top.rejectUnknown(allowed: Self.rootKeys)
        let nameNode = try top.required("name")
        let name = try document.string(nameNode, path: "name")
        if let problem = FileName.problem(name) {
            throw document.error(.invalidValue, at: nameNode, path: "name", "the scenario's name \(problem)")
        }
        let description = try document.string(top.required("description"), path: "description")
        let seed =
            try top["seed"].map { UInt64(try document.integer($0, path: "seed", minimum: 0, maximum: .max)) } ?? 1
        let backend = try top["backend"].map { node -> BackendChoice in
            if case .scalar(let scalar) = node, scalar.string == "auto" {
                throw document.error(
                    .invalidValue,
                    at: node,
                    path: "backend",
                    "`auto` is gone: a run never falls back to the simulated backend unasked; write `firecracker` "
                        + "(the default) or `simulated`"
                )
            }
            return BackendChoice(
                rawValue: try document.word(node, path: "backend", from: BackendChoice.allCases.map(\.rawValue))
            )!
        }
        let signOff = try top["sign_off"].map { try document.bool($0, path: "sign_off") } ?? false
        if signOff, backend == .simulated, let node = top["sign_off"] {
            throw document.error(
                .invalidValue,
                at: node,
                path: "sign_off",
                "a sign-off runs on real Firecracker only, and this scenario asks for `backend: simulated`"
            )
        }
        let readiness = try top["vm"].map { try self.readiness($0) } ?? nil
        let vm =
            try top["vm"].map { try self.vm($0, agent: readiness) }
            ?? .builtInGuest(workingSetMiB: 16, memoryMiB: 128, vcpus: 1)
        var pool = try self.pool(top.required("pool"))
        pool.memory = try guestMemory(vm: top["vm"], pool: top.required("pool"))
        var devices = try top["vm"].map { try self.devices($0, memoryMiB: vm.memoryMiB) } ?? DeviceSettings()
        if readiness != nil, devices.vsock == nil {
            // The agent's channel is a vsock device: readiness over vsock gives the VM one.
            devices.vsock = Vsock(guestCid: DeviceSettings.vsockGuestCID, udsPath: DeviceSettings.vsockSocket)
        }
        pool.launch = try launch(top.required("pool"))
        try checkCombination(pool: pool, vm: top["vm"], poolNode: top.required("pool"))
        let phases = try self.phases(top.required("phases"))
        let total = phases.reduce(Duration.zero) { $0 + $1.load.duration }
        let faults = try top["faults"].map { try self.faults($0, total: total, pool: pool) } ?? []
        var scenario = Scenario(
            name: name,
            description: description,
            seed: seed,
            backend: backend ?? .firecracker,
            signOff: signOff,
            vm: vm,
            devices: devices,
            readiness: readiness,
            pool: pool,
            phases: phases,
            faults: faults,
            gates: []
        )
        scenario.gates = try top["gates"].map { [scenario] in try self.gates($0, of: scenario) } ?? []
        return scenario
    }
}
