import Firecracker
import Foundation
import HostSystem
import Reporting
import SnapshotPool
import Yams

/// `pool`: sizes, timeouts, memory limits, the standby, launch and hedging.
extension ScenarioReader {
    func pool(_ node: Node) throws -> PoolSettings {
        let fields = try Fields(node, path: "pool", document: document)
        try fields.rejectUnknown(allowed: Self.poolKeys)
        func integer(_ key: String, minimum: Int, unit: String? = nil) throws -> Int? {
            try fields[key].map { try document.integer($0, path: fields.path(key), minimum: minimum, unit: unit) }
        }
        func duration(_ key: String) throws -> Duration? {
            try fields[key].map { try document.duration($0, path: fields.path(key)) }
        }
        let warmTarget = try document.integer(fields.required("warm_target"), path: "pool.warm_target", minimum: 0)
        var configuration = PoolConfiguration(
            warmTarget: warmTarget,
            maximumVMs: try integer("maximum_vms", minimum: 1)
        )
        if configuration.warmTarget > configuration.maximumVMs {
            let key = fields.has("maximum_vms") ? "maximum_vms" : "warm_target"
            throw document.error(
                .invalidValue,
                at: fields[key],
                path: fields.path(key),
                "warm_target (\(warmTarget)) exceeds maximum_vms (\(configuration.maximumVMs)): "
                    + "the pool cannot keep more VMs warm than it may hold"
            )
        }
        configuration.refillConcurrency = try integer("refill_concurrency", minimum: 1) ?? 1
        configuration.acquireTimeout = try duration("acquire_timeout") ?? .seconds(5)
        configuration.readinessTimeout = try duration("readiness_timeout") ?? .seconds(2)
        configuration.maximumWarmAge = try duration("maximum_warm_age")
        configuration.elevatedWarmFloor = try integer("elevated_warm_floor", minimum: 0) ?? min(1, warmTarget)
        if let node = fields["hedging"] { configuration.hedging = try hedging(node) }
        if configuration.elevatedWarmFloor > warmTarget, let node = fields["elevated_warm_floor"] {
            throw document.error(
                .invalidValue,
                at: node,
                path: "pool.elevated_warm_floor",
                "elevated_warm_floor (\(configuration.elevatedWarmFloor)) exceeds warm_target (\(warmTarget))"
            )
        }
        return PoolSettings(
            configuration: configuration,
            pressureInterval: try duration("pressure_interval"),
            cgroupLimitMiB: try integer("cgroup_limit_mib", minimum: 1, unit: "MiB"),
            workFilesystemMiB: try integer("work_dir_size_mib", minimum: 16, unit: "MiB"),
            standbyProcesses: try standbyProcesses(fields, maximumVMs: configuration.maximumVMs)
        )
    }

    /// `pool.hedging`: `on`, `off`, or `{delay: auto | <duration>, multiplier, minimum_delay, maximum_delay,
    /// per_second}`.
    func hedging(_ node: Node) throws -> Hedging {
        if case .scalar = node {
            return Hedging(enabled: try document.word(node, path: "pool.hedging", from: ["on", "off"]) == "on")
        }
        let fields = try Fields(node, path: "pool.hedging", document: document)
        try fields.rejectUnknown(allowed: Self.hedgingKeys)
        var hedging = Hedging(enabled: true)
        if let delay = fields["delay"] {
            if case .scalar(let scalar) = delay, scalar.string == "auto" {
                hedging.fixedDelay = nil
            } else {
                hedging.fixedDelay = try document.duration(delay, path: "pool.hedging.delay")
            }
        }
        if let node = fields["multiplier"] {
            hedging.multiplier = try document.number(node, path: "pool.hedging.multiplier", minimum: 0.1, maximum: 100)
        }
        if let node = fields["minimum_delay"] {
            hedging.minimumDelay = try document.duration(node, path: "pool.hedging.minimum_delay")
        }
        if let node = fields["maximum_delay"] {
            hedging.maximumDelay = try document.duration(node, path: "pool.hedging.maximum_delay")
        }
        if hedging.maximumDelay < hedging.minimumDelay, let node = fields["maximum_delay"] ?? fields["minimum_delay"] {
            throw document.error(
                .invalidValue,
                at: node,
                path: fields.has("maximum_delay") ? "pool.hedging.maximum_delay" : "pool.hedging.minimum_delay",
                "maximum_delay (\(hedging.maximumDelay)) is below minimum_delay (\(hedging.minimumDelay))"
            )
        }
        if let node = fields["per_second"] {
            hedging.perSecond = try document.number(
                node,
                path: "pool.hedging.per_second",
                minimum: 0.01,
                maximum: 10_000
            )
        }
        return hedging
    }

    /// `pool.standby_vmms`: at most `maximum_vms`, since each is there to become one of the pool's VMs.
    func standbyProcesses(_ fields: Fields, maximumVMs: Int) throws -> Int {
        guard let node = fields["standby_vmms"] else { return 0 }
        let count = try document.integer(node, path: "pool.standby_vmms", minimum: 0)
        guard count <= maximumVMs else {
            throw document.error(
                .invalidValue,
                at: node,
                path: "pool.standby_vmms",
                "standby_vmms (\(count)) exceeds maximum_vms (\(maximumVMs)): a standby process only ever becomes "
                    + "one of the pool's VMs"
            )
        }
        return count
    }
}
