import Foundation
import HostSystem
import Reporting

/// Reports and samples built in code for the reporting tests.
enum ReportFixtures {
    /// `count` values from a normal distribution (Box–Muller on the seeded generator), in milliseconds.
    static func normal(mean: Double, deviation: Double, count: Int, seed: UInt64) -> [Double] {
        var random = SplitMix64(seed: seed)
        func uniform() -> Double { (Double(random.next() >> 11) + 0.5) / Double(1 << 53) }
        return (0..<count).map { _ in
            mean + deviation * (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
        }
    }

    /// A spectrum carrying `samples` as its recorded distribution (each value its own class).
    static func spectrum(_ samples: [Double], withDistribution: Bool = true) -> Spectrum {
        let sorted = samples.sorted()
        var values: [Double] = []
        var counts: [Int] = []
        for value in sorted {
            if values.last == value {
                counts[counts.count - 1] += 1
            } else {
                values.append(value)
                counts.append(1)
            }
        }
        let p95 = SampleStatistics.percentile(95, ofSorted: sorted)
        return Spectrum(
            count: sorted.count,
            min: sorted.first ?? 0,
            mean: SampleStatistics.mean(sorted),
            p50: SampleStatistics.percentile(50, ofSorted: sorted),
            p90: SampleStatistics.percentile(90, ofSorted: sorted),
            p95: p95,
            p99: SampleStatistics.percentile(99, ofSorted: sorted),
            p999: SampleStatistics.percentile(99.9, ofSorted: sorted),
            max: sorted.last ?? 0,
            points: [[95, p95]],
            distribution: withDistribution ? RecordedDistribution(valuesMilliseconds: values, counts: counts) : nil
        )
    }

    /// A phase whose latencies are the given samples by metric.
    static func phase(_ name: String, warmup: Bool = false, _ latencies: [String: Spectrum]) -> PhaseReport {
        PhaseReport(
            name: name,
            warmup: warmup,
            scheduled: latencies.values.map(\.count).max() ?? 0,
            outcomes: ["served": latencies.values.map(\.count).max() ?? 0],
            lateStarts: 0,
            latencies: latencies
        )
    }

    /// A run report of `scenario` with the given phases (the overall phase pools the measured ones' spectra
    /// when `overall` is not given) and gates.
    static func report(
        scenario: String,
        phases: [PhaseReport],
        overall: PhaseReport? = nil,
        gates: [GateResult] = [],
        backend: String = "simulated",
        hostname: String = "host-a",
        verdict: Verdict = .pass
    ) -> RunReport {
        RunReport(
            scenario: scenario,
            description: "fixture",
            startedAt: Date(timeIntervalSince1970: 1_800_000_000),
            durationSeconds: 10,
            environment: EnvironmentInfo(
                hostname: hostname,
                kernel: "6.1.0",
                cpuModel: "Test CPU",
                cpuCount: 2,
                memoryBytes: 1 << 30,
                kvmFlavour: "none",
                backend: backend,
                firecrackerVersion: nil,
                firecrackerSHA256: nil,
                allocator: "jemalloc 5.3.0",
                commit: "abc123"
            ),
            definitions: ["spawn_ms": "request to guest readiness"],
            phases: phases,
            overall: overall
                ?? PhaseReport(
                    name: "overall",
                    warmup: false,
                    scheduled: 0,
                    outcomes: [:],
                    lateStarts: 0,
                    latencies: phases.first { !$0.warmup }?.latencies ?? [:]
                ),
            timeline: [],
            faults: [],
            leakCheck: LeakCheck(
                childVMMs: 0,
                leftoverFiles: [],
                descriptorsBefore: 10,
                descriptorsAfter: 10,
                allocatedBefore: nil,
                allocatedAfter: nil,
                allocatedSlopeBytesPerSecond: nil,
                problems: []
            ),
            gates: gates,
            verdict: verdict
        )
    }

    /// A one-phase report of `scenario` whose `restore` and `spawn` metrics are the given samples.
    static func simple(
        scenario: String = "smoke",
        restore: [Double],
        spawn: [Double],
        gates: [GateResult] = []
    ) -> LoadedReport {
        let phase = phase("steady", ["restore": spectrum(restore), "spawn": spectrum(spawn)])
        return LoadedReport(
            source: "\(scenario).json",
            report: report(scenario: scenario, phases: [Self.phase("warmup", warmup: true, [:]), phase], gates: gates)
        )
    }
}
