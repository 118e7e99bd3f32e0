package import Foundation
import HostSystem
import Randomness
package import Reporting

/// Reports and samples built in code for the reporting tests.
package enum ReportFixtures {
    /// `count` values from a normal distribution (Box–Muller on the seeded generator), in milliseconds.
    package static func normal(mean: Double, deviation: Double, count: Int, seed: UInt64) -> [Double] {
        var random = SplitMix64(seed: seed)
        func uniform() -> Double { (Double(random.next() >> 11) + 0.5) / Double(1 << 53) }
        return (0..<count).map { _ in
            mean + deviation * (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
        }
    }

    /// A spectrum carrying `samples` as its recorded distribution (each value its own class).
    package static func spectrum(_ samples: [Double], withDistribution: Bool = true) -> Spectrum {
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
    package static func phase(_ name: String, warmup: Bool = false, _ latencies: [String: Spectrum]) -> PhaseReport {
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
    package static func report(
        scenario: String,
        phases: [PhaseReport],
        overall: PhaseReport? = nil,
        gates: [GateResult] = [],
        backend: String = "simulated",
        hostname: String = "host-a",
        verdict: Verdict = .pass,
        startedAt: Date = Date(timeIntervalSince1970: 1_800_000_000),
        commit: String? = "abc123"
    ) -> RunReport {
        RunReport(
            scenario: scenario,
            description: "fixture",
            startedAt: startedAt,
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
                commit: commit
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
    package static func simple(
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

    // MARK: - A report for the renderers
    // Two phases (one warm-up), latency spectra with distributions, a timeline with a fault window, gates that
    // pass and one that fails.

    package static func spectrum(_ values: [Double: Int]) -> Spectrum {
        let sorted = values.keys.sorted()
        let distribution = RecordedDistribution(valuesMilliseconds: sorted, counts: sorted.map { values[$0]! })
        let all = distribution.expanded()
        func at(_ percentile: Double) -> Double {
            all[Swift.min(all.count - 1, Int((percentile / 100 * Double(all.count)).rounded(.up)) - 1).clamped]
        }
        let plotted: [Double] = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100]
        return Spectrum(
            count: all.count,
            min: all[0],
            mean: all.reduce(0, +) / Double(all.count),
            p50: at(50),
            p90: at(90),
            p95: at(95),
            p99: at(99),
            p999: at(99.9),
            max: all[all.count - 1],
            points: plotted.map { [$0, $0 == 0 ? all[0] : at($0)] },
            distribution: distribution
        )
    }

    package static func latencies() -> [String: Spectrum] {
        [
            "spawn": spectrum([1.8: 600, 2.4: 300, 3.1: 80, 16.5: 15, 21.0: 5]),
            "spawn_warm": spectrum([1.8: 600, 2.4: 300, 3.1: 80]),
            "spawn_on_demand": spectrum([16.5: 15, 21.0: 5]),
            "restore": spectrum([11.0: 500, 12.4: 400, 15.5: 90, 19.0: 10]),
            "firecracker_load": spectrum([10.2: 500, 11.4: 400, 14.7: 100]),
            "process_start": spectrum([1.2: 600, 1.5: 400]),
            "resume": spectrum([0.6: 700, 0.7: 300]),
            "readiness": spectrum([0.7: 800, 2.5: 200]),
            "queue_wait": spectrum([0.01: 980, 14.0: 20]),
        ]
    }

    package static func timeline() -> [TimelineSample] {
        (0..<60).map { index in
            let time = Double(index) * 0.2
            return TimelineSample(
                time: time,
                jemallocAllocated: UInt64(2_000_000 + index * 50_000),
                jemallocActive: UInt64(3_000_000 + index * 50_000),
                jemallocResident: UInt64(8_000_000 + index * 60_000),
                jemallocMapped: 30_000_000,
                jemallocRetained: 12_000_000,
                processRSS: UInt64(40_000_000 + index * 10_000),
                vmmPSSSum: UInt64(2 + index % 3) * 524_288,
                vmmPSSMax: 524_288,
                vmmCount: 2 + index % 3,
                cgroupUsage: nil,
                psiSomeAvg10: 0,
                warm: index % 3,
                restoring: index % 2,
                leased: (index / 5) % 3,
                served: index > 0 ? 2 : 0
            )
        }
    }

    package static let gates = [
        GateResult(expression: "spawn_ms p95 < 50", measured: 3.1, passed: true, reason: nil),
        GateResult(
            expression: "restore_ms p99 < 15",
            measured: 19,
            passed: false,
            reason: "measured 19.0, needs < 15.0"
        ),
        GateResult(expression: "leaks count == 0", measured: 0, passed: true, reason: nil),
    ]

    /// A window with every figure, an instantaneous crash the pool never recovered from, and a fault the
    /// backend could not suffer.
    package static let faults = [
        FaultRecord(
            kind: "memory-pressure",
            startedAt: 4,
            endedAt: 6.5,
            parameters: ["pressure": "80%"],
            targets: ["cgroup <pool> limit → 5.2 MiB"],
            effect: "shed 2 warm VMs",
            observations: FaultObservations(
                leasesDuring: 60,
                errorsDuring: ["memory_pressure": 17],
                errorsAfter: [:],
                spawnP95BeforeMs: 3.7046,
                spawnP95DuringMs: 9.231,
                spawnP95AfterMs: 5.58,
                poolEvents: ["shed": 6, "crashed": 2],
                reactionSeconds: 0.386,
                recoverySeconds: 1.3
            )
        ),
        FaultRecord(
            kind: "vmm_crash",
            startedAt: 8,
            endedAt: nil,
            parameters: ["count": "2", "target": "warm"],
            targets: ["warm-262 (pid 28657, warm)", "warm-266 (pid 28706, warm)"],
            effect: "pool: crashed ×2; first reaction after 0.023 s; spawn not back before the end of the run",
            observations: FaultObservations(
                leasesDuring: 20,
                errorsDuring: [:],
                errorsAfter: ["timeout": 2],
                spawnP95BeforeMs: 16.26,
                spawnP95DuringMs: 58.33,
                spawnP95AfterMs: nil,
                poolEvents: ["crashed": 2],
                reactionSeconds: 0.023,
                recoverySeconds: nil
            )
        ),
        FaultRecord(
            kind: "disk_full",
            startedAt: 10,
            endedAt: 11,
            parameters: [:],
            applied: false,
            effect: "not applied: the simulated backend writes no snapshot files"
        ),
    ]

    package static func rendered(
        scenario: String = "fixture",
        backend: String = "firecracker",
        gates: [GateResult] = gates,
        verdict: Verdict = .fail
    ) -> RunReport {
        let steady = PhaseReport(
            name: "steady",
            warmup: false,
            scheduled: 1_002,
            outcomes: ["served": 1_000, "timeout": 2],
            lateStarts: 3,
            latencies: latencies()
        )
        let warmup = PhaseReport(
            name: "warmup",
            warmup: true,
            scheduled: 15,
            outcomes: ["served": 15],
            lateStarts: 0,
            latencies: ["spawn": spectrum([2.0: 15])]
        )
        return RunReport(
            scenario: scenario,
            description: "A fixture with <markup> & \"quotes\"",
            startedAt: Date(timeIntervalSince1970: 1_800_000_000),
            durationSeconds: 12.5,
            environment: EnvironmentInfo(
                hostname: "ci-host",
                kernel: "6.1.0",
                cpuModel: "Test CPU",
                cpuCount: 2,
                memoryBytes: 25_769_803_776,
                kvmFlavour: "kvm_intel",
                backend: backend,
                firecrackerVersion: backend == "firecracker" ? "1.12.1" : nil,
                firecrackerSHA256: nil,
                allocator: "jemalloc 5.3.0",
                commit: "0123456789abcdef"
            ),
            definitions: ["spawn_ms": "request → readiness", "restore_ms": "PUT /snapshot/load → response"],
            phases: [warmup, steady],
            overall: steady,
            timeline: timeline(),
            faults: faults,
            leakCheck: LeakCheck(
                childVMMs: 0,
                leftoverFiles: [],
                descriptorsBefore: 14,
                descriptorsAfter: 14,
                allocatedBefore: 2_000_000,
                allocatedAfter: 2_100_000,
                allocatedSlopeBytesPerSecond: 120,
                problems: []
            ),
            gates: gates,
            verdict: verdict
        )
    }
}

extension Int {
    fileprivate var clamped: Int { Swift.max(0, self) }
}

/// A comparison built by hand, so every verdict is present.
package enum ComparisonFixture {
    package static func side(_ values: [Double], samples: Int = 400) -> SideSummary {
        SideSummary(runValues: values, samples: samples)
    }

    package static func row(
        _ scenario: String,
        _ metric: String,
        _ statistic: String = "mean",
        phase: String = "overall",
        base: [Double],
        candidate: [Double],
        change: (Double, Double, Double),
        p: Double,
        q: Double,
        decides: Bool = true,
        _ verdict: ComparisonVerdict
    ) -> ComparisonRow {
        let baseSide = side(base)
        return ComparisonRow(
            scenario: scenario,
            phase: phase,
            metric: metric,
            statistic: statistic,
            base: baseSide,
            candidate: side(candidate),
            change: ConfidenceInterval(estimate: change.0, lower: change.1, upper: change.2, level: 0.95),
            relativeChange: baseSide.mean > 0 ? change.0 / baseSide.mean : nil,
            pValue: p,
            adjustedPValue: q,
            decides: decides,
            verdict: verdict
        )
    }

    /// Rows: regressed, improved, within noise (decided), reported within noise, base 0, not enough runs.
    package static let rows = [
        row(
            "smoke",
            "restore",
            base: [12, 12.2, 11.8, 12.1, 11.9],
            candidate: [17, 17.2, 16.9, 17.1, 16.8],
            change: (5, 4.7, 5.2),
            p: 0.0079,
            q: 0.02,
            .regressed
        ),
        row(
            "smoke",
            "spawn",
            "p95",
            base: [4, 4.1, 3.9, 4, 4],
            candidate: [3.3, 3.2, 3.4, 3.3, 3.3],
            change: (-0.7, -0.8, -0.6),
            p: 0.0079,
            q: 0.02,
            .improved
        ),
        row(
            "smoke",
            "outcome",
            base: [3, 3.1, 2.9, 3, 3],
            candidate: [3.05, 3, 3.1, 2.95, 3],
            change: (0.02, -0.05, 0.08),
            p: 0.6,
            q: 0.7,
            .withinNoise
        ),
        row(
            "smoke",
            "queue_wait",
            phase: "steady",
            base: [0.02, 0.021, 0.019, 0.02, 0.02],
            candidate: [0.0206, 0.021, 0.02, 0.02, 0.021],
            change: (0.0006, -0.0004, 0.0012),
            p: 0.3,
            q: 0.9,
            decides: false,
            .withinNoise
        ),
        row(
            "smoke",
            "dispatch_lag",
            phase: "steady",
            base: [0, 0, 0, 0, 0],
            candidate: [0, 0, 0, 0, 0],
            change: (0, 0, 0),
            p: 1,
            q: 1,
            decides: false,
            .withinNoise
        ),
        row(
            "burst",
            "restore",
            base: [12],
            candidate: [12.1],
            change: (0.1, 0.1, 0.1),
            p: 1,
            q: 1,
            .notEnoughRuns
        ),
    ]

    package static func run(_ source: String, scenario: String, verdict: Verdict = .pass) -> ComparedRun {
        ComparedRun(
            source: source,
            scenario: scenario,
            startedAt: Date(timeIntervalSince1970: 1_800_000_000),
            backend: "firecracker",
            hostname: "bench-1",
            commit: "0123abc",
            verdict: verdict
        )
    }

    package static func report(rows: [ComparisonRow] = rows) -> ComparisonReport {
        ComparisonReport(
            settings: ComparisonSettings(),
            base: [run("base/<smoke>.json", scenario: "smoke"), run("base/burst.json", scenario: "burst")],
            candidate: [
                run("cand/smoke.json", scenario: "smoke", verdict: .fail), run("cand/burst.json", scenario: "burst"),
            ],
            rows: rows,
            gateChanges: [
                GateChange(
                    scenario: "smoke",
                    expression: "restore_ms p95 < 20",
                    direction: .nowFailing,
                    basePassed: 1,
                    baseRuns: 1,
                    candidatePassed: 0,
                    candidateRuns: 1
                )
            ],
            notes: ["burst: <b>1</b> run a side; not enough to decide"]
        )
    }
}
