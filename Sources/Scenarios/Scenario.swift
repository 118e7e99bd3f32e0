package import Firecracker
import Foundation
package import Reporting
package import SnapshotPool

/// A load profile, as read from one YAML file in `Scenarios/`: what VM, what pool, which phases of load,
/// which faults when, and which gates decide pass or fail.
///
/// ```swift
/// let scenario = try ScenarioParser.parse(file: "Scenarios/smoke.yaml")
/// print(scenario.phases.map(\.name))
/// ```
package struct Scenario: Sendable, Equatable {
    /// Short name (the file's base name by convention).
    package var name: String
    /// What the scenario represents, for reports.
    package var description: String
    /// Seed of every random choice (arrivals, hold times, simulated latencies).
    package var seed: UInt64
    /// Which backend runs it.
    package var backend: BackendChoice
    /// A release sign-off: only real Firecracker may run it, and the report says it was one.
    package var signOff: Bool
    /// The VM the pool restores.
    package var vm: VMDefinition
    /// Its devices.
    package var devices: DeviceSettings
    /// How a clone proves it runs after each resume: `nil` for its serial console, else its agent over vsock
    /// (`vm.readiness`).
    package var readiness: AgentProbe?
    /// The pool's configuration.
    package var pool: PoolSettings
    /// Phases of load, run one after another.
    package var phases: [Phase]
    /// Faults on the scenario's timeline (measured from the start of the first phase).
    package var faults: [FaultSpec]
    /// Pass/fail conditions.
    package var gates: [Gate]

    package init(
        name: String,
        description: String,
        seed: UInt64,
        backend: BackendChoice,
        signOff: Bool = false,
        vm: VMDefinition,
        devices: DeviceSettings = DeviceSettings(),
        readiness: AgentProbe? = nil,
        pool: PoolSettings,
        phases: [Phase],
        faults: [FaultSpec],
        gates: [Gate]
    ) {
        self.name = name
        self.description = description
        self.seed = seed
        self.backend = backend
        self.signOff = signOff
        self.vm = vm
        self.devices = devices
        self.readiness = readiness
        self.pool = pool
        self.phases = phases
        self.faults = faults
        self.gates = gates
    }
}

/// Which backend a scenario asks for. There is no automatic fallback: a run that cannot use Firecracker
/// stops and says what is missing, unless the simulated backend was asked for by name.
package enum BackendChoice: String, Sendable, Equatable, CaseIterable {
    /// Real Firecracker processes on `/dev/kvm` (the default); the run stops when they cannot run here.
    case firecracker
    /// The simulated backend: invented latencies, for pool-logic checks and hosts without KVM. Its runs are
    /// marked in every output and never pass a sign-off.
    case simulated
}

/// The VM a scenario's pool restores.
package enum VMDefinition: Sendable, Equatable {
    /// The built-in benchmark guest.
    case builtInGuest(workingSetMiB: Int, memoryMiB: Int, vcpus: Int, touch: WorkingSetTouch? = nil)
    /// A Linux guest (KVM hosts with hardware virtualization only).
    case linux(LinuxGuest)
    /// A snapshot another tool made, restored as it is (`vm.snapshot`, `--snapshot`): its files are read, never
    /// written.
    case snapshot(ExternalSnapshot)
}

/// A snapshot another tool made: its VM state and memory files, and, for readiness on the serial console, the
/// line its guest prints after every resume.
///
/// ```swift
/// let snapshot = ExternalSnapshot(state: "/srv/snap/vm.state", memory: "/srv/snap/vm.mem")
/// ```
package struct ExternalSnapshot: Sendable, Equatable {
    /// The VM state file (`snapshot_path` of `PUT /snapshot/create`).
    package var state: String
    /// The guest memory file (`mem_file_path`).
    package var memory: String
    /// The serial-line prefix the guest prints after every resume, for readiness on the serial console.
    package var resumePattern: String?

    package init(state: String, memory: String, resumePattern: String? = nil) {
        self.state = state
        self.memory = memory
        self.resumePattern = resumePattern
    }

    /// The snapshot in `directory`: `vm.state` and `vm.mem` (snapbench's names), else `snapshot_file` and
    /// `mem_file` (Firecracker's documentation's); `nil` when it holds neither pair.
    package static func inDirectory(_ directory: String) -> ExternalSnapshot? {
        for (state, memory) in [("vm.state", "vm.mem"), ("snapshot_file", "mem_file")] {
            let pair = ExternalSnapshot(state: directory + "/" + state, memory: directory + "/" + memory)
            if FileManager.default.fileExists(atPath: pair.state) || FileManager.default.fileExists(atPath: pair.memory)
            {
                return pair
            }
        }
        return nil
    }
}

