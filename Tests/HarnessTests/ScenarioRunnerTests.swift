import Firecracker
import Foundation
import Harness
import Reporting
import SnapshotPool
import TestSupport
import Testing

@Suite("Arrival schedules")
struct ArrivalScheduleTests {
    @Test("constant arrival rate: evenly spaced, rate × duration arrivals")
    func constant() {
        let offsets = ArrivalSchedule.offsets(for: .constantArrivalRate(rate: 10, duration: .seconds(1)), seed: 1)
        #expect(offsets.count == 10)
        #expect(offsets.first == .zero)
        #expect(abs(offsets[9].inMilliseconds - 900) < 0.001)
    }

    @Test("bursts: count arrivals spread evenly, bursts apart by the interval")
    func bursts() {
        let offsets = ArrivalSchedule.offsets(
            for: .burst(count: 4, spread: .milliseconds(30), bursts: 2, interval: .seconds(1)),
            seed: 1
        )
        #expect(offsets.count == 8)
        #expect(offsets.map { ($0.inMilliseconds * 1000).rounded() / 1000 } == [0, 10, 20, 30, 1000, 1010, 1020, 1030])
        #expect(
            ArrivalSchedule.offsets(for: .burst(count: 1, spread: .zero, bursts: 1, interval: .zero), seed: 1) == [
                .zero
            ]
        )
    }

    @Test("poisson: seeded, within the duration, about rate × duration arrivals")
    func poisson() {
        let load = LoadProfile.poisson(rate: 200, duration: .seconds(10))
        let first = ArrivalSchedule.offsets(for: load, seed: 5)
        #expect(first == ArrivalSchedule.offsets(for: load, seed: 5))
        #expect(abs(first.count - 2000) < 150)
        #expect(first.allSatisfy { $0 < .seconds(10) })
        #expect(zip(first, first.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test("ramping: the count is the integral of the rate; arrivals grow denser")
    func ramping() {
        let offsets = ArrivalSchedule.offsets(
            for: .rampingArrivalRate(startRate: 0, stages: [RampStage(target: 100, duration: .seconds(2))]),
            seed: 1
        )
        #expect(abs(offsets.count - 100) <= 1)
        let firstHalf = offsets.filter { $0 < .seconds(1) }.count
        #expect(firstHalf < offsets.count / 2)
        #expect(
            ArrivalSchedule.offsets(for: .workers(count: 2, thinkTime: .fixed(.zero), duration: .seconds(1)), seed: 1)
                .isEmpty
        )
    }
}

@Suite("Scenario runner on the simulated backend", .serialized)
struct ScenarioRunnerTests {
    private func scenario(load: LoadProfile, gates: [Gate], warmup: Bool = false) -> Scenario {
        Scenario(
            name: "test",
            description: "runner test",
            seed: 3,
            backend: .simulated,
            vm: .builtInGuest(workingSetMiB: 4, memoryMiB: 128, vcpus: 1),
            pool: PoolSettings(configuration: PoolConfiguration(warmTarget: 2, maximumVMs: 8)),
            phases: [
                Phase(
                    name: "warmup",
                    warmup: true,
                    load: .constantArrivalRate(rate: 20, duration: .milliseconds(200)),
                    hold: .fixed(.milliseconds(2))
                ),
                Phase(name: "main", warmup: warmup, load: load, hold: .fixed(.milliseconds(5))),
            ],
            faults: [],
            gates: gates
        )
    }

    private func gate(_ metric: String, _ statistic: String, _ comparison: Gate.Comparison, _ threshold: Double) -> Gate
    {
        Gate(
            metric: metric,
            statistic: statistic,
            comparison: comparison,
            threshold: threshold,
            expression: "\(metric) \(statistic) \(comparison.rawValue) \(threshold)"
        )
    }

