import Foundation
import Reporting
import TestSupport
import Testing

/// The JSON format is a contract with every tool that reads reports: a fixed report must encode to the
/// committed file byte for byte. After an intended change of the format, re-record it with
/// `SNAPBENCH_RECORD_GOLDEN=1 swift test --filter RunReportGoldenTests` and review the diff.
@Suite("Run report JSON")
struct RunReportGoldenTests {
    static let goldenPath: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        return url.appendingPathComponent("Golden/run-report.json").path
    }()

    /// Every field set, optional ones both present and absent, so the file shows the whole format.
    static let fixed = RunReport(
        scenario: "golden",
        description: "A fixed report for the golden-file test.",
        startedAt: Date(timeIntervalSince1970: 1_800_000_000),
        durationSeconds: 13.5,
        environment: EnvironmentInfo(
            hostname: "bench-1",
            kernel: "6.1.0-28-cloud-amd64",
            cpuModel: "AMD EPYC 7B13",
            cpuCount: 2,
            memoryBytes: 25_276_514_304,
            kvmFlavour: "kvm_amd",
            backend: "firecracker",
            firecrackerVersion: "1.12.1",
            firecrackerSHA256: "b99ea49b8d8b7bfa307d3845585d6a97f7642aa17a985749900370070d8ca930",
            allocator: "jemalloc 5.3.0",
            commit: "7806d1a"
        ),
        definitions: ["restore_ms": "PUT /snapshot/load to its response", "spawn_ms": "request to guest readiness"],
        phases: [
            PhaseReport(
                name: "warmup",
                warmup: true,
                scheduled: 2,
                outcomes: ["served": 2],
                lateStarts: 0,
                latencies: [:]
            ),
            phase,
        ],
        overall: phase,
        timeline: [
            TimelineSample(
                time: 0.25,
                jemallocAllocated: 1_048_576,
                jemallocActive: 2_097_152,
                jemallocResident: 6_291_456,
                jemallocMapped: 20_971_520,
                jemallocRetained: 4_194_304,
                processRSS: 31_457_280,
                vmmPSSSum: 1_048_576,
                vmmPSSMax: 524_288,
                vmmCount: 2,
                cgroupUsage: 41_943_040,
                psiSomeAvg10: 0.5,
                warm: 2,
                restoring: 0,
                leased: 1,
                served: 3,
                warmVMMPSSSum: 524_288,
                warmVMMCount: 1,
                stealPercent: 40,
                runCPUPercent: 95.5,
                otherCPUPercent: 2,
                heartbeatLateMs: 0.25,
                dispatchLagMaxMs: 0.125
            ),
            TimelineSample(
                time: 0.5,
                jemallocAllocated: nil,
                jemallocActive: nil,
                jemallocResident: nil,
                jemallocMapped: nil,
                jemallocRetained: nil,
                processRSS: 31_457_280,
                vmmPSSSum: 0,
                vmmPSSMax: 0,
                vmmCount: 0,
                cgroupUsage: nil,
                psiSomeAvg10: nil,
                warm: 0,
                restoring: 1,
                leased: 0,
                served: 0
            ),
        ],
        faults: [
            FaultRecord(
                kind: "memory_pressure",
                startedAt: 2,
                endedAt: 4.5,
                parameters: ["balloon_mib": "512"],
                applied: true,
                targets: ["balloon pid 4242, 512 MiB in snapbench-golden"],
                effect: "balloon freed; pool: shed ×1; first reaction after 0.25 s; spawn back within 0.5 s of the end",
                observations: FaultObservations(
                    leasesDuring: 5,
                    errorsDuring: ["memory_pressure": 2],
                    errorsAfter: [:],
                    spawnP95BeforeMs: 3,
                    spawnP95DuringMs: 9.5,
                    spawnP95AfterMs: 3.25,
                    poolEvents: ["pressure_critical": 1, "shed": 1],
                    reactionSeconds: 0.25,
                    recoverySeconds: 0.5
                )
            ),
            // Instantaneous, and the pool had nothing to react to and spawn never came back: optional figures
            // absent.
            FaultRecord(
                kind: "vmm_crash",
                startedAt: 6,
                endedAt: nil,
                parameters: ["count": "1", "target": "warm"],
                targets: ["warm-7 (pid 4300, warm)"],
                effect: "no pool reaction; spawn not back before the end",
                observations: FaultObservations(
                    leasesDuring: 0,
                    errorsDuring: [:],
                    errorsAfter: ["deadline": 1],
                    spawnP95BeforeMs: nil,
                    spawnP95DuringMs: nil,
                    spawnP95AfterMs: nil,
                    poolEvents: [:],
                    reactionSeconds: nil,
                    recoverySeconds: nil
                )
            ),
            FaultRecord(
                kind: "disk_full",
                startedAt: 8,
                endedAt: nil,
                parameters: ["path": "snapshots"],
                applied: false,
                effect: "not applied: the simulated backend writes no files"
            ),
        ],
        leakCheck: LeakCheck(
            childVMMs: 0,
            leftoverFiles: [],
            descriptorsBefore: 16,
            descriptorsAfter: 16,
            allocatedBefore: 1_048_576,
            allocatedAfter: 1_064_960,
            allocatedSlopeBytesPerSecond: 12.5,
            problems: [],
            allocatedBytesPerLease: 0.5,
            allocatedBytesPerLeaseLimit: 16,
            allocatedSlopeLeases: 4_000,
            rssGrowthBytes: 65_536,
            teardownsVerified: 6,
            teardownProblems: [],
            descriptorsLeft: []
        ),
        gates: [
            GateResult(expression: "spawn_ms p95 < 50", measured: 3.25, passed: true, reason: nil),
            GateResult(
                expression: "restore_ms p95 < 10",
                measured: 12.5,
                passed: false,
                reason: "measured 12.500 ms, not < 10"
            ),
            GateResult(expression: "cgroup_usage_mb max < 1", measured: nil, passed: false, reason: "no cgroup"),
            GateResult(
                expression: "late_starts rate < 0.05",
                measured: 0.25,
                passed: false,
                status: .inconclusive,
                bounds: GateBounds(lower: 0.046, upper: 0.69, level: 0.95, method: "wilson", samples: 4),
                reason: "1 of 4: the bound straddles 0.05"
            ),
            GateResult(
                expression: "outcome_ms p50 < 3",
                measured: 2.5,
                passed: true,
                status: .disturbed,
                bounds: GateBounds(lower: 2.5, upper: nil, level: 0.95, method: "order statistics", samples: 3),
                reason: "p50 2.5 ms of 3 samples",
                disturbance: "the host was disturbed (2–3 s: CPU steal 40 % of a CPU); without the 1 acquire it "
                    + "touched: measured 2.5 — passes"
            ),
            GateResult(
                expression: "nothing lost: the drain left nothing",
                measured: 0,
                passed: true,
                status: .pass,
                reason: nil
            ),
        ],
        verdict: .fail,
        signOff: true,
        disturbances: [Disturbance(start: 2, end: 3, evidence: ["CPU steal 40 % of a CPU"])],
        undisturbed: PhaseReport(
            name: "overall",
            warmup: false,
            scheduled: 3,
            outcomes: ["served": 3],
            lateStarts: 0,
            latencies: [:]
        ),
        audit: AuditAnchor(records: 42, lastHash: String(repeating: "ab", count: 32), endsWithShutdown: true)
    )

    static let phase = PhaseReport(
        name: "steady",
        warmup: false,
        scheduled: 4,
        outcomes: ["served": 3, "deadline": 1],
        lateStarts: 1,
        latencies: [
            "restore": Spectrum(
                count: 3,
                min: 11.5,
                mean: 12,
                p50: 12,
                p90: 12.5,
                p95: 12.5,
                p99: 12.5,
                p999: 12.5,
                max: 12.5,
                points: [[0, 11.5], [50, 12], [100, 12.5]],
                distribution: RecordedDistribution(valuesMilliseconds: [11.5, 12, 12.5], counts: [1, 1, 1])
            ),
            "spawn": Spectrum(
                count: 3,
                min: 2.5,
                mean: 2.75,
                p50: 2.5,
                p90: 3.25,
                p95: 3.25,
                p99: 3.25,
                p999: 3.25,
                max: 3.25,
                points: [[0, 2.5], [100, 3.25]]
            ),
        ]
    )

    @Test("a fixed report encodes to the committed golden file")
    func golden() throws {
        let encoded = try RunReport.encoder().encode(Self.fixed)
        if ProcessInfo.processInfo.environment["SNAPBENCH_RECORD_GOLDEN"] == "1" {
            try encoded.write(to: URL(fileURLWithPath: Self.goldenPath))
            Issue.record(
                "re-recorded \(Self.goldenPath); review the diff and run again without SNAPBENCH_RECORD_GOLDEN"
            )
            return
        }
        let golden = try #require(
            FileManager.default.contents(atPath: Self.goldenPath),
            "no golden file at \(Self.goldenPath); record it with SNAPBENCH_RECORD_GOLDEN=1"
        )
        #expect(String(decoding: encoded, as: UTF8.self) == String(decoding: golden, as: UTF8.self))
    }

    @Test("the golden file decodes to the fixed report, and encoding again changes nothing")
    func roundTrip() throws {
        let data = try #require(FileManager.default.contents(atPath: Self.goldenPath))
        let decoded = try RunReport.decoder().decode(RunReport.self, from: data)
        #expect(decoded == Self.fixed)
        #expect(try RunReport.encoder().encode(decoded) == data)
    }

    @Test("the fixed report and the golden file satisfy the schema")
    func schema() throws {
        try ReportSchema.check(Self.fixed)
        try ReportSchema.check(json: try #require(FileManager.default.contents(atPath: Self.goldenPath)))
        try ReportSchema.check(ReportFixtures.simple(restore: [1, 2], spawn: [3]).report)
    }

    @Test("the schema is strict: unknown fields, a missing field and an unknown verdict or backend fail")
    func strictSchema() throws {
        let valid = try JSONSerialization.jsonObject(with: RunReport.encoder().encode(Self.fixed)) as? [String: Any]
        let report = try #require(valid)
        func failure(_ change: (inout [String: Any]) -> Void) throws -> String {
            var copy = report
            change(&copy)
            do {
                try ReportSchema.check(json: try JSONSerialization.data(withJSONObject: copy))
            } catch let failure as ReportSchema.Failure {
                #expect(failure.status == 1, "\(failure)")
                return failure.output
            }
            Issue.record("the schema accepted an invalid report")
            return ""
        }
        #expect(try failure { $0["extra"] = true }.contains("'extra' was unexpected"))
        #expect(try failure { $0["verdict"] = "maybe" }.contains("verdict: 'maybe' is not one of"))
        #expect(try failure { $0.removeValue(forKey: "leakCheck") }.contains("'leakCheck' is a required property"))
        #expect(try failure { $0["startedAt"] = "yesterday" }.contains("is not a 'date-time'"))
        #expect(
            try failure { report in
                var environment = report["environment"] as? [String: Any] ?? [:]
                environment["backend"] = "qemu"
                report["environment"] = environment
            }
            .contains("environment/backend: 'qemu' is not one of")
        )
        #expect(
            try failure { report in
                var overall = report["overall"] as? [String: Any] ?? [:]
                overall["latencies"] = ["spawn": ["count": 1]]
                report["overall"] = overall
            }
            .contains("overall/latencies/spawn: 'min' is a required property")
        )
        func changeFault(_ change: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
            { report in
                var faults = report["faults"] as? [[String: Any]] ?? []
                change(&faults[0])
                report["faults"] = faults
            }
        }
        #expect(try failure(changeFault { $0.removeValue(forKey: "applied") }).contains("'applied' is a required"))
        #expect(
            try failure(
                changeFault { fault in
                    var observations = fault["observations"] as? [String: Any] ?? [:]
                    observations["mood"] = "calm"
                    observations["leasesDuring"] = -1
                    fault["observations"] = observations
                }
            )
            .contains("'mood' was unexpected")
        )
        #expect(
            try failure(
                changeFault { fault in
                    var observations = fault["observations"] as? [String: Any] ?? [:]
                    observations["errorsDuring"] = ["memory_pressure": "many"]
                    fault["observations"] = observations
                }
            )
            .contains("faults/0/observations/errorsDuring/memory_pressure")
        )
    }

    @Test("a check that cannot run fails loudly instead of passing")
    func checkCannotRun() throws {
        #expect {
            try ReportSchema.check(json: Data("{}".utf8), python: "/nonexistent/python3")
        } throws: { error in
            guard let failure = error as? ReportSchema.Failure else { return false }
            return failure.status != 0 && failure.status != 1
        }
    }
}
