public import Foundation

/// Everything one `snapbench run` of one scenario measured and decided, versioned for tools that read it.
///
/// ```swift
/// let data = try RunReport.encoder().encode(report)
/// let again = try RunReport.decoder().decode(RunReport.self, from: data)
/// ```
public struct RunReport: Codable, Sendable, Equatable {
    /// The format this build writes; bumped when fields change meaning. Version 2 added gate statuses with
    /// their statistical bounds, the `inconclusive` verdict, sign-off, host disturbances, the audit anchor and
    /// per-VM teardown checks; version 1 reports still read.
    public static let currentSchemaVersion = 2

    /// The report format.
    public var schemaVersion: Int = Self.currentSchemaVersion
    /// The scenario's name.
    public var scenario: String
    /// What it represents.
    public var description: String
    /// When the run started.
    public var startedAt: Date
    /// How long it took, in seconds.
    public var durationSeconds: Double
    /// Where it ran and with what.
    public var environment: EnvironmentInfo
    /// The definitions of every measurement, as the report states them.
    public var definitions: [String: String]
    /// Per phase (warm-up phases included, flagged).
    public var phases: [PhaseReport]
    /// All measured (non-warm-up) phases together.
    public var overall: PhaseReport
    /// Samples of memory and pool state over time.
    public var timeline: [TimelineSample]
    /// Faults applied.
    public var faults: [FaultRecord]
    /// After the drain: what was left behind.
    public var leakCheck: LeakCheck
    /// Gate results.
    public var gates: [GateResult]
    /// `pass` when every gate passed and the run completed; otherwise why not (`fail`, `inconclusive`,
    /// `host-bound`, `incomplete`).
    public var verdict: Verdict
    /// Whether the run was a release sign-off (only real Firecracker may pass one); absent before v2.
    public var signOff: Bool?
    /// Windows in which the host, not the run, was the bottleneck (steal, other processes, stalls); absent
    /// before v2.
    public var disturbances: [Disturbance]?
    /// The measured phases without the acquires a disturbance touched; present when there were disturbances.
    public var undisturbed: PhaseReport?
    /// The audit log's record count and last hash, so that a log can be checked against its end.
    public var audit: AuditAnchor?
    /// The CPU-bound floor of the scenario's bursts, when its measured phases are bursts on real Firecracker.
    public var burstFloor: BurstFloor?
    /// The host's own floor for the bursts' restores (as many loads at once with nothing else running), when the
    /// scenario's measured phases are bursts larger than the warm set, on real Firecracker.
    public var restoreFloor: RestoreFloor?
    /// The floor of the guest's first work after a resume (the same re-touch with every page present), when the
    /// scenario's guest does work (`vm.touch_mib`) on real Firecracker.
    public var workFloor: WorkFloor?
    /// Hedged acquires, when the pool hedged (`pool.hedging`).
    public var hedging: HedgingSummary?
    /// The clones' devices and launch mode, and the check of every leased clone for them; absent when the
    /// scenario's VM has no devices and runs unjailed.
    public var devices: DeviceReport?

    public init(
        scenario: String,
        description: String,
        startedAt: Date,
        durationSeconds: Double,
        environment: EnvironmentInfo,
        definitions: [String: String],
        phases: [PhaseReport],
        overall: PhaseReport,
        timeline: [TimelineSample],
        faults: [FaultRecord],
        leakCheck: LeakCheck,
        gates: [GateResult],
        verdict: Verdict,
        signOff: Bool? = nil,
        disturbances: [Disturbance]? = nil,
        undisturbed: PhaseReport? = nil,
        audit: AuditAnchor? = nil,
        burstFloor: BurstFloor? = nil,
        restoreFloor: RestoreFloor? = nil,
        workFloor: WorkFloor? = nil,
        hedging: HedgingSummary? = nil,
        devices: DeviceReport? = nil
    ) {
        self.scenario = scenario
        self.description = description
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
        self.environment = environment
        self.definitions = definitions
        self.phases = phases
        self.overall = overall
        self.timeline = timeline
        self.faults = faults
        self.leakCheck = leakCheck
        self.gates = gates
        self.verdict = verdict
        self.signOff = signOff
        self.disturbances = disturbances
        self.undisturbed = undisturbed
        self.audit = audit
        self.burstFloor = burstFloor
        self.restoreFloor = restoreFloor
        self.workFloor = workFloor
        self.hedging = hedging
        self.devices = devices
    }

