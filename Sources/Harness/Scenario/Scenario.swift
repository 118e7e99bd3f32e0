public import SnapshotPool

/// A load profile, as read from one YAML file in `Scenarios/`: what VM, what pool, which phases of load,
/// which faults when, and which gates decide pass or fail.
///
/// ```swift
/// let scenario = try ScenarioParser.parse(file: "Scenarios/smoke.yaml")
/// print(scenario.phases.map(\.name))
/// ```
public struct Scenario: Sendable, Equatable {
    /// Short name (the file's base name by convention).
    public var name: String
    /// What the scenario represents, for reports.
    public var description: String
    /// Seed of every random choice (arrivals, hold times, simulated latencies).
    public var seed: UInt64
    /// Which backend runs it.
    public var backend: BackendChoice
    /// The VM the pool restores.
    public var vm: VMDefinition
    /// The pool's configuration.
    public var pool: PoolSettings
    /// Phases of load, run one after another.
    public var phases: [Phase]
    /// Faults on the scenario's timeline (measured from the start of the first phase).
    public var faults: [FaultSpec]
    /// Pass/fail conditions.
    public var gates: [Gate]

    public init(
        name: String,
        description: String,
        seed: UInt64,
        backend: BackendChoice,
        vm: VMDefinition,
        pool: PoolSettings,
        phases: [Phase],
        faults: [FaultSpec],
        gates: [Gate]
    ) {
        self.name = name
        self.description = description
        self.seed = seed
        self.backend = backend
        self.vm = vm
        self.pool = pool
        self.phases = phases
        self.faults = faults
        self.gates = gates
    }
}

/// Which backend a scenario asks for.
public enum BackendChoice: String, Sendable, Equatable, CaseIterable {
    /// Firecracker where `/dev/kvm` is usable, else simulated (and the report says so).
    case auto
    /// Real Firecracker; the run fails when it cannot start.
    case firecracker
    /// The simulated backend.
    case simulated
}

/// The VM a scenario's pool restores.
public enum VMDefinition: Sendable, Equatable {
    /// The built-in benchmark guest.
    case builtInGuest(workingSetMiB: Int, memoryMiB: Int, vcpus: Int)
    /// A Linux guest (KVM hosts with hardware virtualization only).
    case linux(LinuxGuest)
}

/// A kernel + rootfs guest and how it proves readiness.
public struct LinuxGuest: Sendable, Equatable {
    /// Host path of the kernel image.
    public var kernel: String
    /// Host path of the root filesystem image.
    public var rootfs: String
    /// Kernel command line.
    public var bootArgs: String
    /// Guest memory in MiB.
    public var memoryMiB: Int
    /// vCPUs.
    public var vcpus: Int
    /// The serial-line prefix printed once booted (before the snapshot).
    public var bootPattern: String
    /// The serial-line prefix printed after every resume.
    public var resumePattern: String

    public init(
        kernel: String,
        rootfs: String,
        bootArgs: String,
        memoryMiB: Int,
        vcpus: Int,
        bootPattern: String,
        resumePattern: String
    ) {
        self.kernel = kernel
        self.rootfs = rootfs
        self.bootArgs = bootArgs
        self.memoryMiB = memoryMiB
        self.vcpus = vcpus
        self.bootPattern = bootPattern
        self.resumePattern = resumePattern
    }
}

/// The pool part of a scenario (mirrors `PoolConfiguration`, plus pressure monitoring).
public struct PoolSettings: Sendable, Equatable {
    /// The pool configuration.
    public var configuration: PoolConfiguration
    /// Memory-pressure monitoring interval; `nil` turns monitoring off.
    public var pressureInterval: Duration?
    /// A memory cgroup limit for the pool's VMMs in MiB; `nil` places them in no cgroup.
    public var cgroupLimitMiB: Int?
    /// The size of a filesystem of its own (tmpfs) for the pool's VM directories, in MiB; `nil` uses the work
    /// directory as it is. `disk_full` faults fill it.
    public var workFilesystemMiB: Int?

    public init(
        configuration: PoolConfiguration,
        pressureInterval: Duration? = nil,
        cgroupLimitMiB: Int? = nil,
        workFilesystemMiB: Int? = nil
    ) {
        self.configuration = configuration
        self.pressureInterval = pressureInterval
        self.cgroupLimitMiB = cgroupLimitMiB
        self.workFilesystemMiB = workFilesystemMiB
    }
}

/// One phase of load.
public struct Phase: Sendable, Equatable {
    /// Its name in reports.
    public var name: String
    /// Whether its measurements are left out of the statistics (they still count as outcomes).
    public var warmup: Bool
    /// How acquires arrive.
    public var load: LoadProfile
    /// How long each lease is held.
    public var hold: LatencyDistribution

    public init(name: String, warmup: Bool, load: LoadProfile, hold: LatencyDistribution) {
        self.name = name
        self.warmup = warmup
        self.load = load
        self.hold = hold
    }
}

