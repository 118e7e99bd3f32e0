/// Every figure snapbench measures and a gate can name, in reading order: its name in gates and reports, its
/// unit, its definition, and the statistics it allows. Adding a metric is one case here (plus, for a new
/// latency, the place that records it).
///
/// ```swift
/// Metric(rawValue: "spawn_ms")?.latencyKey        // "spawn": the key in `PhaseReport.latencies`
/// Metric.spawn.statistics.contains(.p95)          // true
/// Metric(latencyKey: "restore") == .restore       // true
/// ```
package enum Metric: String, CaseIterable, Codable, Sendable, Comparable {
    // MARK: Latencies, in milliseconds (one sample per acquire or per restore)

    /// Intended arrival (open loop) or request (closed loop) → the guest's readiness line; served acquires.
    case spawn = "spawn_ms"
    /// Spawn of acquires served from the warm set.
    case spawnWarm = "spawn_warm_ms"
    /// Spawn of acquires restored on demand.
    case spawnOnDemand = "spawn_on_demand_ms"
    /// Every scheduled acquire's time to its outcome: a served one at its spawn, an error at its time to the
    /// error, a deadline at the deadline. A failing acquire cannot leave this distribution.
    case outcome = "outcome_ms"
    /// `PUT /snapshot/load` sent → response, for the VM each lease got.
    case restore = "restore_ms"
    /// Firecracker's own `latencies_us.load_snapshot` for the same restores as `restore_ms`.
    case firecrackerLoad = "firecracker_load_ms"
    /// Process start → API socket accepting, for the same VMs.
    case processStart = "process_start_ms"
    /// API socket accepting → load request: the clone's cgroup, jail links, drives and page server made ready.
    case setUp = "set_up_ms"
    /// `PATCH /vm {Resumed}` sent → response.
    case resume = "resume_ms"
    /// Resume response → the guest's proof that it runs (its readiness line, or its agent's reply over vsock).
    case readiness = "readiness_ms"
    /// With readiness over vsock: connecting to the device's socket → Firecracker's `OK` (the guest accepted).
    case vsockConnect = "vsock_connect_ms"
    /// With readiness over vsock: Firecracker's `OK` (the request, sent with the connect, already waiting) → the
    /// agent's reply.
    case agentReply = "agent_reply_ms"
    /// Intended arrival (open loop) or request (closed loop) → the guest's report of its first work.
    case firstWork = "first_work_ms"
    /// The guest's readiness line → its report of its first work (re-touching its working set), host side.
    case workingSet = "working_set_ms"
    /// The same work, timed by the guest's own TSC.
    case workingSetGuest = "working_set_guest_ms"
    /// Time an acquire waited in the pool's queue for a VM or capacity.
    case queueWait = "queue_wait_ms"
    /// Actual dispatch of an open-loop arrival − its intended instant (the load generator's accuracy).
    case dispatchLag = "dispatch_lag_ms"
    /// Spawn − the pool's own acquire time: what the harness adds.
    case harnessOverhead = "harness_overhead_ms"

    // MARK: Ratios (per acquire)

    /// Spawn ÷ the CPU-bound floor of its burst: how close a burst comes to what this host's CPUs can do.
    case spawnFloorRatio = "spawn_floor_ratio"
    /// Restore ÷ the same statistic of the burst's restore floor: the host's own loads at once, with nothing else
    /// running.
    case restoreFloorRatio = "restore_floor_ratio"
    /// The guest's re-touch after a resume (its own TSC) ÷ the same re-touch with every page present: what the
    /// memory backend adds to the first work, as a multiple of the guest's own loop.
    case workFloorRatio = "work_floor_ratio"

    // MARK: Memory, in MiB (sampled at 5 Hz)

    /// jemalloc `stats.resident` of the snapbench process.
    case poolResident = "pool_resident_mb"
    /// jemalloc `stats.allocated` of the snapbench process.
    case poolAllocated = "pool_allocated_mb"
    /// Kernel RSS of the snapbench process.
    case processRSS = "process_rss_mb"
    /// Sum of every VMM's PSS.
    case vmmPSS = "vmm_pss_mb"
    /// PSS of the warm (paused) VMMs ÷ their number.
    case vmmPSSPerWarmVM = "vmm_pss_per_warm_vm_mb"
    /// The pool memory cgroup's usage.
    case cgroupUsage = "cgroup_usage_mb"
    /// Least-squares slope of jemalloc `allocated` against leases served, over the measured phases after their
    /// first 10 s, in bytes per lease.
    case allocatedPerLease = "allocated_bytes_per_lease"

    // MARK: Counts (`count`, or `rate` as a fraction of scheduled acquires)

    /// Acquires that ended in an error.
    case errors
    /// Arrivals dispatched more than 1 ms after their intended instant.
    case lateStarts = "late_starts"
    /// Served acquires.
    case leases
    /// Served acquires that were warm hits.
    case warmHits = "warm_hits"
    /// Served acquires restored on demand.
    case onDemand = "on_demand"
    /// VMMs that died while warm or leased.
    case crashes
    /// VMs destroyed because they failed to prove readiness.
    case readinessFailures = "readiness_failures"
    /// Warm VMs destroyed under memory pressure.
    case shed
    /// Problems the leak check found.
    case leaks
    /// Leases handed a VM whose VMM was already dead.
    case deadAtHandout = "dead_at_handout"
    /// Scheduled acquires without exactly one outcome.
    case unaccounted
    /// Served leases the pool did not get back.
    case unreleased
    /// Problems with the audit log.
    case auditProblems = "audit_problems"
    /// Golden snapshots quarantined.
    case quarantines
    /// Leased clones found without a device of their snapshot.
    case deviceCheckFailures = "device_check_failures"
    /// Hedged acquires: a second VM taken because the first had not proved readiness after the hedge delay.
    case hedges
    /// Hedges whose second VM won.
    case hedgesWon = "hedges_won"
    /// Hedges whose first VM won after all (the second destroyed unused).
    case hedgesWasted = "hedges_wasted"
    /// Faults applied.
    case faultsApplied = "faults_applied"
    /// Faults that could not be applied.
    case faultsNotApplied = "faults_not_applied"

    // MARK: Fault timings, in seconds (the worst over the run's faults)

    /// Fault start → the pool's first reaction; a fault that called for a reaction and got none counts as
    /// infinite.
    case faultReaction = "fault_reaction_s"
    /// Fault end → spawn back to its level before; a fault it never came back from counts as infinite.
    case faultRecovery = "fault_recovery_s"

    /// What kind of figure a metric is.
    package enum Kind: String, Sendable, Codable {
        /// A distribution of durations, in ms.
        case latency
        /// A series sampled over time, in MiB.
        case memory
        /// Allocator growth per lease, in bytes.
        case allocation
        /// A number of events.
        case count
        /// A duration per fault, in seconds.
        case faultTiming
        /// A per-acquire latency divided by a reference measured in the same run.
        case ratio
    }

    /// What kind of figure it is.
    package var kind: Kind {
        switch self {
        case .spawn, .spawnWarm, .spawnOnDemand, .outcome, .restore, .firecrackerLoad, .processStart, .setUp,
            .resume, .readiness, .vsockConnect, .agentReply, .firstWork, .workingSet, .workingSetGuest, .queueWait,
            .dispatchLag, .harnessOverhead:
            .latency
        case .poolResident, .poolAllocated, .processRSS, .vmmPSS, .vmmPSSPerWarmVM, .cgroupUsage: .memory
        case .allocatedPerLease: .allocation
        case .spawnFloorRatio, .restoreFloorRatio, .workFloorRatio: .ratio
        case .faultReaction, .faultRecovery: .faultTiming
        default: .count
        }
    }

    /// The unit its values and thresholds are in.
    package var unit: String {
        switch kind {
        case .latency: "ms"
        case .memory: "MiB"
        case .allocation: "bytes per lease"
        case .count: ""
        case .faultTiming: "s"
        case .ratio: "×"
        }
    }

    /// For a latency, its key in ``PhaseReport/latencies`` (`spawn_ms` → `spawn`); `nil` otherwise.
    package var latencyKey: String? {
        kind == .latency ? String(rawValue.dropLast(3)) : nil
    }

    /// The latency metric recorded under `key` in ``PhaseReport/latencies``.
    package init?(latencyKey key: String) {
        guard let metric = Metric(rawValue: key + "_ms"), metric.kind == .latency else { return nil }
        self = metric
    }

    /// The statistics a gate on it may use.
    package var statistics: [Statistic] {
        switch kind {
        case .latency: [.p50, .p90, .p95, .p99, .p999, .min, .max, .mean, .count]
        case .memory: [.max, .min, .mean, .last, .growth]
        case .allocation: [.slope]
        case .count: [.count, .rate]
        case .faultTiming: [.max]
        case .ratio: [.p50, .p90, .p95, .p99, .max]
        }
    }

    /// Whether `compare` always decides on it (with the metrics the scenario's gates name): the targets
    /// snapbench exists to judge.
    package var isHeadline: Bool { self == .spawn || self == .restore }

    /// Whether it is measured per acquire, so that a gate on it can be judged again without the acquires a
    /// host disturbance touched.
    package var isPerAcquire: Bool {
        switch self {
        case .errors, .lateStarts, .leases, .warmHits, .onDemand: true
        default: kind == .latency || kind == .ratio
        }
    }

    /// What it measures, as every report states it.
    package var definition: String {
        switch self {
        case .spawn:
            "from the intended arrival instant (open loop) or the request (closed loop) to the guest's readiness "
                + "line after resume, for served acquires; queueing inside the pool counts"
        case .spawnWarm: "spawn of acquires served from the warm set"
        case .spawnOnDemand: "spawn of acquires restored on demand"
        case .outcome:
            "every scheduled acquire, from its intended instant to its outcome: a served one at its spawn, a "
                + "failed one at its error, a deadline at the deadline (failures stay in the distribution)"
        case .restore:
            "one VM restored from a snapshot: PUT /snapshot/load request sent → response received, on a "
                + "Firecracker process whose API socket is already up, its load put before everything else on the "
                + "CPUs by ten nice levels (at nice -10 while it loads where snapbench may raise it, else every VMM "
                + "lowered to nice 10 once loaded); for the VM of every lease"
        case .firecrackerLoad:
            "Firecracker's own latencies_us.load_snapshot, for the same restores as restore_ms"
        case .processStart:
            "Firecracker process spawned → its API socket accepting, for the same VMs; for a process started ahead "
                + "of need (pool.standby_vmms) this was before the request, and spawn does not include it"
        case .setUp:
            "the Firecracker process's API socket accepting → the load request sent, for the same VMs: the clone's "
                + "place made ready (its cgroup, the snapshot's files linked into its jail, its drives linked or "
                + "copied, its page server listening)"
        case .resume: "PATCH /vm {state: Resumed} sent → response received"
        case .readiness:
            "resume response → the guest's proof that it runs: its readiness line on the serial console, or with "
                + "vm.readiness: vsock its agent's reply to the readiness request over a connection opened after the "
                + "resume"
        case .vsockConnect:
            "with vm.readiness: vsock: connecting to the clone's vsock device socket and writing CONNECT <port> "
                + "(the readiness request in the same write, behind it) → Firecracker's OK <port>, sent once the guest "
                + "accepted the connection (a restore resets every vsock connection, so each lease opens a new one)"
        case .agentReply:
            "with vm.readiness: vsock: Firecracker's OK <port> (the readiness request, written with the connect, "
                + "already waiting) → the agent's reply line read"
        case .firstWork:
            "from the intended arrival instant (open loop) or the request (closed loop) to the guest's report that it "
                + "re-touched its working set after resume (vm.touch_mib): the time to useful work"
        case .workingSet:
            "the guest's readiness line → its report that it re-touched vm.touch_mib of its working set, both read "
                + "by the host: what the memory backend makes the first work after a restore cost"
        case .workingSetGuest: "the same re-touch timed by the guest's own TSC, beside working_set_ms as a cross-check"
        case .queueWait: "time an acquire waited in the pool's queue for a VM or for capacity"
        case .dispatchLag: "actual dispatch of an open-loop arrival − its intended instant"
        case .harnessOverhead: "spawn − the pool's own acquire time: dispatch lag, task start and recording"
        case .spawnFloorRatio:
            "spawn ÷ the CPU-bound floor of a burst: (warm hits per burst × the CPU of one warm spawn + on-demand "
                + "spawns per burst × the CPU of one on-demand spawn) ÷ online CPUs, the costs measured one VM at a "
                + "time at the start of the run (VMM threads + snapbench, from schedstat); burst phases only"
        case .workFloorRatio:
            "working_set_guest_ms ÷ the work floor: the same re-touch of vm.touch_mib with every page already present, "
                + "timed by the guest's TSC on 5 clones of the same guest (each asked twice over its agent; the second "
                + "time is the sample, the median the floor), measured at the start of the run; what the memory backend "
                + "adds to the first work after a resume, as a multiple of the guest's own loop"
        case .restoreFloorRatio:
            "restore ÷ the same statistic of the burst's restore floor: as many Firecracker processes as one burst "
                + "restores on demand, started at one instant and each loading the snapshot as soon as its API socket "
                + "is up, with nothing else running (no pool, no resumed guest, no load generator), 16 rounds at the "
                + "start of the run; each load timed as restore_ms is; burst phases only"
        case .poolResident:
            "jemalloc stats.resident of the snapbench process, sampled at 5 Hz (epoch refreshed), measured phases"
        case .poolAllocated: "jemalloc stats.allocated of the snapbench process (thread caches off), measured phases"
        case .processRSS: "kernel RSS of the snapbench process, measured phases"
        case .vmmPSS:
            "sum of the pool's VMMs' Pss from /proc/PID/smaps_rollup, with their hugetlb pages added (Pss leaves "
                + "them out); each sample re-reads at most 8 VMMs (new ones first, then the longest unread) and "
                + "reuses the others' last reading"
        case .vmmPSSPerWarmVM: "Pss of the warm (restored, paused) VMMs ÷ their number"
        case .cgroupUsage: "the pool memory cgroup's usage"
        case .allocatedPerLease:
            "least-squares slope of jemalloc allocated against leases served, over the measured phases after "
                + "their first 10 s (0 means flat)"
        case .errors: "acquires that ended in an error"
        case .lateStarts: "arrivals dispatched more than 1 ms after their intended instant"
        case .leases: "served acquires"
        case .warmHits: "served acquires that were warm hits"
        case .onDemand: "served acquires restored on demand"
        case .crashes: "VMMs that died while warm or leased, during the measured phases"
        case .readinessFailures: "VMs destroyed because they failed to prove readiness, during the measured phases"
        case .shed: "warm VMs destroyed under memory pressure, during the measured phases"
        case .leaks:
            "after the drain and at every VM's teardown: VMMs, files, namespaces, cgroups and descriptors left, "
                + "and allocator growth per lease over its limit"
        case .deadAtHandout: "leases handed a VM whose VMM was already dead"
        case .unaccounted: "scheduled acquires without exactly one outcome"
        case .unreleased: "served leases the pool did not get back"
        case .auditProblems: "problems with the audit log: chain, sequence, end, or records missing"
        case .quarantines: "golden snapshots quarantined after a failed load"
        case .deviceCheckFailures:
            "leased clones that lacked a device of their snapshot: the VMM's GET /vm/config against the spec, each "
                + "TAP in the clone's own network namespace, its vsock socket accepting, its drives in its "
                + "directory and open in its VMM"
        case .hedges:
            "hedged acquires: the first VM had not proved readiness after the hedge delay (p99 of recent readiness × "
                + "pool.hedging.multiplier, or pool.hedging.delay), so a second was taken (warm, else restored on demand); "
                + "the first to prove readiness was leased, the other destroyed unused"
        case .hedgesWon: "hedges whose second VM proved readiness first and was leased"
        case .hedgesWasted: "hedges whose first VM proved readiness first after all: the second was destroyed unused"
        case .faultsApplied: "faults applied"
        case .faultsNotApplied: "faults that could not be applied"
        case .faultReaction:
            "fault start → the pool's first reaction (the worst fault); a fault that called for a reaction and "
                + "got none counts as infinite"
        case .faultRecovery:
            "fault end → spawn back to its level before (the worst fault); one it never came back from counts as "
                + "infinite"
        }
    }

    /// Declaration order: the order reports list metrics in.
    package static func < (left: Metric, right: Metric) -> Bool {
        let order = Metric.allCases
        return order.firstIndex(of: left)! < order.firstIndex(of: right)!
    }
}

/// A summary statistic of a metric.
///
/// ```swift
/// Statistic.p95.percentile  // 95
/// Statistic.max.percentile  // nil
/// ```
package enum Statistic: String, CaseIterable, Codable, Sendable {
    case p50, p90, p95, p99, p999, min, max, mean
    /// The last sample of a series.
    case last
    /// A series' value at the end of the load − its value 10 s into the measured phases.
    case growth
    /// A number of events.
    case count
    /// A number of events ÷ scheduled acquires.
    case rate
    /// A regression slope.
    case slope

    /// The percentile it names (`p999` → 99.9), or `nil`.
    package var percentile: Double? {
        switch self {
        case .p50: 50
        case .p90: 90
        case .p95: 95
        case .p99: 99
        case .p999: 99.9
        default: nil
        }
    }
}
