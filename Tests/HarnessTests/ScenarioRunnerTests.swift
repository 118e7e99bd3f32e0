import Firecracker
import Foundation
import HostSystem
import Reporting
import Scenarios
import SnapshotPool
import TestSupport
import Testing

@testable import Harness

@Suite("Arrival schedules")
struct ArrivalScheduleTests {
    static func offsets(_ load: LoadProfile, seed: UInt64 = 1, phase: String = "p") -> [Duration] {
        ArrivalSchedule(load: load, seed: seed, phase: phase).map(Array.init) ?? []
    }

    @Test(
        "the dispatcher spins 5 % of the gap before each arrival: 2.5 ms at smoke's 20/s, 200 µs at least at 1 000/s, 20 ms at most before bursts 2 s apart"
    )
    func spinWindow() throws {
        func window(_ load: LoadProfile) throws -> Duration {
            Dispatcher.spinWindow(meanGap: try #require(ArrivalSchedule(load: load, seed: 1, phase: "p")).meanGap)
        }
        #expect(try window(.constantArrivalRate(rate: 20, duration: .seconds(12))) == .microseconds(2_500))
        #expect(try window(.constantArrivalRate(rate: 100, duration: .seconds(10))) == .microseconds(500))
        #expect(try window(.poisson(rate: 1000, duration: .seconds(2))) == .microseconds(200))
        // A burst phase's arrivals come at once: one spin per burst, 2 s apart.
        #expect(try window(.burst(count: 16, spread: .zero, bursts: 18, interval: .seconds(2))) == .milliseconds(20))
        #expect(try window(.constantArrivalRate(rate: 1, duration: .seconds(10))) == .milliseconds(20))
    }

    @Test("constant arrival rate: evenly spaced, rate × duration arrivals, counted without generating them")
    func constant() {
        let offsets = Self.offsets(.constantArrivalRate(rate: 10, duration: .seconds(1)))
        #expect(offsets.count == 10)
        #expect(offsets.first == .zero)
        #expect(abs(offsets[9].inMilliseconds - 900) < 0.001)
        let day = ArrivalSchedule(
            load: .constantArrivalRate(rate: 100, duration: .seconds(86_400)),
            seed: 1,
            phase: "p"
        )
        #expect(day?.plannedCount == 8_640_000)
    }

    @Test("bursts: count arrivals spread evenly, bursts apart by the interval; a spread of 0 is simultaneous")
    func bursts() {
        let offsets = Self.offsets(.burst(count: 4, spread: .milliseconds(30), bursts: 2, interval: .seconds(1)))
        #expect(offsets.map { ($0.inMilliseconds * 1000).rounded() / 1000 } == [0, 10, 20, 30, 1000, 1010, 1020, 1030])
        #expect(Self.offsets(.burst(count: 3, spread: .zero, bursts: 1, interval: .zero)) == [.zero, .zero, .zero])
        #expect(Self.offsets(.burst(count: 1, spread: .zero, bursts: 1, interval: .zero)) == [.zero])
    }

    @Test("poisson: seeded by the phase's own stream, within the duration, about rate × duration arrivals")
    func poisson() {
        let load = LoadProfile.poisson(rate: 200, duration: .seconds(10))
        let first = Self.offsets(load, seed: 5)
        #expect(first == Self.offsets(load, seed: 5))
        #expect(first != Self.offsets(load, seed: 5, phase: "other"))
        #expect(abs(first.count - 2000) < 150)
        #expect(first.allSatisfy { $0 < .seconds(10) })
        #expect(zip(first, first.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(ArrivalSchedule(load: load, seed: 5, phase: "p")?.plannedCount == 2000)
    }

    @Test("ramping: the count is the integral of the rate; arrivals grow denser; workers have no schedule")
    func ramping() {
        let offsets = Self.offsets(
            .rampingArrivalRate(startRate: 0, stages: [RampStage(target: 100, duration: .seconds(2))])
        )
        #expect(abs(offsets.count - 100) <= 1)
        let planned = ArrivalSchedule(
            load: .rampingArrivalRate(startRate: 0, stages: [RampStage(target: 100, duration: .seconds(2))]),
            seed: 1,
            phase: "p"
        )?.plannedCount
        #expect(planned.map { abs($0 - offsets.count) <= 1 } == true)
        #expect(offsets.filter { $0 < .seconds(1) }.count < offsets.count / 2)
        #expect(
            ArrivalSchedule(
                load: .workers(count: 2, thinkTime: .fixed(.zero), duration: .seconds(1)),
                seed: 1,
                phase: "p"
            ) == nil
        )
    }
}

@Suite("Scenario runner on the simulated backend", .serialized)
struct ScenarioRunnerTests {
    static func scenario(
        load: LoadProfile,
        gates: [Gate],
        pool: PoolConfiguration = PoolConfiguration(warmTarget: 2, maximumVMs: 8),
        hold: LatencyDistribution = .fixed(.milliseconds(5)),
        touch: WorkingSetTouch? = nil
    ) -> Scenario {
        Scenario(
            name: "test",
            description: "runner test",
            seed: 3,
            backend: .simulated,
            vm: .builtInGuest(workingSetMiB: 4, memoryMiB: 128, vcpus: 1, touch: touch),
            pool: PoolSettings(configuration: pool),
            phases: [
                Phase(
                    name: "warmup",
                    warmup: true,
                    load: .constantArrivalRate(rate: 20, duration: .milliseconds(200)),
                    hold: .fixed(.milliseconds(2))
                ),
                Phase(name: "main", warmup: false, load: load, hold: hold),
            ],
            faults: [],
            gates: gates
        )
    }