    /// Whether a real Firecracker backend produced it.
    public var isFirecracker: Bool { environment.backend == "firecracker" }

    /// A JSON encoder for reports: sorted keys, ISO 8601 dates, pretty printed.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// The matching decoder.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// The machine and the software a run used.
public struct EnvironmentInfo: Codable, Sendable, Equatable {
    public var hostname: String
    public var kernel: String
    public var cpuModel: String
    public var cpuCount: Int
    public var memoryBytes: UInt64
    /// `kvm_intel`, `kvm_amd`, `kvm_pvm` or `none`.
    public var kvmFlavour: String
    /// `firecracker` or `simulated`: a simulated run can never pass a sign-off gate.
    public var backend: String
    /// Firecracker's version, when it ran.
    public var firecrackerVersion: String?
    /// SHA-256 of the Firecracker binary, when it ran.
    public var firecrackerSHA256: String?
    /// e.g. "jemalloc 5.3.0".
    public var allocator: String
    /// The git commit of snapbench, when known.
    public var commit: String?
    /// The snapbench release that made the report (``SnapbenchVersion/current``); absent in earlier reports.
    public var snapbenchVersion: String?

    public init(
        hostname: String,
        kernel: String,
        cpuModel: String,
        cpuCount: Int,
        memoryBytes: UInt64,
        kvmFlavour: String,
        backend: String,
        firecrackerVersion: String?,
        firecrackerSHA256: String?,
        allocator: String,
        commit: String?,
        snapbenchVersion: String? = SnapbenchVersion.current
    ) {
        self.hostname = hostname
        self.kernel = kernel
        self.cpuModel = cpuModel
        self.cpuCount = cpuCount
        self.memoryBytes = memoryBytes
        self.kvmFlavour = kvmFlavour
        self.backend = backend
        self.firecrackerVersion = firecrackerVersion
        self.firecrackerSHA256 = firecrackerSHA256
        self.allocator = allocator
        self.commit = commit
        self.snapbenchVersion = snapbenchVersion
    }
}

/// The snapbench release, as reports and `snapbench --version` state it.
public enum SnapbenchVersion {
    /// This build's release.
    public static let current = "0.19.0"
}

/// The statistics of one phase (or of the whole run).
public struct PhaseReport: Codable, Sendable, Equatable {
    public var name: String
    /// Warm-up phases are reported but left out of the overall statistics and gates.
    public var warmup: Bool
    /// Acquires scheduled (open loop) or attempted (closed loop).
    public var scheduled: Int
    /// Outcomes by name: `served`, and each error code; they add up to `scheduled`.
    public var outcomes: [String: Int]
    /// Arrivals dispatched later than 1 ms after their intended instant.
    public var lateStarts: Int
    /// Latency spectra by metric name (milliseconds).
    public var latencies: [String: Spectrum]

    public init(
        name: String,
        warmup: Bool,
        scheduled: Int,
        outcomes: [String: Int],
        lateStarts: Int,
        latencies: [String: Spectrum]
    ) {
        self.name = name
        self.warmup = warmup
        self.scheduled = scheduled
        self.outcomes = outcomes
        self.lateStarts = lateStarts
        self.latencies = latencies
    }

    /// Served acquires.
    public var served: Int { outcomes["served"] ?? 0 }
    /// Acquires that ended in an error.
    public var errors: Int { outcomes.filter { $0.key != "served" }.values.reduce(0, +) }
}

/// A latency distribution's percentile spectrum, in milliseconds.
public struct Spectrum: Codable, Sendable, Equatable {
    public var count: Int
    public var min: Double
    public var mean: Double
    public var p50: Double
    public var p90: Double
    public var p95: Double
    public var p99: Double
    public var p999: Double
    public var max: Double
    /// (percentile, value in ms) pairs for plotting, 1/(1−p) spaced.
    public var points: [[Double]]
    /// The whole recorded distribution, for histograms and resampling; absent in reports that predate it.
    public var distribution: RecordedDistribution?

