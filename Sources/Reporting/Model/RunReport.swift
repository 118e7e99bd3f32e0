package import Foundation

/// Everything one `snapbench run` of one scenario measured and decided, versioned for tools that read it.
///
/// ```swift
/// let data = try RunReport.encoder().encode(report)
/// let again = try RunReport.decoder().decode(RunReport.self, from: data)
/// ```
package struct RunReport: Codable, Sendable, Equatable {
    /// The format this build writes; bumped when fields change meaning. Version 2 added gate statuses with
    /// their statistical bounds, the `inconclusive` verdict, sign-off, host disturbances, the audit anchor and
    /// per-VM teardown checks; version 1 reports still read.
    package static let currentSchemaVersion = 2

    /// The report format.
    package var schemaVersion: Int = Self.currentSchemaVersion
    /// The scenario's name.
    package var scenario: String
    /// What it represents.
    package var description: String
    /// When the run started.
    package var startedAt: Date
    /// How long it took, in seconds.
    package var durationSeconds: Double
    /// Where it ran and with what.
    package var environment: EnvironmentInfo
    /// The definitions of every measurement, as the report states them.
    package var definitions: [String: String]
    /// Per phase (warm-up phases included, flagged).
    package var phases: [PhaseReport]
    /// All measured (non-warm-up) phases together.
    package var overall: PhaseReport
    /// Samples of memory and pool state over time.
    package var timeline: [TimelineSample]
    /// Faults applied.
    package var faults: [FaultRecord]
    /// After the drain: what was left behind.
    package var leakCheck: LeakCheck
    /// Gate results.
    package var gates: [GateResult]
    /// `pass` when every gate passed and the run completed; otherwise why not (`fail`, `inconclusive`,
    /// `host-bound`, `incomplete`).
    package var verdict: Verdict
    /// Whether the run was a release sign-off (only real Firecracker may pass one); absent before v2.
    package var signOff: Bool?
    /// Windows in which the host, not the run, was the bottleneck (steal, other processes, stalls); absent
    /// before v2.
    package var disturbances: [Disturbance]?
    /// The measured phases without the acquires a disturbance touched; present when there were disturbances.
    package var undisturbed: PhaseReport?
    /// The audit log's record count and last hash, so that a log can be checked against its end.
    package var audit: AuditAnchor?
    /// The CPU-bound floor of the scenario's bursts, when its measured phases are bursts on real Firecracker.
    package var burstFloor: BurstFloor?
    /// The host's own floor for the bursts' restores (as many loads at once with nothing else running), when the
    /// scenario's measured phases are bursts larger than the warm set, on real Firecracker.
    package var restoreFloor: RestoreFloor?
    /// The floor of the guest's first work after a resume (the same re-touch with every page present), when the
    /// scenario's guest does work (`vm.touch_mib`) on real Firecracker.
    package var workFloor: WorkFloor?
    /// Hedged acquires, when the pool hedged (`pool.hedging`).
    package var hedging: HedgingSummary?
    /// The clones' devices and launch mode, and the check of every leased clone for them; absent when the
    /// scenario's VM has no devices and runs unjailed.
    package var devices: DeviceReport?

    package init(
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
    package var isFirecracker: Bool { environment.backend == "firecracker" }

    /// A JSON encoder for reports: sorted keys, ISO 8601 dates, pretty printed.
    package static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// The matching decoder.
    package static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// The machine and the software a run used.
package struct EnvironmentInfo: Codable, Sendable, Equatable {
    package var hostname: String
    package var kernel: String
    package var cpuModel: String
    package var cpuCount: Int
    package var memoryBytes: UInt64
    /// `kvm_intel`, `kvm_amd`, `kvm_pvm` or `none`.
    package var kvmFlavour: String
    /// `firecracker` or `simulated`: a simulated run can never pass a sign-off gate.
    package var backend: String
    /// Firecracker's version, when it ran.
    package var firecrackerVersion: String?
    /// SHA-256 of the Firecracker binary, when it ran.
    package var firecrackerSHA256: String?
    /// e.g. "jemalloc 5.3.0".
    package var allocator: String
    /// The git commit of snapbench, when known.
    package var commit: String?
    /// The snapbench release that made the report (``SnapbenchVersion/current``); absent in earlier reports.
    package var snapbenchVersion: String?

    package init(
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
package enum SnapbenchVersion {
    /// This build's release.
    package static let current = "0.19.0"
}

/// The statistics of one phase (or of the whole run).
package struct PhaseReport: Codable, Sendable, Equatable {
    package var name: String
    /// Warm-up phases are reported but left out of the overall statistics and gates.
    package var warmup: Bool
    /// Acquires scheduled (open loop) or attempted (closed loop).
    package var scheduled: Int
    /// Outcomes by name: `served`, and each error code; they add up to `scheduled`.
    package var outcomes: [String: Int]
    /// Arrivals dispatched later than 1 ms after their intended instant.
    package var lateStarts: Int
    /// Latency spectra by metric name (milliseconds).
    package var latencies: [String: Spectrum]

    package init(
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
    package var served: Int { outcomes["served"] ?? 0 }
    /// Acquires that ended in an error.
    package var errors: Int { outcomes.filter { $0.key != "served" }.values.reduce(0, +) }
}

/// A latency distribution's percentile spectrum, in milliseconds.
package struct Spectrum: Codable, Sendable, Equatable {
    package var count: Int
    package var min: Double
    package var mean: Double
    package var p50: Double
    package var p90: Double
    package var p95: Double
    package var p99: Double
    package var p999: Double
    package var max: Double
    /// (percentile, value in ms) pairs for plotting, 1/(1−p) spaced.
    package var points: [[Double]]
    /// The whole recorded distribution, for histograms and resampling; absent in reports that predate it.
    package var distribution: RecordedDistribution?

    package init(
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
    package static let statistics: [Statistic] = [.p50, .p90, .p95, .p99, .p999, .max, .min, .mean, .count]

    /// One of its statistics; `nil` for one a spectrum does not have (`rate`, `slope`, `last`, `growth`).
    package func value(of statistic: Statistic) -> Double? {
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
package struct RecordedDistribution: Codable, Sendable, Equatable {
    /// Distinct values in milliseconds, ascending.
    package var valuesMilliseconds: [Double]
    /// How many times each value occurred; as long as `valuesMilliseconds`.
    package var counts: [Int]

    package init(valuesMilliseconds: [Double], counts: [Int]) {
        self.valuesMilliseconds = valuesMilliseconds
        self.counts = counts
    }

    /// Total number of values.
    package var totalCount: Int { counts.reduce(0, +) }

    /// Every value, repeated by its count, ascending.
    package func expanded() -> [Double] {
        zip(valuesMilliseconds, counts).flatMap { value, count in repeatElement(value, count: Swift.max(0, count)) }
    }
}

/// One sample of the memory and pool timeline.
package struct TimelineSample: Codable, Sendable, Equatable {
    /// Seconds since the run started.
    package var time: Double
    package var jemallocAllocated: UInt64?
    package var jemallocActive: UInt64?
    package var jemallocResident: UInt64?
    package var jemallocMapped: UInt64?
    package var jemallocRetained: UInt64?
    /// Kernel RSS of the snapbench process.
    package var processRSS: UInt64
    /// Sum, max and count of the VMMs' PSS.
    package var vmmPSSSum: UInt64
    package var vmmPSSMax: UInt64
    package var vmmCount: Int
    package var cgroupUsage: UInt64?
    /// Memory PSI `some avg10`, percent.
    package var psiSomeAvg10: Double?
    package var warm: Int
    package var restoring: Int
    package var leased: Int
    /// Leases served since the previous sample.
    package var served: Int
    /// PSS of the warm VMMs (restored, paused) and how many there were.
    package var warmVMMPSSSum: UInt64?
    package var warmVMMCount: Int?
    /// CPU time the hypervisor stole from this machine since the previous sample, in percent of one CPU.
    package var stealPercent: Double?
    /// CPU used by this run (snapbench and its VMMs) since the previous sample, in percent of one CPU.
    package var runCPUPercent: Double?
    /// CPU used by everything else on the host since the previous sample, in percent of one CPU.
    package var otherCPUPercent: Double?
    /// The worst lateness of the real-time heartbeat since the previous sample, in ms.
    package var heartbeatLateMs: Double?
    /// The worst dispatch lag of an arrival since the previous sample, in ms.
    package var dispatchLagMaxMs: Double?

    package init(
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
package struct FaultRecord: Codable, Sendable, Equatable {
    /// The fault kind, e.g. `vmm_crash`.
    package var kind: String
    /// Seconds since the run started (the timeline's clock).
    package var startedAt: Double
    /// When it was reverted; `nil` for an instantaneous fault.
    package var endedAt: Double?
    /// Its parameters as the scenario wrote them.
    package var parameters: [String: String]
    /// Whether it was applied (a fault this backend cannot suffer is recorded, not applied).
    package var applied: Bool
    /// What it hit: VM ids and pids, files, helper processes.
    package var targets: [String]
    /// What the pool did, in words.
    package var effect: String
    /// What the run measured around it.
    package var observations: FaultObservations?

    package init(
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
package struct FaultObservations: Codable, Sendable, Equatable {
    /// Acquires that arrived while it lasted (at its instant ± 1 s for an instantaneous fault).
    package var leasesDuring: Int
    /// Their error outcomes by code.
    package var errorsDuring: [String: Int]
    /// Error outcomes of acquires that arrived in the 5 s after it ended.
    package var errorsAfter: [String: Int]
    /// Spawn p95 of the acquires that arrived in the 10 s before it began, in ms.
    package var spawnP95BeforeMs: Double?
    /// Spawn p95 while it lasted, in ms.
    package var spawnP95DuringMs: Double?
    /// Spawn p95 in the 5 s after it ended, in ms.
    package var spawnP95AfterMs: Double?
    /// The pool's events from its start to 5 s after its end, by kind (`crashed`, `shed`, `warm_added`, …).
    package var poolEvents: [String: Int]
    /// Seconds from its start to the pool's first reaction (a shed, a crash noticed, a snapshot refused, a
    /// readiness failure, a restore failure); `nil` when the pool had nothing to react to.
    package var reactionSeconds: Double?
    /// Seconds from its end until spawn was back: the first 1 s window with at least 3 arrivals, all served,
    /// whose p95 is within max(1.5 × the p95 before, that + 2 ms). `nil` when it never came back in the run.
    package var recoverySeconds: Double?

    package init(
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
package struct LeakCheck: Codable, Sendable, Equatable {
    package var childVMMs: Int
    package var leftoverFiles: [String]
    package var descriptorsBefore: Int
    package var descriptorsAfter: Int
    package var allocatedBefore: UInt64?
    package var allocatedAfter: UInt64?
    /// Slope of jemalloc `allocated` over the run, bytes per second (least squares).
    package var allocatedSlopeBytesPerSecond: Double?
    /// The problems found, in words; empty when clean.
    package var problems: [String]
    /// Slope of jemalloc `allocated` against leases served over the measured phases after their first 10 s,
    /// in bytes per lease; `nil` when too few leases or samples.
    package var allocatedBytesPerLease: Double?
    /// The limit the leak check judged it by (the scenario's gate, else the default); `nil` when not judged.
    package var allocatedBytesPerLeaseLimit: Double?
    /// Leases the slope was fitted over.
    package var allocatedSlopeLeases: Int?
    /// Process RSS at the end of the load − 10 s into the measured phases, in bytes.
    package var rssGrowthBytes: Int64?
    /// VMs whose teardown was verified as it happened (process reaped, directory, namespace, cgroup, jail
    /// gone), and the problems found.
    package var teardownsVerified: Int?
    package var teardownProblems: [String]?
    /// The descriptors open after the drain that were not open before it, as `fd → target`.
    package var descriptorsLeft: [String]?

    package init(
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
package struct GateResult: Codable, Sendable, Equatable {
    /// The gate as written, or the check's sentence ("nothing lost: …", "run completes").
    package var expression: String
    /// The gate judged; `nil` for a built-in check (and in v1 reports).
    package var gate: Gate?
    /// The measured value (the point estimate), when the metric had one.
    package var measured: Double?
    /// Whether it let the run pass: `pass`, or `disturbed` with the undisturbed acquires passing.
    package var passed: Bool
    /// How it was decided; absent in v1 reports (then `passed` says pass or fail).
    package var status: GateStatus?
    /// The statistical bounds it was decided with, for rate and percentile gates.
    package var bounds: GateBounds?
    /// Why it did not pass, or what it was decided on.
    package var reason: String?
    /// For a gate that failed while the host was disturbed: the evidence and what the undisturbed acquires
    /// gave.
    package var disturbance: String?
    /// For a gate left inconclusive by its undisturbed acquires: `true` when the whole run, at their figures,
    /// would have passed it (too few were left: the host left it open), `false` when it would not have decided
    /// it either (the build is close to the target). `nil` for every other gate.
    package var undecidedByHost: Bool?

    package init(
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
    package var outcome: GateStatus { status ?? (passed ? .pass : .fail) }
}

/// How a gate was decided.
package enum GateStatus: String, Codable, Sendable, Equatable {
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
package struct GateBounds: Codable, Sendable, Equatable {
    /// Lower and upper bound of the statistic (a percentile in ms, a rate as a fraction); `nil` when the samples
    /// give none (e.g. no upper bound on a p99 from 40 samples).
    package var lower: Double?
    package var upper: Double?
    /// The confidence of each one-sided bound, e.g. 0.95.
    package var level: Double
    /// How: `wilson` (a rate) or `order statistics` (a percentile, distribution-free).
    package var method: String
    /// The samples (acquires, or values) it rests on.
    package var samples: Int

    package init(lower: Double?, upper: Double?, level: Double, method: String, samples: Int) {
        self.lower = lower
        self.upper = upper
        self.level = level
        self.method = method
        self.samples = samples
    }
}

/// A window in which the host, not the run, limited what was measured.
package struct Disturbance: Codable, Sendable, Equatable {
    /// Seconds since the run started.
    package var start: Double
    package var end: Double
    /// What was seen, e.g. "steal 38 % of a CPU", "heartbeat 291 ms late".
    package var evidence: [String]

    package init(start: Double, end: Double, evidence: [String]) {
        self.start = start
        self.end = end
        self.evidence = evidence
    }
}

/// Where an audit log ended when its run finished: a log is only proven complete against this.
package struct AuditAnchor: Codable, Sendable, Equatable {
    /// Records in the log.
    package var records: Int
    /// The hash of its last record.
    package var lastHash: String
    /// Whether its last record is the pool's shutdown record.
    package var endsWithShutdown: Bool

    package init(records: Int, lastHash: String, endsWithShutdown: Bool) {
        self.records = records
        self.lastHash = lastHash
        self.endsWithShutdown = endsWithShutdown
    }
}

/// The run's verdict.
package enum Verdict: String, Codable, Sendable, Equatable {
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