    @Test("an open-loop run: outcomes reconcile with the schedule, gates are judged with bounds, nothing leaks")
    func openLoop() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let progress = LockedArray<String>()
        var options = ScenarioRunner.Options(workDirectory: scratch)
        options.progress = { progress.append($0.phase) }
        options.extraGates = [try Gate(parsing: "leases count > 0")]
        options.commit = "0123456789ab"
        // The failing gate below must fail whatever else this host runs (a build beside the tests took every
        // acquire out of its second judgement and left it inconclusive, 3 times in 6).
        options.detectsDisturbances = false
        let report = try await ScenarioRunner(
            scenario: Self.scenario(
                load: .constantArrivalRate(rate: 50, duration: .seconds(2)),
                gates: [
                    try Gate(parsing: "spawn_ms p95 < 1000"), try Gate(parsing: "errors count == 0"),
                    try Gate(parsing: "pool_resident_mb max < 1000"), try Gate(parsing: "leaks count == 0"),
                    try Gate(parsing: "restore_ms p50 < 0.001"), try Gate(parsing: "late_starts rate < 0.2"),
                ]
            ),
            options: options
        )
        .run()
        #expect(report.environment.backend == "simulated")
        #expect(report.environment.commit == "0123456789ab")
        #expect(report.phases.count == 2)
        #expect(report.phases[0].warmup && report.phases[0].scheduled == 4)
        #expect(report.overall.scheduled == 100)
        #expect(report.overall.outcomes.values.reduce(0, +) == report.overall.scheduled)
        #expect(report.overall.served == 100)
        #expect(report.overall.latencies["spawn"]?.count == 100)
        #expect(report.overall.latencies["outcome"]?.count == 100)
        #expect(report.overall.latencies["dispatch_lag"]?.count == 100)
        // Restore and Firecracker's own load metric: the same population, the VM of every lease.
        #expect(report.overall.latencies["restore"]?.count == 100)
        #expect(report.overall.latencies["firecracker_load"]?.count == 100)
        #expect(!report.timeline.isEmpty)
        #expect(report.leakCheck.problems.isEmpty, "\(report.leakCheck.problems)")
        // The scenario's six, the extra one, and the five nothing-lost checks every run gets.
        #expect(report.gates.count == 12)
        #expect(report.gates.filter { $0.expression.hasPrefix("nothing lost") }.count == 5)
        #expect(report.gates.filter { $0.outcome == .fail }.map(\.expression) == ["restore_ms p50 < 0.001"])
        let spawn = try #require(report.gates.first { $0.expression == "spawn_ms p95 < 1000" })
        #expect(spawn.bounds?.method == "order statistics" && spawn.bounds?.samples == 100)
        let late = try #require(report.gates.first { $0.gate?.metric == .lateStarts })
        #expect(late.bounds?.method == "wilson")
        #expect(report.verdict == .fail)
        #expect(ExitStatus.of(report) == .failure)
        #expect(progress.values.contains("main"))
        try ReportSchema.check(report)
        let path = scratch + "/report.json"
        try report.writeJSON(to: path)
        #expect(try RunReport.readJSON(from: path) == report)
    }

    @Test("the guest's first work after each resume is recorded: first_work, working_set and the guest's own figure")
    func firstWork() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let report = try await ScenarioRunner(
            scenario: Self.scenario(
                load: .constantArrivalRate(rate: 20, duration: .seconds(1)),
                gates: [try Gate(parsing: "first_work_ms p50 < 10000"), try Gate(parsing: "errors count == 0")],
                touch: WorkingSetTouch(mebibytes: 1)
            ),
            options: ScenarioRunner.Options(workDirectory: scratch)
        )
        .run()
        let firstWork = try #require(report.overall.latencies["first_work"])
        let workingSet = try #require(report.overall.latencies["working_set"])
        let guest = try #require(report.overall.latencies["working_set_guest"])
        #expect(firstWork.count == 20 && workingSet.count == 20 && guest.count == 20)
        // Work comes after readiness: the time to it includes the spawn and the re-touch.
        let spawn = try #require(report.overall.latencies["spawn"])
        #expect(firstWork.p50 > spawn.p50 && firstWork.p50 > workingSet.p50)
        #expect(report.gates.first { $0.expression == "first_work_ms p50 < 10000" }?.outcome == .pass)
        try ReportSchema.check(report)
        #expect(report.summaryText().contains("first_work"))
    }

    @Test("a simulated run that passes every gate says so everywhere and never exits 0")
    func simulatedOutputs() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let report = try await ScenarioRunner(
            scenario: Self.scenario(
                load: .constantArrivalRate(rate: 50, duration: .seconds(2)),
                gates: [try Gate(parsing: "errors count == 0")]
            ),
            options: .init(workDirectory: scratch)
        )
        .run()
        #expect(report.verdict == .pass)
        #expect(ExitStatus.of(report) == .simulated)
        #expect(report.summaryText().contains("verdict: PASS (SIMULATED)"))
        #expect(report.markdown().contains("PASS (SIMULATED)") && report.markdown().contains("SIMULATED backend"))
        #expect(report.html().contains("SIMULATED BACKEND"))
        let junit = report.junitXML()
        #expect(junit.contains("name=\"backend is firecracker\""))
        #expect(junit.contains("type=\"simulated\""))
        #expect(!junit.contains("failures=\"0\""))
    }

    @Test("closed-loop workers keep a VM each busy; a sign-off on the simulated backend is refused up front")
    func workersAndSignOff() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let scenario = Self.scenario(
            load: .workers(count: 3, thinkTime: .fixed(.milliseconds(1)), duration: .seconds(1)),
            gates: [try Gate(parsing: "errors count == 0")]
        )
        let report = try await ScenarioRunner(scenario: scenario, options: .init(workDirectory: scratch)).run()
        #expect(report.overall.served > 10)
        #expect(report.overall.latencies["dispatch_lag"] == nil)
        #expect(report.overall.outcomes.values.reduce(0, +) == report.overall.scheduled)
        #expect(report.gates.first?.passed == true)
        var options = ScenarioRunner.Options(workDirectory: scratch)
        options.signOff = true
        await #expect(throws: RunError.self) {
            try await ScenarioRunner(scenario: scenario, options: options).run()
        }
        var signed = scenario
        signed.signOff = true
        let error = await #expect(throws: RunError.self) {
            try await ScenarioRunner(scenario: signed, options: .init(workDirectory: scratch)).run()
        }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message.contains("only real Firecracker may pass") == true)
    }

    @Test("Firecracker hidden: a Firecracker run stops before anything starts, naming what is missing and the fix")
    func hiddenFirecracker() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        var scenario = Self.scenario(
            load: .constantArrivalRate(rate: 10, duration: .seconds(1)),
            gates: [try Gate(parsing: "errors count == 0")]
        )
        scenario.backend = .firecracker
        var options = ScenarioRunner.Options(workDirectory: scratch)
        options.firecrackerPath = scratch + "/no-such-firecracker"
        let error = await #expect(throws: RunError.self) {
            try await ScenarioRunner(scenario: scenario, options: options).run()
        }
        #expect(error?.code == .prerequisitesMissing)
        #expect(error?.message.contains("no executable firecracker found") == true)
        #expect(error?.message.contains("scripts/setup") == true)
        #expect(error?.message.contains("--firecracker PATH") == true)
        #expect(error?.message.contains("--backend simulated") == true)
        // KVM missing is named too, whatever else is found.
        let noKVM = FirecrackerPrerequisites(firecrackerPath: options.firecrackerPath, guestPath: nil) { false }
        await #expect {
            _ = try await noKVM.check(for: scenario.vm)
        } throws: { error in
            "\(error)".contains("/dev/kvm")
        }
        // Nothing was started or left: no VMM, no directory.
        #expect(Leftovers.childVMMs().isEmpty)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: scratch)) == [])
    }

    @Test("a pool that cannot start makes the run incomplete, with the pool's own reason")
    func incomplete() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let bad = Self.scenario(
            load: .constantArrivalRate(rate: 1, duration: .seconds(1)),
            gates: [],
            pool: PoolConfiguration(warmTarget: 5, maximumVMs: 2)
        )
        for _ in 0..<3 {
            let report = try await ScenarioRunner(scenario: bad, options: .init(workDirectory: scratch)).run()
            #expect(report.verdict == .incomplete)
            #expect(report.gates.last?.reason?.contains("warmTarget (5) exceeds maximumVMs (2)") == true)
            #expect(ExitStatus.of(report) == .incomplete)
            try ReportSchema.check(report)
        }
    }

    @Test(
        "no coordinated omission: arrivals queued behind a stalled pool count their spawn from their intended instant"
    )
    func coordinatedOmission() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        // One VM at a time, none warm, each held 200 ms: 5 arrivals 10 ms apart queue behind each other. The
        // k-th cannot be served before k holds have passed, so its spawn from its intended instant is at least
        // k × 200 ms − its offset; a generator that waited for the pool before sending the next would show
        // each spawn as one restore.
        let scenario = Self.scenario(
            load: .burst(count: 5, spread: .milliseconds(40), bursts: 1, interval: .zero),
            gates: [],
            pool: PoolConfiguration(warmTarget: 0, maximumVMs: 1),
            hold: .fixed(.milliseconds(200))
        )
        let report = try await ScenarioRunner(scenario: scenario, options: .init(workDirectory: scratch)).run()
        let main = try #require(report.phases.first { $0.name == "main" })
        #expect(main.served == 5)
        let spawn = try #require(main.latencies["spawn"])
        // The last arrival (at 40 ms) waited for four holds of 200 ms.
        #expect(spawn.max >= 800 - 40, "spawn max \(spawn.max) ms")
        let sorted = try #require(spawn.distribution?.expanded())
        for (k, value) in sorted.enumerated() {
            #expect(value >= Double(k) * 200 - 40, "arrival \(k): \(value) ms")
        }
    }
}