    public init(
        count: Int,
        min: Double,
        mean: Double,
        p50: Double,
        p90: Double,
        p95: Double,
        p99: Double,
        p999: Double,
        max: Double,
        points: [[Double]],
        distribution: RecordedDistribution? = nil
    ) {
        self.count = count
        self.min = min
        self.mean = mean
        self.p50 = p50
        self.p90 = p90
        self.p95 = p95
        self.p99 = p99
        self.p999 = p999
        self.max = max
        self.points = points
        self.distribution = distribution
    }

    /// The statistics a spectrum has.
    public static let statistics: [Statistic] = [.p50, .p90, .p95, .p99, .p999, .max, .min, .mean, .count]

    /// One of its statistics; `nil` for one a spectrum does not have (`rate`, `slope`, `last`, `growth`).
    public func value(of statistic: Statistic) -> Double? {
        switch statistic {
        case .p50: p50
        case .p90: p90
        case .p95: p95
        case .p99: p99
        case .p999: p999
        case .max: max
        case .min: min
        case .mean: mean
        case .count: Double(count)
        case .rate, .slope, .last, .growth: nil
        }
    }
}

/// Every value a histogram recorded, as distinct values (HdrHistogram's equivalence classes, 3 significant
/// digits) with how often each occurred.
///
/// ```swift
/// let d = RecordedDistribution(valuesMilliseconds: [1.5, 2.0], counts: [3, 1])
/// d.expanded()  // [1.5, 1.5, 1.5, 2.0]
/// ```
public struct RecordedDistribution: Codable, Sendable, Equatable {
    /// Distinct values in milliseconds, ascending.
    public var valuesMilliseconds: [Double]
    /// How many times each value occurred; as long as `valuesMilliseconds`.
    public var counts: [Int]

    public init(valuesMilliseconds: [Double], counts: [Int]) {
        self.valuesMilliseconds = valuesMilliseconds
        self.counts = counts
    }

    /// Total number of values.
    public var totalCount: Int { counts.reduce(0, +) }

    /// Every value, repeated by its count, ascending.
    public func expanded() -> [Double] {
        zip(valuesMilliseconds, counts).flatMap { value, count in repeatElement(value, count: Swift.max(0, count)) }
    }
}

/// One sample of the memory and pool timeline.
public struct TimelineSample: Codable, Sendable, Equatable {
    /// Seconds since the run started.
    public var time: Double
    public var jemallocAllocated: UInt64?
    public var jemallocActive: UInt64?
    public var jemallocResident: UInt64?
    public var jemallocMapped: UInt64?
    public var jemallocRetained: UInt64?
    /// Kernel RSS of the snapbench process.
    public var processRSS: UInt64
    /// Sum, max and count of the VMMs' PSS.
    public var vmmPSSSum: UInt64
    public var vmmPSSMax: UInt64
    public var vmmCount: Int
    public var cgroupUsage: UInt64?
    /// Memory PSI `some avg10`, percent.
    public var psiSomeAvg10: Double?
    public var warm: Int
    public var restoring: Int
    public var leased: Int
    /// Leases served since the previous sample.
    public var served: Int
    /// PSS of the warm VMMs (restored, paused) and how many there were.
    public var warmVMMPSSSum: UInt64?
    public var warmVMMCount: Int?
    /// CPU time the hypervisor stole from this machine since the previous sample, in percent of one CPU.
    public var stealPercent: Double?
    /// CPU used by this run (snapbench and its VMMs) since the previous sample, in percent of one CPU.
    public var runCPUPercent: Double?
    /// CPU used by everything else on the host since the previous sample, in percent of one CPU.
    public var otherCPUPercent: Double?
    /// The worst lateness of the real-time heartbeat since the previous sample, in ms.
    public var heartbeatLateMs: Double?
    /// The worst dispatch lag of an arrival since the previous sample, in ms.
    public var dispatchLagMaxMs: Double?