/// A kernel + rootfs guest and how it proves readiness.
///
/// On a host where Linux guests do not boot, `kernel: "@guest"` and `rootfs: "@rootfs"` run the same path with
/// stand-ins: the built-in guest as the kernel, and the ext4 image `scripts/setup` makes as the root drive.
package struct LinuxGuest: Sendable, Equatable {
    /// `vm.kernel` naming the built-in guest as a stand-in for a Linux kernel.
    package static let builtInGuestKernel = "@guest"
    /// `vm.rootfs` naming the stand-in ext4 image `scripts/setup` makes.
    package static let standInRootfs = "@rootfs"

    /// Host path of the kernel image.
    package var kernel: String
    /// Host path of the root filesystem image.
    package var rootfs: String
    /// Kernel command line.
    package var bootArgs: String
    /// Guest memory in MiB.
    package var memoryMiB: Int
    /// vCPUs.
    package var vcpus: Int
    /// The serial-line prefix printed once booted (before the snapshot); empty with readiness over vsock and no
    /// boot line: the golden VM is ready once its agent answers.
    package var bootPattern: String
    /// The serial-line prefix printed after every resume; empty with readiness over vsock.
    package var resumePattern: String

    package init(
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
package struct PoolSettings: Sendable, Equatable {
    /// The pool configuration.
    package var configuration: PoolConfiguration
    /// Memory-pressure monitoring interval; `nil` turns monitoring off.
    package var pressureInterval: Duration?
    /// A memory cgroup limit for the pool's VMMs in MiB; `nil` places them in no cgroup.
    package var cgroupLimitMiB: Int?
    /// The size of a filesystem of its own (tmpfs) for the pool's VM directories, in MiB; `nil` uses the work
    /// directory as it is. `disk_full` faults fill it.
    package var workFilesystemMiB: Int?
    /// Where clones' guest memory comes from (`vm.memory_backend`, `vm.page_cache`, `pool.prefetch`).
    package var memory: GuestMemory
    /// Firecracker processes kept started ahead of need for on-demand restores (`pool.standby_vmms`).
    package var standbyProcesses: Int
    /// How each clone's Firecracker is started (`pool.launch`).
    package var launch: LaunchMode

    package init(
        configuration: PoolConfiguration,
        pressureInterval: Duration? = nil,
        cgroupLimitMiB: Int? = nil,
        workFilesystemMiB: Int? = nil,
        memory: GuestMemory = GuestMemory(),
        standbyProcesses: Int = 0,
        launch: LaunchMode = .direct
    ) {
        self.configuration = configuration
        self.pressureInterval = pressureInterval
        self.cgroupLimitMiB = cgroupLimitMiB
        self.workFilesystemMiB = workFilesystemMiB
        self.memory = memory
        self.standbyProcesses = standbyProcesses
        self.launch = launch
    }
}

/// One phase of load.
package struct Phase: Sendable, Equatable {
    /// Its name in reports.
    package var name: String
    /// Whether its measurements are left out of the statistics (they still count as outcomes).
    package var warmup: Bool
    /// How acquires arrive.
    package var load: LoadProfile
    /// How long each lease is held.
    package var hold: LatencyDistribution

    package init(name: String, warmup: Bool, load: LoadProfile, hold: LatencyDistribution) {
        self.name = name
        self.warmup = warmup
        self.load = load
        self.hold = hold
    }
}

/// How acquires arrive in a phase.
package enum LoadProfile: Sendable, Equatable {
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
package struct RampStage: Sendable, Equatable {
    /// The rate reached at the stage's end, per second.
    package var target: Double
    /// The stage's length.
    package var duration: Duration

    package init(target: Double, duration: Duration) {
        self.target = target
        self.duration = duration
    }
}

/// A fault on the scenario timeline: what (``FaultAction``), when, and for how long.
package struct FaultSpec: Sendable, Equatable {
    /// The fault kind as written, e.g. `vmm_crash`.
    package var kind: String
    /// What it does, typed.
    package var action: FaultAction
    /// When it starts, from the start of the first phase.
    package var at: Duration
    /// How long it lasts (`nil` for instantaneous faults).
    package var duration: Duration?
    /// Kind-specific parameters, as written.
    package var parameters: [String: String]

    package init(kind: String, action: FaultAction, at: Duration, duration: Duration?, parameters: [String: String]) {
        self.kind = kind
        self.action = action
        self.at = at
        self.duration = duration
        self.parameters = parameters
    }
}

extension LoadProfile {
    /// How long the load lasts: its schedule (a burst phase from its first arrival to its last), or its
    /// workers' duration.
    ///
    /// ```swift
    /// LoadProfile.burst(count: 8, spread: .milliseconds(50), bursts: 5, interval: .seconds(3)).duration  // 12.05 s
    /// ```
    package var duration: Duration {
        switch self {
        case .constantArrivalRate(_, let duration), .poisson(_, let duration), .workers(_, _, let duration):
            duration
        case .rampingArrivalRate(_, let stages):
            stages.reduce(.zero) { $0 + $1.duration }
        case .burst(_, let spread, let bursts, let interval):
            interval * max(0, bursts - 1) + spread
        }
    }
}

extension Scenario {
    /// How long the load lasts: the sum of its phases' durations.
    package var loadDuration: Duration { phases.reduce(.zero) { $0 + $1.load.duration } }

    /// The acquires the measured (non-warm-up) phases schedule, known before the run (Poisson phases: the
    /// expected number); `nil` when a measured phase is closed-loop (its count depends on the system).
    package var plannedMeasuredAcquires: Int? { plannedAcquires(of: Set(phases.filter { !$0.warmup }.map(\.name))) }

    /// The acquires the measured phases of these names schedule, as ``plannedMeasuredAcquires`` counts them.
    func plannedAcquires(of names: Set<String>) -> Int? {
        var total = 0
        for phase in phases where !phase.warmup && names.contains(phase.name) {
            guard let count = ArrivalSchedule(load: phase.load, seed: seed, phase: phase.name)?.plannedCount else {
                return nil
            }
            total += count
        }
        return total
    }
}

extension Scenario {
    /// The bursts of the measured burst phases; `nil` when no measured phase is a burst phase (a burst's
    /// CPU-bound floor, and `spawn_floor_ratio`, are defined only then). In a scenario that also has other
    /// measured phases (`agent`: a steady load, then bursts), the floor and its ratio are the burst phases' alone.
    ///
    /// ```swift
    /// burst.measuredBursts  // 18
    /// agent.measuredBursts  // 16: its steady phase has none
    /// ```
    package var measuredBursts: Int? {
        let bursts = measuredBurstPhases.compactMap { phase -> Int? in
            if case .burst(_, _, let bursts, _) = phase.load { bursts } else { nil }
        }
        return bursts.isEmpty ? nil : bursts.reduce(0, +)
    }

    /// The names of the measured burst phases: the acquires a burst's floors are compared with.
    package var measuredBurstPhaseNames: Set<String> { Set(measuredBurstPhases.map(\.name)) }

    /// Whether every measured phase is a burst phase (`burst`, `burst-wide`): such a scenario shows its floors
    /// whatever its gates; one with other measured phases too measures only the floors its gates judge by.
    package var isBurstsOnly: Bool {
        let measured = phases.filter { !$0.warmup }
        return !measured.isEmpty && measured.count == measuredBurstPhases.count
    }

    private var measuredBurstPhases: [Phase] {
        phases.filter { phase in
            guard !phase.warmup, case .burst = phase.load else { return false }
            return true
        }
    }

    /// The on-demand restores one burst of the measured phases sends at once — the largest burst's size beyond
    /// the warm target — when a measured phase is a burst phase and a burst outgrows the warm set; `nil`
    /// otherwise (a burst's restore floor, and `restore_floor_ratio`, are defined only then).
    ///
    /// ```swift
    /// burst.restoreFloorConcurrency  // 12: bursts of 16 on 4 warm VMs
    /// ```
    package var restoreFloorConcurrency: Int? {
        let largest =
            measuredBurstPhases.compactMap { phase -> Int? in
                if case .burst(let count, _, _, _) = phase.load { count } else { nil }
            }.max() ?? 0
        let onDemand = min(largest, pool.configuration.maximumVMs) - pool.configuration.warmTarget
        return onDemand > 0 ? onDemand : nil
    }

    /// The MiB the guest re-touches after each resume (`vm.touch_mib`), when it does: the work floor
    /// (`work_floor_ratio`) re-touches as much.
    package var workFloorTouchMiB: Int? {
        if case .builtInGuest(_, _, _, let touch?) = vm { touch.mebibytes } else { nil }
    }

    /// Why this scenario cannot decide `gate` from what it schedules, or `nil` when it can.
    ///
    /// ```swift
    /// steady.problem(deciding: try Gate(parsing: "spawn_floor_ratio p95 <= 1.5"))
    /// // "needs a measured burst phase: …"
    /// ```
    package func problem(deciding gate: Gate) -> String? {
        if gate.metric == .spawnFloorRatio, measuredBursts == nil {
            return "needs a measured burst phase: the floor is the CPU time of one burst's spawns"
        }
        if gate.metric == .workFloorRatio, workFloorTouchMiB == nil {
            return
                "needs the built-in guest to re-touch its working set after each resume (vm.touch_mib): the floor is "
                + "that re-touch with every page present"
        }
        if gate.metric == .restoreFloorRatio, restoreFloorConcurrency == nil {
            return "needs a measured burst phase larger than the warm target: the floor is the burst's on-demand "
                + "restores loaded at once with nothing else running"
        }
        // A floor ratio judges the burst phases' acquires alone: those must decide it.
        let judgesBursts = gate.metric == .spawnFloorRatio || gate.metric == .restoreFloorRatio
        return GatePlan.problem(
            gate,
            plannedAcquires: judgesBursts ? plannedAcquires(of: measuredBurstPhaseNames) : plannedMeasuredAcquires
        )
    }
}