@Suite("Gate evaluation")
struct GateEvaluationTests {
    static func phase(spawn: [Double], scheduled: Int? = nil, errors: Int = 0, late: Int = 0) -> PhaseReport {
        var outcomes = ["served": spawn.count]
        if errors > 0 { outcomes["deadline"] = errors }
        return PhaseReport(
            name: "overall",
            warmup: false,
            scheduled: scheduled ?? spawn.count + errors,
            outcomes: outcomes,
            lateStarts: late,
            latencies: ["spawn": Self.spectrum(spawn)]
        )
    }

    static func spectrum(_ values: [Double]) -> Spectrum {
        var histogram = LatencyHistogram()
        for value in values { histogram.record(.nanoseconds(Int64(value * 1_000_000))) }
        return histogram.spectrum!
    }

    static func sample(_ time: Double, _ resident: UInt64, rss: UInt64 = 0, allocated: UInt64? = nil) -> TimelineSample
    {
        TimelineSample(
            time: time,
            jemallocAllocated: allocated ?? resident / 2,
            jemallocActive: nil,
            jemallocResident: resident,
            jemallocMapped: nil,
            jemallocRetained: nil,
            processRSS: rss == 0 ? resident * 2 : rss,
            vmmPSSSum: 4 * 1_048_576,
            vmmPSSMax: 1_048_576,
            vmmCount: 4,
            cgroupUsage: nil,
            psiSomeAvg10: 0,
            warm: 4,
            restoring: 0,
            leased: 0,
            served: 0,
            warmVMMPSSSum: 2 * 1_048_576,
            warmVMMCount: 2
        )
    }