    public init(
        time: Double,
        jemallocAllocated: UInt64?,
        jemallocActive: UInt64?,
        jemallocResident: UInt64?,
        jemallocMapped: UInt64?,
        jemallocRetained: UInt64?,
        processRSS: UInt64,
        vmmPSSSum: UInt64,
        vmmPSSMax: UInt64,
        vmmCount: Int,
        cgroupUsage: UInt64?,
        psiSomeAvg10: Double?,
        warm: Int,
        restoring: Int,
        leased: Int,
        served: Int,
        warmVMMPSSSum: UInt64? = nil,
        warmVMMCount: Int? = nil,
        stealPercent: Double? = nil,
        runCPUPercent: Double? = nil,
        otherCPUPercent: Double? = nil,
        heartbeatLateMs: Double? = nil,
        dispatchLagMaxMs: Double? = nil
    ) {
        self.time = time
        self.jemallocAllocated = jemallocAllocated
        self.jemallocActive = jemallocActive
        self.jemallocResident = jemallocResident
        self.jemallocMapped = jemallocMapped
        self.jemallocRetained = jemallocRetained
        self.processRSS = processRSS
        self.vmmPSSSum = vmmPSSSum
        self.vmmPSSMax = vmmPSSMax
        self.vmmCount = vmmCount
        self.cgroupUsage = cgroupUsage
        self.psiSomeAvg10 = psiSomeAvg10
        self.warm = warm
        self.restoring = restoring
        self.leased = leased
        self.served = served
        self.warmVMMPSSSum = warmVMMPSSSum
        self.warmVMMCount = warmVMMCount
        self.stealPercent = stealPercent
        self.runCPUPercent = runCPUPercent
        self.otherCPUPercent = otherCPUPercent
        self.heartbeatLateMs = heartbeatLateMs
        self.dispatchLagMaxMs = dispatchLagMaxMs
    }
}

/// A fault applied during the run, and what the pool did about it.
public struct FaultRecord: Codable, Sendable, Equatable {
    /// The fault kind, e.g. `vmm_crash`.
    public var kind: String
    /// Seconds since the run started (the timeline's clock).
    public var startedAt: Double
    /// When it was reverted; `nil` for an instantaneous fault.
    public var endedAt: Double?
    /// Its parameters as the scenario wrote them.
    public var parameters: [String: String]
    /// Whether it was applied (a fault this backend cannot suffer is recorded, not applied).
    public var applied: Bool
    /// What it hit: VM ids and pids, files, helper processes.
    public var targets: [String]
    /// What the pool did, in words.
    public var effect: String
    /// What the run measured around it.
    public var observations: FaultObservations?

    public init(
        kind: String,
        startedAt: Double,
        endedAt: Double?,
        parameters: [String: String],
        applied: Bool = true,
        targets: [String] = [],
        effect: String,
        observations: FaultObservations? = nil
    ) {
        self.kind = kind
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.parameters = parameters
        self.applied = applied
        self.targets = targets
        self.effect = effect
        self.observations = observations
    }
}

/// The figures around one fault: leases before, during and after it, and the pool's events.
public struct FaultObservations: Codable, Sendable, Equatable {
    /// Acquires that arrived while it lasted (at its instant ± 1 s for an instantaneous fault).
    public var leasesDuring: Int
    /// Their error outcomes by code.
    public var errorsDuring: [String: Int]
    /// Error outcomes of acquires that arrived in the 5 s after it ended.
    public var errorsAfter: [String: Int]
    /// Spawn p95 of the acquires that arrived in the 10 s before it began, in ms.
    public var spawnP95BeforeMs: Double?
    /// Spawn p95 while it lasted, in ms.
    public var spawnP95DuringMs: Double?
    /// Spawn p95 in the 5 s after it ended, in ms.
    public var spawnP95AfterMs: Double?
    /// The pool's events from its start to 5 s after its end, by kind (`crashed`, `shed`, `warm_added`, …).
    public var poolEvents: [String: Int]
    /// Seconds from its start to the pool's first reaction (a shed, a crash noticed, a snapshot refused, a
    /// readiness failure, a restore failure); `nil` when the pool had nothing to react to.
    public var reactionSeconds: Double?
    /// Seconds from its end until spawn was back: the first 1 s window with at least 3 arrivals, all served,
    /// whose p95 is within max(1.5 × the p95 before, that + 2 ms). `nil` when it never came back in the run.
    public var recoverySeconds: Double?