    @Test("an open-loop run: outcomes reconcile with the schedule, gates are judged, nothing leaks")
    func openLoop() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let progress = LockedArray<String>()
        var options = ScenarioRunner.Options(workDirectory: scratch)
        options.progress = { progress.append($0.phase) }
        options.extraGates = [gate("leases", "count", .greater, 0)]
        let report = try await ScenarioRunner(
            scenario: scenario(
                load: .constantArrivalRate(rate: 50, duration: .seconds(2)),
                gates: [
                    gate("spawn_ms", "p95", .less, 1_000), gate("errors", "count", .equal, 0),
                    gate("pool_resident_mb", "max", .less, 1_000), gate("leaks", "count", .equal, 0),
                    gate("restore_ms", "p99", .less, 0.001),
                ]
            ),
            options: options
        )
        .run()
        #expect(report.environment.backend == "simulated")
        #expect(report.phases.count == 2)
        #expect(report.phases[0].warmup && report.phases[0].scheduled == 4)
        #expect(report.overall.scheduled == 100)
        #expect(report.overall.outcomes.values.reduce(0, +) == report.overall.scheduled)
        #expect(report.overall.served == 100)
        #expect(report.overall.latencies["spawn"]?.count == 100)
        #expect(report.overall.latencies["dispatch_lag"]?.count == 100)
        #expect(report.overall.latencies["restore"] != nil)
        #expect(!report.timeline.isEmpty)
        #expect(report.leakCheck.problems.isEmpty, "\(report.leakCheck.problems)")
        // The scenario's five, the extra one, and the five nothing-lost checks every run gets.
        #expect(report.gates.count == 11)
        #expect(report.gates.filter { $0.expression.hasPrefix("nothing lost") }.count == 5)
        #expect(report.gates.filter { !$0.passed }.map(\.expression) == ["restore_ms p99 < 0.001"])
        #expect(report.verdict == .fail)
        #expect(progress.values.contains("main"))
        try ReportSchema.check(report)
        let path = scratch + "/report.json"
        try report.writeJSON(to: path)
        #expect(try RunReport.readJSON(from: path) == report)
    }

    @Test("closed-loop workers keep a VM each busy; a sign-off run on the simulated backend fails")
    func workersAndSignOff() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        var options = ScenarioRunner.Options(workDirectory: scratch)
        options.signOff = true
        let report = try await ScenarioRunner(
            scenario: scenario(
                load: .workers(count: 3, thinkTime: .fixed(.milliseconds(1)), duration: .seconds(1)),
                gates: [gate("errors", "count", .equal, 0)]
            ),
            options: options
        )
        .run()
        #expect(report.overall.served > 10)
        #expect(report.overall.latencies["dispatch_lag"] == nil)
        #expect(report.overall.outcomes.values.reduce(0, +) == report.overall.scheduled)
        #expect(report.gates.first?.passed == true)
        #expect(report.gates.last?.expression == "backend is firecracker")
        #expect(report.verdict == .fail)
        try ReportSchema.check(report)
    }

    @Test("a pool that cannot start makes the run incomplete, with the reason")
    func incomplete() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        var bad = scenario(load: .constantArrivalRate(rate: 1, duration: .seconds(1)), gates: [])
        bad.pool.configuration = PoolConfiguration(warmTarget: 5, maximumVMs: 2)
        let report = try await ScenarioRunner(scenario: bad, options: .init(workDirectory: scratch)).run()
        #expect(report.verdict == .incomplete)
        #expect(report.gates.last?.reason?.contains("warmTarget (5) exceeds maximumVMs (2)") == true)
        try ReportSchema.check(report)
    }

    @Test("gates read memory series and counts; an unmeasured metric fails with a reason")
    func gateEvaluation() {
        let overall = PhaseReport(
            name: "overall",
            warmup: false,
            scheduled: 200,
            outcomes: ["served": 198, "deadline": 2],
            lateStarts: 3,
            latencies: [:]
        )
        func sample(_ resident: UInt64) -> TimelineSample {
            TimelineSample(
                time: 0,
                jemallocAllocated: resident / 2,
                jemallocActive: nil,
                jemallocResident: resident,
                jemallocMapped: nil,
                jemallocRetained: nil,
                processRSS: resident * 2,
                vmmPSSSum: 4 * 1_048_576,
                vmmPSSMax: 1_048_576,
                vmmCount: 4,
                cgroupUsage: nil,
                psiSomeAvg10: 0,
                warm: 4,
                restoring: 0,
                leased: 0,
                served: 0
            )
        }
        var counters = PoolStatistics.Counters()
        counters.warmCrashes = 1
        let evaluator = GateEvaluator(
            overall: overall,
            timeline: [sample(10 * 1_048_576), sample(30 * 1_048_576)],
            counters: counters,
            leaks: 0
        )
        let results = evaluator.evaluate([
            Gate(metric: "pool_resident_mb", statistic: "max", comparison: .less, threshold: 100, expression: "a"),
            Gate(metric: "pool_resident_mb", statistic: "mean", comparison: .equal, threshold: 20, expression: "b"),
            Gate(
                metric: "vmm_pss_per_warm_vm_mb",
                statistic: "max",
                comparison: .lessOrEqual,
                threshold: 5,
                expression: "c"
            ),
            Gate(metric: "errors", statistic: "rate", comparison: .equal, threshold: 0.01, expression: "d"),
            Gate(metric: "late_starts", statistic: "count", comparison: .greaterOrEqual, threshold: 3, expression: "e"),
            Gate(metric: "crashes", statistic: "count", comparison: .equal, threshold: 1, expression: "f"),
            Gate(metric: "cgroup_usage_mb", statistic: "max", comparison: .less, threshold: 1, expression: "g"),
            Gate(metric: "spawn_ms", statistic: "p95", comparison: .less, threshold: 50, expression: "h"),
            Gate(metric: "spawn_ms", statistic: "count", comparison: .equal, threshold: 0, expression: "i"),
            Gate(metric: "process_rss_mb", statistic: "min", comparison: .equal, threshold: 20, expression: "j"),
            Gate(metric: "pool_allocated_mb", statistic: "last", comparison: .equal, threshold: 15, expression: "k"),
        ])
        #expect(results.map(\.passed) == [true, true, true, true, true, true, false, false, true, true, true])
        #expect(results[6].reason?.contains("no cgroup_usage_mb") == true)
        #expect(results[3].measured == 0.01)
    }
}