    @Test("allocation per lease: a ramp is a slope; a step while a fault is handled is not, a ramp around it is")
    func allocationSlopeAroundFaults() throws {
        // 10 leases per 0.2 s sample from 0 to 60 s; measured from 0 s, so judged from 10 s.
        func timeline(_ allocated: (Double, Int) -> Double) -> [TimelineSample] {
            (0...300).map { index in
                var sample = Self.sample(
                    Double(index) * 0.2,
                    1 << 20,
                    allocated: UInt64(allocated(Double(index) * 0.2, index * 10))
                )
                sample.served = index == 0 ? 0 : 10
                return sample
            }
        }
        let fault = [30.0...32.0]
        let step = timeline { time, _ in time < 31 ? 4_000_000 : 5_000_000 }
        let stepped = try #require(MemoryFigures.allocatedPerLease(step, measuredStart: 0, loadEnd: 60, faults: fault))
        #expect(abs(stepped.slope) < 0.01, "\(stepped)")
        // Unexcused, the same step reads as ~1 MB / 2 500 leases.
        let plain = try #require(MemoryFigures.allocatedPerLease(step, measuredStart: 0, loadEnd: 60))
        #expect(plain.slope > 100)
        // A leak of 64 B per lease shows with or without the fault excused, step or not.
        let leak = timeline { time, leases in 4_000_000 + 64 * Double(leases) + (time < 31 ? 0 : 1_000_000) }
        let leaking = try #require(MemoryFigures.allocatedPerLease(leak, measuredStart: 0, loadEnd: 60, faults: fault))
        #expect(abs(leaking.slope - 64) < 0.5, "\(leaking)")
        // Leases inside the excused window are not counted: 50 s judged (2 500 leases), 7 s of it excused.
        #expect(leaking.leases > 2_000 && leaking.leases < 2_200, "\(leaking.leases)")
    }