    public init(
        leasesDuring: Int,
        errorsDuring: [String: Int],
        errorsAfter: [String: Int],
        spawnP95BeforeMs: Double?,
        spawnP95DuringMs: Double?,
        spawnP95AfterMs: Double?,
        poolEvents: [String: Int],
        reactionSeconds: Double?,
        recoverySeconds: Double?
    ) {
        self.leasesDuring = leasesDuring
        self.errorsDuring = errorsDuring
        self.errorsAfter = errorsAfter
        self.spawnP95BeforeMs = spawnP95BeforeMs
        self.spawnP95DuringMs = spawnP95DuringMs
        self.spawnP95AfterMs = spawnP95AfterMs
        self.poolEvents = poolEvents
        self.reactionSeconds = reactionSeconds
        self.recoverySeconds = recoverySeconds
    }
}

/// What the drained pool left behind.
public struct LeakCheck: Codable, Sendable, Equatable {
    public var childVMMs: Int
    public var leftoverFiles: [String]
    public var descriptorsBefore: Int
    public var descriptorsAfter: Int
    public var allocatedBefore: UInt64?
    public var allocatedAfter: UInt64?
    /// Slope of jemalloc `allocated` over the run, bytes per second (least squares).
    public var allocatedSlopeBytesPerSecond: Double?
    /// The problems found, in words; empty when clean.
    public var problems: [String]
    /// Slope of jemalloc `allocated` against leases served over the measured phases after their first 10 s,
    /// in bytes per lease; `nil` when too few leases or samples.
    public var allocatedBytesPerLease: Double?
    /// The limit the leak check judged it by (the scenario's gate, else the default); `nil` when not judged.
    public var allocatedBytesPerLeaseLimit: Double?
    /// Leases the slope was fitted over.
    public var allocatedSlopeLeases: Int?
    /// Process RSS at the end of the load − 10 s into the measured phases, in bytes.
    public var rssGrowthBytes: Int64?
    /// VMs whose teardown was verified as it happened (process reaped, directory, namespace, cgroup, jail
    /// gone), and the problems found.
    public var teardownsVerified: Int?
    public var teardownProblems: [String]?
    /// The descriptors open after the drain that were not open before it, as `fd → target`.
    public var descriptorsLeft: [String]?

    public init(
        childVMMs: Int,
        leftoverFiles: [String],
        descriptorsBefore: Int,
        descriptorsAfter: Int,
        allocatedBefore: UInt64?,
        allocatedAfter: UInt64?,
        allocatedSlopeBytesPerSecond: Double?,
        problems: [String],
        allocatedBytesPerLease: Double? = nil,
        allocatedBytesPerLeaseLimit: Double? = nil,
        allocatedSlopeLeases: Int? = nil,
        rssGrowthBytes: Int64? = nil,
        teardownsVerified: Int? = nil,
        teardownProblems: [String]? = nil,
        descriptorsLeft: [String]? = nil
    ) {
        self.childVMMs = childVMMs
        self.leftoverFiles = leftoverFiles
        self.descriptorsBefore = descriptorsBefore
        self.descriptorsAfter = descriptorsAfter
        self.allocatedBefore = allocatedBefore
        self.allocatedAfter = allocatedAfter
        self.allocatedSlopeBytesPerSecond = allocatedSlopeBytesPerSecond
        self.problems = problems
        self.allocatedBytesPerLease = allocatedBytesPerLease
        self.allocatedBytesPerLeaseLimit = allocatedBytesPerLeaseLimit
        self.allocatedSlopeLeases = allocatedSlopeLeases
        self.rssGrowthBytes = rssGrowthBytes
        self.teardownsVerified = teardownsVerified
        self.teardownProblems = teardownProblems
        self.descriptorsLeft = descriptorsLeft
    }
}

/// One gate's (or built-in check's) outcome.
public struct GateResult: Codable, Sendable, Equatable {
    /// The gate as written, or the check's sentence ("nothing lost: …", "run completes").
    public var expression: String
    /// The gate judged; `nil` for a built-in check (and in v1 reports).
    public var gate: Gate?
    /// The measured value (the point estimate), when the metric had one.
    public var measured: Double?
    /// Whether it let the run pass: `pass`, or `disturbed` with the undisturbed acquires passing.
    public var passed: Bool
    /// How it was decided; absent in v1 reports (then `passed` says pass or fail).
    public var status: GateStatus?
    /// The statistical bounds it was decided with, for rate and percentile gates.
    public var bounds: GateBounds?
    /// Why it did not pass, or what it was decided on.
    public var reason: String?
    /// For a gate that failed while the host was disturbed: the evidence and what the undisturbed acquires
    /// gave.
    public var disturbance: String?

