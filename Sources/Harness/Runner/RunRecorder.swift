import Firecracker
import Foundation
import Histogram
public import Reporting
public import SnapshotPool
import Synchronization

/// Collects every outcome and latency of a run, per phase; safe to call from every lease's task.
///
/// Every scheduled acquire ends as exactly one outcome (`served` or an error code), so the outcome counts
/// reconcile with the schedule.
public final class RunRecorder: Sendable {
    struct PhaseData {
        var name: String
        var warmup: Bool
        var scheduled = 0
        var outcomes: [String: Int] = [:]
        var lateStarts = 0
        var histograms: [String: LatencyHistogram] = [:]

        mutating func record(_ metric: String, _ value: Duration) {
            histograms[metric, default: LatencyHistogram()].record(value)
        }
    }

    /// Arrivals dispatched later than this after their intended instant count as late starts.
    public static let lateStartThreshold: Duration = .milliseconds(1)

    private let phases = Mutex<[PhaseData]>([])
    private let servedCounter = Mutex<Int>(0)

    public init() {}

    /// Starts a new phase; later records go to it.
    public func beginPhase(_ name: String, warmup: Bool) -> Int {
        phases.withLock { phases in
            phases.append(PhaseData(name: name, warmup: warmup))
            return phases.count - 1
        }
    }

    /// An acquire was scheduled (open loop) or attempted (closed loop); `lag` is dispatch − intended.
    public func scheduled(phase: Int, dispatchLag: Duration?) {
        phases.withLock { phases in
            phases[phase].scheduled += 1
            if let dispatchLag {
                phases[phase].record("dispatch_lag", dispatchLag)
                if dispatchLag > Self.lateStartThreshold { phases[phase].lateStarts += 1 }
            }
        }
    }

    /// A lease was served `spawn` after its intended instant.
    public func served(phase: Int, lease: Lease, spawn: Duration) {
        servedCounter.withLock { $0 += 1 }
        phases.withLock { phases in
            phases[phase].outcomes["served", default: 0] += 1
            phases[phase].record("spawn", spawn)
            phases[phase].record(lease.path == .warm ? "spawn_warm" : "spawn_on_demand", spawn)
            phases[phase].record("queue_wait", lease.timings.queueWait)
            // What the harness adds to the pool's own acquire: dispatch lag, task start, and this record call.
            phases[phase].record("harness_overhead", spawn - lease.timings.acquire)
            let stages = lease.timings.stages
            if let value = stages.load { phases[phase].record("restore", value) }
            if let value = stages.firecrackerLoad { phases[phase].record("firecracker_load", value) }
            if let value = stages.processStart { phases[phase].record("process_start", value) }
            if let value = stages.resume { phases[phase].record("resume", value) }
            if let value = stages.readiness { phases[phase].record("readiness", value) }
        }
    }

    /// An acquire ended in an error.
    public func failed(phase: Int, error: any Error) {
        let code = PoolError.outcome(of: error)
        phases.withLock { $0[phase].outcomes[code, default: 0] += 1 }
    }

    /// Leases served so far (for progress and the timeline's throughput).
    public var servedCount: Int { servedCounter.withLock { $0 } }

    /// The current spawn p95 of a phase, in milliseconds (for progress).
    public func spawnP95(phase: Int) -> Double? {
        phases.withLock { $0[phase].histograms["spawn"]?.percentile(95)?.inMilliseconds }
    }

    /// Outcomes so far: served and failed, over every phase.
    public var totals: (served: Int, failed: Int) {
        phases.withLock { phases in
            let served = phases.map { $0.outcomes["served"] ?? 0 }.reduce(0, +)
            let all = phases.map { $0.outcomes.values.reduce(0, +) }.reduce(0, +)
            return (served, all - served)
        }
    }

    /// The per-phase reports and the overall report of the measured (non-warm-up) phases.
    public func reports() -> (phases: [PhaseReport], overall: PhaseReport) {
        let data = phases.withLock { $0 }
        var overall = PhaseData(name: "overall", warmup: false)
        for phase in data where !phase.warmup {
            overall.scheduled += phase.scheduled
            overall.lateStarts += phase.lateStarts
            overall.outcomes.merge(phase.outcomes, uniquingKeysWith: +)
            for (metric, histogram) in phase.histograms {
                overall.histograms[metric, default: LatencyHistogram()].add(histogram)
            }
        }
        return (data.map(Self.report), Self.report(overall))
    }

    private static func report(_ data: PhaseData) -> PhaseReport {
        PhaseReport(
            name: data.name,
            warmup: data.warmup,
            scheduled: data.scheduled,
            outcomes: data.outcomes,
            lateStarts: data.lateStarts,
            latencies: data.histograms.compactMapValues { $0.spectrum }
        )
    }
}

extension LatencyHistogram {
    /// Every recorded value class (its median-equivalent value, in milliseconds) with its count.
    public var distribution: RecordedDistribution {
        var values: [Double] = []
        var counts: [Int] = []
        for recorded in histogram.recordedValues() where recorded.count > 0 {
            let median = histogram.medianEquivalentForValue(recorded.value)
            values.append(Duration.nanoseconds(Int64(median)).inMilliseconds)
            counts.append(Int(recorded.count))
        }
        return RecordedDistribution(valuesMilliseconds: values, counts: counts)
    }

    /// The percentile spectrum, in milliseconds; `nil` when empty.
    public var spectrum: Spectrum? {
        guard count > 0 else { return nil }
        func ms(_ percentile: Double) -> Double { self.percentile(percentile)?.inMilliseconds ?? 0 }
        let plotted: [Double] = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100]
        return Spectrum(
            count: count,
            min: min?.inMilliseconds ?? 0,
            mean: mean?.inMilliseconds ?? 0,
            p50: ms(50),
            p90: ms(90),
            p95: ms(95),
            p99: ms(99),
            p999: ms(99.9),
            max: max?.inMilliseconds ?? 0,
            points: plotted.map { [$0, ms($0)] },
            distribution: distribution
        )
    }
}