    @Test("memory series over the measured window, counts, rates and unmeasured metrics")
    func gatesReadTheirFigures() throws {
        var counters = PoolStatistics.Counters()
        counters.warmCrashes = 1
        var figures = GateEvaluator.Figures(
            overall: Self.phase(spawn: Array(repeating: 2, count: 198), errors: 2, late: 3),
            timeline: [
                Self.sample(1, 80 * 1_048_576), Self.sample(12, 10 * 1_048_576), Self.sample(25, 30 * 1_048_576),
            ],
            measuredStart: 2,
            loadEnd: 30,
            counters: counters,
            leaks: 0
        )
        figures.additional = [.faultReaction: 0.4]
        let results = GateEvaluator(figures: figures).evaluate(
            try [
                "pool_resident_mb max < 100", "pool_resident_mb mean == 20", "vmm_pss_per_warm_vm_mb max <= 1",
                "errors rate < 0.1", "late_starts count >= 3", "crashes count == 1", "cgroup_usage_mb max < 1",
                "spawn_ms p95 < 50", "spawn_ms count == 198", "process_rss_mb growth == 40", "fault_reaction_s max < 1",
                "fault_recovery_s max < 5",
            ].map(Gate.init(parsing:))
        )
        #expect(
            results.map(\.outcome) == [
                .pass, .pass, .pass, .pass, .pass, .pass, .fail, .pass, .pass, .pass, .pass, .fail,
            ],
            "\(results.map { "\($0.expression): \($0.reason ?? "")" })"
        )
        // The warm-up sample (80 MiB at 1 s) is left out of the maximum.
        #expect(results[0].measured == 30)
        #expect(results[6].reason?.contains("no cgroup_usage_mb") == true)
        #expect(results[3].measured == 0.01 && results[3].bounds?.method == "wilson")
    }

    @Test("a percentile of too few samples is inconclusive; a rate whose bound straddles the threshold too")
    func inconclusive() throws {
        let figures = GateEvaluator.Figures(
            overall: Self.phase(spawn: Array(repeating: 3, count: 40), late: 2),
            timeline: [],
            counters: .init(),
            leaks: 0
        )
        let results = GateEvaluator(figures: figures).evaluate(
            try ["spawn_ms p99 < 50", "late_starts rate < 0.05", "spawn_ms p50 < 50"].map(Gate.init(parsing:))
        )
        #expect(results.map(\.outcome) == [.inconclusive, .inconclusive, .pass])
        #expect(results[0].bounds?.upper == nil)
        #expect(ReportAssembler.verdict(of: results) == .inconclusive)
        #expect(
            ReportAssembler.verdict(of: results + [GateDecision.exact(try Gate(parsing: "leaks count == 0"), value: 1)])
                == .fail
        )
    }

    @Test("spawn_floor_ratio divides spawn and its bounds by the burst's floor; without a floor it fails, saying why")
    func floorRatio() throws {
        // 200 spawns: 190 at 30 ms, 10 at 60 ms; a floor of 20 ms puts the p95 at 1.5× (its upper bound at 3×).
        var figures = GateEvaluator.Figures(
            overall: Self.phase(spawn: Array(repeating: 30, count: 190) + Array(repeating: 60, count: 10)),
            timeline: [],
            counters: .init(),
            leaks: 0
        )
        figures.burstFloorMilliseconds = 20
        let results = GateEvaluator(figures: figures).evaluate(
            try ["spawn_floor_ratio p50 <= 1.6", "spawn_floor_ratio p95 <= 4", "spawn_floor_ratio max < 2"]
                .map(Gate.init(parsing:))
        )
        #expect(results.map(\.outcome) == [.pass, .pass, .fail], "\(results.map { $0.reason ?? "" })")
        let p50 = try #require(results[0].measured)
        #expect(abs(p50 - 1.5) < 0.01)
        #expect(results[0].bounds?.method == "order statistics")
        #expect(results[0].reason?.contains("×") == true)
        let max = try #require(results[2].measured)
        #expect(abs(max - 3) < 0.01)
        // No floor: the simulated backend, or a probe that failed; the gate fails with the reason.
        figures.burstFloorMilliseconds = nil
        figures.burstFloorProblem = "the simulated backend's spawns use no CPU of this host, so a burst has no floor"
        let unmeasured = GateEvaluator(figures: figures).evaluate([try Gate(parsing: "spawn_floor_ratio p95 < 2")])[0]
        #expect(unmeasured.outcome == .fail && unmeasured.measured == nil)
        #expect(unmeasured.reason == figures.burstFloorProblem)
    }

    /// A phase whose restores are `restore` and spawns `spawn`, in ms.
    static func burstPhase(restore: [Double], spawn: [Double]) -> PhaseReport {
        var phase = Self.phase(spawn: spawn)
        phase.latencies["restore"] = Self.spectrum(restore)
        return phase
    }

    /// A restore floor of 12 loads at once, 16 rounds, at `loads` ms.
    static func restoreFloor(_ loads: [Double]) -> RestoreFloor {
        RestoreFloor(concurrency: 12, rounds: 16, loads: Self.spectrum(loads))
    }

    static let burstGates = [
        "spawn_floor_ratio p95 <= 1.5", "spawn_ms p95 < 50", "restore_floor_ratio p95 <= 1.25", "restore_ms p95 < 20",
    ]

    @Test("restore_floor_ratio divides restore by the same statistic of the restore floor; without one it fails")
    func restoreFloorRatio() throws {
        // 200 restores: 180 at 12 ms, 20 at 24 ms, against a floor whose p50 is 10 and p95 16.
        var figures = GateEvaluator.Figures(
            overall: Self.burstPhase(
                restore: Array(repeating: 12, count: 180) + Array(repeating: 24, count: 20),
                spawn: Array(repeating: 30, count: 200)
            ),
            timeline: [],
            counters: .init(),
            leaks: 0
        )
        figures.restoreFloor = Self.restoreFloor(Array(repeating: 10, count: 180) + Array(repeating: 16, count: 12))
        let results = GateEvaluator(figures: figures).evaluate(
            try ["restore_floor_ratio p50 <= 1.25", "restore_floor_ratio p95 <= 1.25", "restore_floor_ratio max < 1.2"]
                .map(Gate.init(parsing:))
        )
        #expect(results.map(\.outcome) == [.pass, .fail, .fail], "\(results.map { $0.reason ?? "" })")
        #expect(abs((results[0].measured ?? 0) - 1.2) < 0.01)
        #expect(abs((results[1].measured ?? 0) - 1.5) < 0.01)
        #expect(results[1].reason?.contains("×") == true)
        figures.restoreFloor = nil
        figures.restoreFloorProblem = "the restore floor could not be measured: boom"
        let unmeasured = GateEvaluator(figures: figures).evaluate([try Gate(parsing: "restore_floor_ratio p95 < 2")])
        #expect(unmeasured[0].outcome == .fail && unmeasured[0].reason == figures.restoreFloorProblem)
        // Where the scenario gives no floor (no burst phase) the parser refuses the gate before anything starts.
        let steady = try ScenarioParser.parse(file: TestEnvironment.packageRoot + "/Scenarios/steady.yaml")
        #expect(steady.restoreFloorConcurrency == nil && steady.measuredBursts == nil && !steady.isBurstsOnly)
        #expect(
            steady.problem(deciding: try Gate(parsing: "restore_floor_ratio p95 <= 1.25"))?.contains("burst") == true
        )
        let burst = try ScenarioParser.parse(file: TestEnvironment.packageRoot + "/Scenarios/burst.yaml")
        #expect(burst.restoreFloorConcurrency == 12 && burst.measuredBursts == 18 && burst.isBurstsOnly)
        // A steady phase beside the bursts: the floors are the burst phase's alone.
        let agent = try #require(
            try ScenarioParser.parseVariants(file: TestEnvironment.packageRoot + "/Scenarios/agent.yaml").first
        )
        #expect(agent.measuredBursts == 16 && !agent.isBurstsOnly && agent.measuredBurstPhaseNames == ["bursts"])
        #expect(agent.restoreFloorConcurrency == 12)
        #expect(agent.problem(deciding: try Gate(parsing: "spawn_floor_ratio p95 <= 1.5")) == nil)
        // A floor ratio is decided by the bursts' own acquires: 1 000 steady ones do not make 12 enough for a p95.
        let few = try ScenarioParser.parse(
            yaml: """
                name: few
                description: many steady acquires, two small bursts
                pool: {warm_target: 2, maximum_vms: 6}
                phases:
                  - {name: steady, executor: constant-arrival-rate, rate: 100/s, duration: 10s}
                  - {name: bursts, executor: burst, count: 6, spread: 0ms, bursts: 2, interval: 1s}
                gates: [errors count == 0]

                """,
            file: "few.yaml"
        )
        #expect(few.problem(deciding: try Gate(parsing: "spawn_floor_ratio p95 <= 1.5"))?.contains("12") == true)
        #expect(few.problem(deciding: try Gate(parsing: "spawn_ms p95 < 50")) == nil)
    }

    @Test(
        "an absolute target the floor leaves no room for is host-bound when the pool passed its ratio; else as judged"
    )
    func hostBound() throws {
        let gates = try Self.burstGates.map(Gate.init(parsing:))
        // The pool at its floor: restores 21 ms against a floor of 18 (×1.17, within 1.25), and 1.25 × 18 = 22.5 ≥ 20.
        var figures = GateEvaluator.Figures(
            overall: Self.burstPhase(
                restore: Array(repeating: 21, count: 288),
                spawn: Array(repeating: 30, count: 288)
            ),
            timeline: [],
            counters: .init(),
            leaks: 0
        )
        figures.burstFloorMilliseconds = 30
        figures.restoreFloor = Self.restoreFloor(Array(repeating: 18, count: 192))
        var results = GateEvaluator(figures: figures).evaluate(gates)
        #expect(results.map(\.outcome) == [.pass, .pass, .pass, .hostBound], "\(results.map { $0.reason ?? "" })")
        #expect(results[3].passed == false)
        let reason = try #require(results[3].reason)
        #expect(reason.hasPrefix("host-bound: the restore floor (12 loads at once"))
        #expect(reason.contains("measured p95 18 ms") && reason.contains("22.5 ms"))
        #expect(ReportAssembler.verdict(of: results) == .hostBound)
        // A regression: restores 5 ms slower than the pool allows is a failure of the ratio, and the target fails.
        figures.overall = Self.burstPhase(
            restore: Array(repeating: 26, count: 288),
            spawn: Array(repeating: 30, count: 288)
        )
        results = GateEvaluator(figures: figures).evaluate(gates)
        #expect(results.map(\.outcome) == [.pass, .pass, .fail, .fail])
        #expect(ReportAssembler.verdict(of: results) == .fail)
        // A fast floor leaves room: the pool within its ratio then meets the target, judged as usual.
        figures.restoreFloor = Self.restoreFloor(Array(repeating: 12, count: 192))
        figures.overall = Self.burstPhase(
            restore: Array(repeating: 14, count: 288),
            spawn: Array(repeating: 30, count: 288)
        )
        results = GateEvaluator(figures: figures).evaluate(gates)
        #expect(results.map(\.outcome) == [.pass, .pass, .pass, .pass])
        // Spawn judged against the CPU-bound floor the same way: 40 × 1.5 = 60 ≥ 50.
        figures.burstFloorMilliseconds = 40
        figures.overall = Self.burstPhase(
            restore: Array(repeating: 14, count: 288),
            spawn: Array(repeating: 55, count: 288)
        )
        results = GateEvaluator(figures: figures).evaluate(gates)
        #expect(results.map(\.outcome) == [.pass, .hostBound, .pass, .pass])
        #expect(results[1].reason?.contains("the burst's CPU-bound floor is 40 ms") == true)
        #expect(ExitStatus.of(Self.report(results)) == .hostBound)
        #expect(ExitStatus.hostBound.rawValue == 7)
        #expect(ExitStatus.worst([.hostBound, .inconclusive]) == .inconclusive)
        #expect(ExitStatus.worst([.hostBound, .success, .storeFailed]) == .hostBound)
    }

    @Test("a target the floor leaves no room for, whose ratio gate is open: inconclusive for the ratio's reason")
    func hostBoundWithAnOpenRatio() throws {
        let gates = try ["spawn_floor_ratio p95 <= 1.5", "spawn_ms p95 < 50"].map(Gate.init(parsing:))
        // A floor of 88 ms leaves 50 no room (1.5 × 88 = 132). 40 spawns, 36 at 100 ms and 4 at 160: no upper bound
        // on their p95, and a lower one of 100 ms (1.14×): the ratio is open, the target failed.
        var figures = GateEvaluator.Figures(
            overall: Self.phase(spawn: Array(repeating: 100, count: 36) + Array(repeating: 160, count: 4)),
            timeline: [],
            counters: .init(),
            leaks: 0
        )
        figures.burstFloorMilliseconds = 88
        var results = GateEvaluator(figures: figures).evaluate(gates)
        #expect(results.map(\.outcome) == [.inconclusive, .inconclusive], "\(results.map { $0.reason ?? "" })")
        #expect(results[1].reason?.contains("could not be decided") == true)
        #expect(results[1].reason?.contains("132 ms, not below 50") == true)
        #expect(ReportAssembler.verdict(of: results) == .inconclusive)
        // Without a floor the target is judged alone, and fails.
        figures.burstFloorMilliseconds = nil
        #expect(GateEvaluator(figures: figures).evaluate([gates[1]]).map(\.outcome) == [.fail])
        // A ratio decided against the pool leaves the target failed, whatever the floor.
        figures.burstFloorMilliseconds = 88
        figures.overall = Self.phase(spawn: Array(repeating: 160, count: 288))
        results = GateEvaluator(figures: figures).evaluate(gates)
        #expect(results.map(\.outcome) == [.fail, .fail])
    }

    @Test("a steady phase beside the bursts: the floor ratios judge the burst phases alone, the targets all acquires")
    func floorRatiosOfMixedScenario() throws {
        // 300 steady acquires at 4 ms, 256 in bursts at 57 ms, against a burst floor of 40 ms.
        var figures = GateEvaluator.Figures(
            overall: Self.phase(spawn: Array(repeating: 4, count: 300) + Array(repeating: 57, count: 256)),
            timeline: [],
            counters: .init(),
            leaks: 0
        )
        figures.burstFloorMilliseconds = 40
        let gates = try ["spawn_floor_ratio p95 <= 1.5", "spawn_floor_ratio p50 <= 1.2", "spawn_ms p95 < 50"]
            .map(Gate.init(parsing:))
        // Judged over every measured acquire, the steady ones hide the bursts' median (4 ms ÷ 40); p95 at 57 ms
        // is host-bound, its ratio passing and 1.5 × 40 ms leaving 50 no room.
        var results = GateEvaluator(figures: figures).evaluate(gates)
        #expect(results.map(\.outcome) == [.pass, .pass, .hostBound], "\(results.map { $0.reason ?? "" })")
        #expect((results[1].measured ?? 1) < 0.2)
        // Over the burst phases alone, 57 ÷ 40 = 1.43 at every percentile: p95 within its 1.5, p50 beyond 1.2.
        figures.bursts = Self.phase(spawn: Array(repeating: 57, count: 256))
        results = GateEvaluator(figures: figures).evaluate(gates)
        #expect(results.map(\.outcome) == [.pass, .fail, .hostBound], "\(results.map { $0.reason ?? "" })")
        #expect(abs((results[1].measured ?? 0) - 1.425) < 0.01)
        #expect(ReportAssembler.verdict(of: results) == .fail)
    }

    /// A report with these gates and the verdict they call for.
    static func report(_ gates: [GateResult]) -> RunReport {
        var report = ReportFixtures.report(scenario: "burst", phases: [], gates: gates)
        report.environment.backend = "firecracker"
        report.verdict = ReportAssembler.verdict(of: gates)
        return report
    }

    @Test("a burst's floor: warm hits and on-demand spawns per burst at their costs, over the cores")
    func burstFloor() {
        let floor = BurstFloor(
            warmSpawnCPUMilliseconds: 2,
            onDemandSpawnCPUMilliseconds: 9,
            samples: 5,
            cores: 2,
            warmHitsPerBurst: 4,
            onDemandPerBurst: 12
        )
        #expect(floor.milliseconds == (4 * 2 + 12 * 9) / 2)
        #expect(
            BurstFloor(
                warmSpawnCPUMilliseconds: 2,
                onDemandSpawnCPUMilliseconds: 9,
                samples: 5,
                cores: 0,
                warmHitsPerBurst: 1,
                onDemandPerBurst: 0
            ).milliseconds == 2
        )
    }

    @Test("a gate that failed during a disturbance: passes without it → disturbed; still fails → a regression")
    func disturbance() throws {
        let gate = try Gate(parsing: "spawn_ms p95 < 50")
        // A stall pushed 20 of 200 spawns to 400 ms; without them spawn is 3 ms.
        let stalled = Self.phase(spawn: Array(repeating: 3, count: 180) + Array(repeating: 400, count: 20))
        var figures = GateEvaluator.Figures(
            overall: stalled,
            undisturbed: Self.phase(spawn: Array(repeating: 3, count: 180)),
            timeline: [],
            counters: .init(),
            leaks: 0
        )
        figures.disturbances = [Disturbance(start: 40, end: 41, evidence: ["real-time heartbeat 291 ms late"])]
        let disturbed = GateEvaluator(figures: figures).evaluate([gate])[0]
        #expect(disturbed.outcome == .disturbed && disturbed.passed)
        #expect(disturbed.disturbance?.contains("heartbeat 291 ms late") == true)
        #expect(disturbed.disturbance?.contains("without the 20 acquires it touched") == true)
        #expect(ReportAssembler.verdict(of: [disturbed]) == .pass)
        // A slow build is slow outside the stall too: the gate still fails, and says why.
        figures.overall = Self.phase(spawn: Array(repeating: 60, count: 180) + Array(repeating: 400, count: 20))
        figures.undisturbed = Self.phase(spawn: Array(repeating: 60, count: 180))
        let regressed = GateEvaluator(figures: figures).evaluate([gate])[0]
        #expect(regressed.outcome == .fail && !regressed.passed)
        #expect(regressed.disturbance?.contains("fails without them too") == true)
        // Too little left outside the stall to decide: inconclusive.
        figures.overall = stalled
        figures.undisturbed = Self.phase(spawn: Array(repeating: 3, count: 30))
        #expect(GateEvaluator(figures: figures).evaluate([gate])[0].outcome == .inconclusive)
        // Memory gates are not judged again: a stall does not fill the pool's memory.
        let memory = GateEvaluator(figures: figures).evaluate([try Gate(parsing: "pool_resident_mb max < 1")])[0]
        #expect(memory.outcome == .fail && memory.disturbance == nil)
    }

    @Test("the detector finds the host's stalls from steal, other processes and the heartbeat, and joins neighbours")
    func detector() {
        var detector = DisturbanceDetector()
        func sample(_ time: Double, steal: Double = 0, other: Double = 0, late: Double = 0.2) -> TimelineSample {
            var sample = GateEvaluationTests.sample(time, 1)
            sample.stealPercent = steal
            sample.otherCPUPercent = other
            sample.heartbeatLateMs = late
            sample.dispatchLagMaxMs = 50
            return sample
        }
        let flagged = [
            sample(0.0), sample(0.2), sample(0.4, late: 291), sample(0.6, steal: 38), sample(0.8), sample(2.0),
            sample(4.8), sample(5.0, other: 120),
        ].map { detector.observe($0) }
        #expect(flagged == [false, false, true, true, false, false, false, true])
        #expect(detector.disturbances.count == 2)
        #expect(detector.disturbances[0].start == 0.2 && detector.disturbances[0].end == 0.6)
        #expect(detector.disturbances[0].evidence.contains { $0.contains("heartbeat 291 ms late") })
        #expect(detector.disturbances[0].evidence.contains { $0.contains("steal 38") })
        #expect(detector.disturbances[1].evidence == ["other processes used 120 % of a CPU"])
        // The dispatcher's own lag (50 ms in every sample) is never evidence: a slow pool could cause it.
        #expect(!detector.disturbances.flatMap(\.evidence).contains { $0.contains("dispatch") })
        // With the thresholds of a gate test, the same samples hold no disturbance.
        var never = DisturbanceDetector()
        never.thresholds = .never
        let none = [sample(0.0), sample(0.2, late: 291), sample(0.4, steal: 100), sample(0.6, other: 200)]
            .map { never.observe($0) }
        #expect(none == [false, false, false, false] && never.disturbances.isEmpty)
    }

    @Test("a late arrival marks its interval only when the hypervisor stole at least as much CPU in it")
    func lateArrivalUnderSteal() {
        func sample(_ time: Double, steal: Double, lag: Double) -> TimelineSample {
            var sample = GateEvaluationTests.sample(time, 1)
            sample.stealPercent = steal
            sample.otherCPUPercent = 0
            sample.heartbeatLateMs = 0.1
            sample.dispatchLagMaxMs = lag
            return sample
        }
        var detector = DisturbanceDetector()
        // 200 ms intervals: 5 % of a CPU stolen is 10 ms, which explains a 2.3 ms lag, not a 12 ms one; no steal
        // explains nothing; an arrival on time needs no explaining.
        let flagged = [
            sample(0.0, steal: 0, lag: 0), sample(0.2, steal: 5, lag: 2.3), sample(3.0, steal: 0, lag: 2.8),
            sample(3.2, steal: 5, lag: 12), sample(6.0, steal: 5, lag: 0.4), sample(6.2, steal: 0, lag: 0),
        ].map { detector.observe($0) }
        #expect(flagged == [false, true, false, false, false, false])
        #expect(detector.disturbances.count == 1)
        #expect(
            detector.disturbances.first?.evidence == ["an arrival 2.3 ms late while the hypervisor stole 10 ms of CPU"]
        )
        var never = DisturbanceDetector()
        never.thresholds = .never
        #expect(
            ![sample(0.0, steal: 0, lag: 0), sample(0.2, steal: 5, lag: 2.3)].map { never.observe($0) }.contains(true)
        )
    }
}