/// How acquires arrive in a phase.
public enum LoadProfile: Sendable, Equatable {
    /// Open loop: `rate` arrivals per second, evenly spaced, for `duration`.
    case constantArrivalRate(rate: Double, duration: Duration)
    /// Open loop: the rate moves linearly from `startRate` through each stage's target over its duration.
    case rampingArrivalRate(startRate: Double, stages: [RampStage])
    /// Open loop: `count` arrivals spread evenly over `spread`, `bursts` times, `interval` apart.
    case burst(count: Int, spread: Duration, bursts: Int, interval: Duration)
    /// Open loop: exponential inter-arrival times with mean 1/`rate`, for `duration`.
    case poisson(rate: Double, duration: Duration)
    /// Closed loop: `count` workers acquire, hold, release, think, repeat, for `duration`.
    case workers(count: Int, thinkTime: LatencyDistribution, duration: Duration)
}

/// One stage of a ramping arrival rate.
public struct RampStage: Sendable, Equatable {
    /// The rate reached at the stage's end, per second.
    public var target: Double
    /// The stage's length.
    public var duration: Duration

    public init(target: Double, duration: Duration) {
        self.target = target
        self.duration = duration
    }
}

/// A fault on the scenario timeline: what (``FaultAction``), when, and for how long.
public struct FaultSpec: Sendable, Equatable {
    /// The fault kind as written, e.g. `vmm_crash`.
    public var kind: String
    /// What it does, typed.
    public var action: FaultAction
    /// When it starts, from the start of the first phase.
    public var at: Duration
    /// How long it lasts (`nil` for instantaneous faults).
    public var duration: Duration?
    /// Kind-specific parameters, as written.
    public var parameters: [String: String]

    public init(kind: String, action: FaultAction, at: Duration, duration: Duration?, parameters: [String: String]) {
        self.kind = kind
        self.action = action
        self.at = at
        self.duration = duration
        self.parameters = parameters
    }
}

/// A pass/fail condition: `metric statistic operator threshold`, e.g. `spawn_ms p95 < 50`.
public struct Gate: Sendable, Equatable, Codable {
    /// Comparison operators.
    public enum Comparison: String, Sendable, Codable, CaseIterable {
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
        case equal = "=="
    }

    /// A metric name from ``GateMetric``.
    public var metric: String
    /// `p50`, `p90`, `p95`, `p99`, `p999`, `max`, `min`, `mean`, `count`, `rate`.
    public var statistic: String
    /// The comparison.
    public var comparison: Comparison
    /// The threshold, in the metric's unit.
    public var threshold: Double
    /// The expression as written.
    public var expression: String

    public init(metric: String, statistic: String, comparison: Comparison, threshold: Double, expression: String) {
        self.metric = metric
        self.statistic = statistic
        self.comparison = comparison
        self.threshold = threshold
        self.expression = expression
    }

    /// Whether `value` passes.
    public func passes(_ value: Double) -> Bool {
        switch comparison {
        case .less: value < threshold
        case .lessOrEqual: value <= threshold
        case .greater: value > threshold
        case .greaterOrEqual: value >= threshold
        case .equal: value == threshold
        }
    }
}

/// The metrics gates can name, with the statistics each supports.
public enum GateMetric {
    /// Latency metrics in milliseconds: percentiles, min, max, mean, count.
    public static let latencies: Set<String> = [
        "spawn_ms", "spawn_warm_ms", "spawn_on_demand_ms", "restore_ms", "firecracker_load_ms", "process_start_ms",
        "resume_ms", "readiness_ms", "queue_wait_ms", "dispatch_lag_ms",
    ]
    /// Memory metrics in MiB: max, mean, min.
    public static let memory: Set<String> = [
        "pool_resident_mb", "pool_allocated_mb", "process_rss_mb", "vmm_pss_mb", "vmm_pss_per_warm_vm_mb",
        "cgroup_usage_mb",
    ]
    /// Counts: `count` (absolute) and `rate` (fraction of scheduled acquires).
    public static let counts: Set<String> = [
        "errors", "late_starts", "leases", "warm_hits", "on_demand", "crashes", "readiness_failures", "shed",
        "leaks", "dead_at_handout", "unaccounted", "unreleased", "audit_problems", "quarantines", "faults_applied",
        "faults_not_applied",
    ]
    /// Fault timings in seconds, the worst over the run's faults (`max`): the pool's first reaction after a
    /// fault began, and how long after a fault ended spawn was back (a fault it never came back from counts as
    /// infinitely long).
    public static let faults: Set<String> = ["fault_reaction_s", "fault_recovery_s"]
    /// Statistics for fault timings.
    public static let faultStatistics: Set<String> = ["max"]
    /// Statistics for latency metrics.
    public static let latencyStatistics: Set<String> = [
        "p50", "p90", "p95", "p99", "p999", "max", "min", "mean", "count",
    ]
    /// Statistics for memory metrics.
    public static let memoryStatistics: Set<String> = ["max", "min", "mean", "last"]
    /// Statistics for counts.
    public static let countStatistics: Set<String> = ["count", "rate"]

    /// The statistics `metric` supports, or `nil` when the metric is unknown.
    public static func statistics(for metric: String) -> Set<String>? {
        if latencies.contains(metric) { return latencyStatistics }
        if memory.contains(metric) { return memoryStatistics }
        if counts.contains(metric) { return countStatistics }
        if faults.contains(metric) { return faultStatistics }
        return nil
    }
}