    public init(
        expression: String,
        gate: Gate? = nil,
        measured: Double?,
        passed: Bool,
        status: GateStatus? = nil,
        bounds: GateBounds? = nil,
        reason: String?,
        disturbance: String? = nil
    ) {
        self.expression = expression
        // A result made in code from an expression alone reads its gate from it, as a v1 report's is read.
        self.gate = gate ?? (try? Gate(parsing: expression))
        self.measured = measured
        self.passed = passed
        self.status = status
        self.bounds = bounds
        self.reason = reason
        self.disturbance = disturbance
    }

    /// The status, for v1 reports read from `passed`.
    public var outcome: GateStatus { status ?? (passed ? .pass : .fail) }
}

/// How a gate was decided.
public enum GateStatus: String, Codable, Sendable, Equatable {
    /// Decided: it holds (for a rate or percentile, its whole confidence bound is on the passing side).
    case pass
    /// Decided: it does not hold.
    case fail
    /// The samples cannot decide it either way (e.g. the confidence bound straddles the threshold).
    case inconclusive
    /// It failed while the host was disturbed, and passes without the acquires the disturbance touched.
    case disturbed
    /// An absolute target that did not pass while the pool passed its ratio to the host's own floor, measured
    /// in the same run, and that floor leaves the target no room (the floor times the allowed ratio reaches it):
    /// the host decided it, not the pool. Never a pass, never a plain failure.
    case hostBound = "host-bound"
}

/// The one-sided confidence bounds a rate or percentile gate was decided with.
public struct GateBounds: Codable, Sendable, Equatable {
    /// Lower and upper bound of the statistic (a percentile in ms, a rate as a fraction); `nil` when the samples
    /// give none (e.g. no upper bound on a p99 from 40 samples).
    public var lower: Double?
    public var upper: Double?
    /// The confidence of each one-sided bound, e.g. 0.95.
    public var level: Double
    /// How: `wilson` (a rate) or `order statistics` (a percentile, distribution-free).
    public var method: String
    /// The samples (acquires, or values) it rests on.
    public var samples: Int

    public init(lower: Double?, upper: Double?, level: Double, method: String, samples: Int) {
        self.lower = lower
        self.upper = upper
        self.level = level
        self.method = method
        self.samples = samples
    }
}

/// A window in which the host, not the run, limited what was measured.
public struct Disturbance: Codable, Sendable, Equatable {
    /// Seconds since the run started.
    public var start: Double
    public var end: Double
    /// What was seen, e.g. "steal 38 % of a CPU", "heartbeat 291 ms late".
    public var evidence: [String]

    public init(start: Double, end: Double, evidence: [String]) {
        self.start = start
        self.end = end
        self.evidence = evidence
    }
}

/// Where an audit log ended when its run finished: a log is only proven complete against this.
public struct AuditAnchor: Codable, Sendable, Equatable {
    /// Records in the log.
    public var records: Int
    /// The hash of its last record.
    public var lastHash: String
    /// Whether its last record is the pool's shutdown record.
    public var endsWithShutdown: Bool

    public init(records: Int, lastHash: String, endsWithShutdown: Bool) {
        self.records = records
        self.lastHash = lastHash
        self.endsWithShutdown = endsWithShutdown
    }
}

/// The run's verdict.
public enum Verdict: String, Codable, Sendable, Equatable {
    /// Every gate passed.
    case pass
    /// At least one gate failed.
    case fail
    /// No gate failed, but at least one could not be decided from the samples (re-run, or run longer).
    case inconclusive
    /// Every gate the pool controls passed, but an absolute target was host-bound: this host's own floor,
    /// measured in the run, leaves it no room (see ``GateStatus/hostBound``).
    case hostBound = "host-bound"
    /// The run could not complete.
    case incomplete
}
