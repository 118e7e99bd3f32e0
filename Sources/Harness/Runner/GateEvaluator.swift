public import Reporting
public import SnapshotPool

/// Decides each gate against a finished run's figures.
///
/// ```swift
/// let results = GateEvaluator(overall: report.overall, timeline: report.timeline, counters: counters, leaks: 0)
///     .evaluate(scenario.gates)
/// ```
public struct GateEvaluator: Sendable {
    /// Latency figures come from here.
    public var overall: PhaseReport
    /// Memory figures come from here.
    public var timeline: [TimelineSample]
    /// The pool's counters (crashes, shed, …).
    public var counters: PoolStatistics.Counters
    /// Problems the leak check found.
    public var leaks: Int
    /// Figures the runner measured besides these: accounting counts and fault timings, by metric name.
    public var additional: [String: Double] = [:]

    public init(overall: PhaseReport, timeline: [TimelineSample], counters: PoolStatistics.Counters, leaks: Int) {
        self.overall = overall
        self.timeline = timeline
        self.counters = counters
        self.leaks = leaks
    }

    /// Evaluates every gate.
    public func evaluate(_ gates: [Gate]) -> [GateResult] {
        gates.map { gate in
            guard let value = value(of: gate) else {
                return GateResult(
                    expression: gate.expression,
                    measured: nil,
                    passed: false,
                    reason: "no \(gate.metric) was measured in this run"
                )
            }
            let passed = gate.passes(value)
            return GateResult(
                expression: gate.expression,
                measured: value,
                passed: passed,
                reason: passed ? nil : "measured \(value), needs \(gate.comparison.rawValue) \(gate.threshold)"
            )
        }
    }

    /// The measured value a gate compares, or `nil` when the run measured none.
    public func value(of gate: Gate) -> Double? {
        let metric = gate.metric
        if GateMetric.faults.contains(metric) {
            return additional[metric]
        }
        if GateMetric.latencies.contains(metric) {
            let name = String(metric.dropLast(3))  // "spawn_ms" → "spawn"
            guard let spectrum = overall.latencies[name] else { return gate.statistic == "count" ? 0 : nil }
            return spectrum.value(of: gate.statistic)
        }
        if GateMetric.memory.contains(metric) {
            let series = memorySeries(metric)
            guard !series.isEmpty else { return nil }
            switch gate.statistic {
            case "max": return series.max()
            case "min": return series.min()
            case "last": return series.last
            default: return series.reduce(0, +) / Double(series.count)
            }
        }
        let count = Double(countValue(metric))
        if gate.statistic == "rate" {
            return overall.scheduled > 0 ? count / Double(overall.scheduled) : 0
        }
        return count
    }

    private func memorySeries(_ metric: String) -> [Double] {
        let mib = 1_048_576.0
        return timeline.compactMap { sample -> Double? in
            switch metric {
            case "pool_resident_mb": sample.jemallocResident.map { Double($0) / mib }
            case "pool_allocated_mb": sample.jemallocAllocated.map { Double($0) / mib }
            case "process_rss_mb": Double(sample.processRSS) / mib
            case "vmm_pss_mb": Double(sample.vmmPSSSum) / mib
            case "vmm_pss_per_warm_vm_mb":
                sample.vmmCount > 0 ? Double(sample.vmmPSSSum) / Double(sample.vmmCount) / mib : nil
            case "cgroup_usage_mb": sample.cgroupUsage.map { Double($0) / mib }
            default: nil
            }
        }
    }

    private func countValue(_ metric: String) -> Int {
        switch metric {
        case "errors": overall.errors
        case "late_starts": overall.lateStarts
        case "leases": overall.served
        case "warm_hits": counters.warmHits
        case "on_demand": counters.onDemand
        case "crashes": counters.warmCrashes + counters.leasedCrashes
        case "readiness_failures": counters.readinessFailures
        case "shed": counters.shed
        case "leaks": leaks
        default: Int(additional[metric] ?? 0)
        }
    }
}
