import Foundation
import Reporting

/// A run report built in code: two phases (one warm-up), latency spectra with distributions, a timeline
/// with a fault window, gates that pass and one that fails.
enum ReportFixture {
    static func spectrum(_ values: [Double: Int]) -> Spectrum {
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

    static func latencies() -> [String: Spectrum] {
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

    static func timeline() -> [TimelineSample] {
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

    static let gates = [
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
    static let faults = [
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

    static func report(
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
