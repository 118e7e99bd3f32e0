import Firecracker
import Foundation
import Glibc
import HostSystem
import Logging
import Reporting
import Scenarios
import SnapshotPool
import Synchronization
import TestSupport
import Testing

@testable import Harness

@Suite("Fault mechanics", .serialized)
struct FaultMechanicsTests {
    @Test("a spinning helper burns CPU until stopped, then is reaped")
    func spinner() async throws {
        let helper = try await FaultHelperProcess.start(.spin)
        #expect(helper.isRunning)
        #expect(FaultHelperProcess.unreaped.contains(helper.pid))
        helper.stop()
        #expect(!Leftovers.processExists(helper.pid))
        #expect(!FaultHelperProcess.unreaped.contains(helper.pid))
    }

    @Test("a balloon touches its memory inside a cgroup; one larger than the cgroup is OOM-killed and says so")
    func balloon() async throws {
        let cgroup = try MemoryCgroup.create(prefix: "snapbench-test")
        defer { try? cgroup.destroy(killingProcesses: true) }
        try cgroup.setLimit(bytes: 64 * 1_048_576)
        let balloon = try await FaultHelperProcess.start(.balloon(mebibytes: 32), cgroup: cgroup)
        // The kernel charged the touched pages to the cgroup.
        #expect(try cgroup.usage() >= 30 * 1_048_576)
        balloon.stop()
        await #expect(throws: FaultHelperProcess.StartError.self) {
            try await FaultHelperProcess.start(.balloon(mebibytes: 128), cgroup: cgroup)
        }
        #expect(FaultHelperProcess.unreaped.isEmpty)
    }

    @Test("a size-limited filesystem fills to the last block, drains, unmounts; a dead owner's is reclaimed")
    func filesystem() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let filesystem = try SizeLimitedFilesystem.mount(in: scratch, mebibytes: 16)
        let taken = try filesystem.fill(leavingKiB: 0)
        #expect(taken > 15 * 1_048_576)
        #expect(filesystem.freeBytes < 4_096)
        #expect(!FileManager.default.createFile(atPath: filesystem.path + "/more", contents: Data(count: 8_192)))
        filesystem.drain()
        #expect(filesystem.freeBytes > 15 * 1_048_576)
        #expect(try filesystem.fill(leavingKiB: 8_192) > 0)
        #expect(filesystem.freeBytes >= 8_192 * 1_024)
        filesystem.unmount()
        #expect(!FileManager.default.fileExists(atPath: filesystem.path))

        // A killed run's mount: its owner pid (a reaped child) is dead.
        let dead = scratch + "/" + OwnerTag(kind: SizeLimitedFilesystem.kind, pid: Self.deadPID()).name("test")
        _ = try SizeLimitedFilesystem.mount(at: dead, mebibytes: 16)
        let reclaimed = await SizeLimitedFilesystem.reclaimOrphans(in: scratch, logger: .init(label: "test"))
        #expect(reclaimed == [dead])
        let mounts = try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)
        #expect(!mounts.contains(dead))
    }

    /// The pid of a child that has exited and been reaped.
    private static func deadPID() -> Int32 {
        let pid = fork()
        if pid == 0 { _exit(0) }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return pid
    }

    @Test("a VMM the injector signalled after an acquire began is told from one the pool handed out dead")
    func signalledDuringAcquire() {
        let log = FaultLog(recordsLeases: false)
        let acquireStarted = ContinuousClock.now
        log.noteSignal(to: 4242, at: acquireStarted + .milliseconds(3))
        #expect(log.wasSignalled(4242, since: acquireStarted))
        #expect(!log.wasSignalled(4242, since: acquireStarted + .milliseconds(4)))
        #expect(!log.wasSignalled(4343, since: acquireStarted))
    }

    @Test("a VMM that died while a memory-pressure fault squeezed the pool is the OOM killer's, not a dead handout")
    func memoryPressureDuringAcquire() {
        let log = FaultLog(recordsLeases: false)
        let before = ContinuousClock.now
        #expect(!log.hadMemoryPressure(since: before))
        log.memoryPressureBegan()
        #expect(log.hadMemoryPressure(since: before + .seconds(60)), "in effect: any acquire")
        log.memoryPressureEnded(at: before + .milliseconds(5))
        #expect(log.hadMemoryPressure(since: before), "an acquire that began before it ended")
        #expect(!log.hadMemoryPressure(since: before + .milliseconds(6)), "one that began after it ended")
    }

    @Test("the analyzer measures reaction, recovery and the windows around a fault")
    func analyzer() throws {
        let log = FaultLog(recordsLeases: true)
        // 10 s of healthy leases at 20/s (2 ms), a fault from 10 s to 12 s with slow and failed leases, then
        // slow leases until 13 s and healthy ones after.
        for index in 0..<400 {
            let arrival = Double(index) * 0.05
            switch arrival {
            case 10..<12 where index % 4 == 0: log.lease(arrival: arrival, spawnMs: nil, error: "memory_pressure")
            case 10..<13: log.lease(arrival: arrival, spawnMs: 40, error: nil)
            default: log.lease(arrival: arrival, spawnMs: 2, error: nil)
            }
        }
        log.record(.pressureChanged(level: .elevated), at: 10.1)
        log.record(.pressureChanged(level: .critical), at: 10.3)
        log.record(.shed(count: 3), at: 10.3)
        log.record(.warmAdded(vmID: "warm-1"), at: 12.5)
        let occurrence = FaultOccurrence(
            spec: FaultSpec(
                kind: "memory_pressure",
                action: .memoryPressure(limit: .usagePercent(97), balloonMiB: nil),
                at: .seconds(10),
                duration: .seconds(2),
                parameters: ["cgroup_usage_percent": "97"]
            ),
            startedAt: 10,
            endedAt: 12,
            applied: true,
            targets: ["cgroup"],
            notes: ["limit lowered"]
        )
        let records = FaultAnalyzer(occurrences: [occurrence], log: log, loadEnd: 20).records()
        let observations = try #require(records.first?.observations)
        #expect(abs((observations.reactionSeconds ?? 0) - 0.1) < 1e-9)
        #expect(observations.recoverySeconds.map { abs($0 - 1.0) < 0.05 } == true, "\(observations)")
        #expect(observations.errorsDuring == ["memory_pressure": 10])
        #expect(observations.leasesDuring == 40)
        #expect(observations.spawnP95BeforeMs == 2)
        #expect(observations.spawnP95DuringMs == 40)
        #expect(observations.poolEvents["shed"] == 1 && observations.poolEvents["warm_added"] == nil)
        #expect(observations.poolEvents["pressure_critical"] == 1)
        #expect(records[0].effect.contains("shed ×1"))
        let figures = FaultAnalyzer.figures(records)
        #expect(figures[.faultsApplied] == 1 && figures[.faultsNotApplied] == 0)
        #expect(figures[.faultReaction].map { abs($0 - 0.1) < 1e-9 } == true)
        // A full disk that failed nothing called for no reaction; one that failed a clone and got none is infinite.
        var harmless = records[0]
        harmless.kind = "disk_full"
        harmless.observations?.errorsDuring = [:]
        harmless.observations?.poolEvents = [:]
        harmless.observations?.reactionSeconds = nil
        #expect(FaultAnalyzer.figures([harmless])[.faultReaction] == nil)
        var hurt = harmless
        hurt.observations?.poolEvents = ["readiness_failed": 1]
        #expect(FaultAnalyzer.figures([hurt])[.faultReaction] == .infinity)

        // Never back before the load ended: the recovery figure is infinite, so a gate on it fails.
        let unrecovered = FaultAnalyzer(occurrences: [occurrence], log: log, loadEnd: 12.5).records()
        #expect(unrecovered[0].observations?.recoverySeconds == nil)
        #expect(FaultAnalyzer.figures(unrecovered)[.faultRecovery] == .infinity)
        #expect(unrecovered[0].effect.contains("did not come back"))
    }
}

@Suite("Faults on the simulated backend", .serialized)
struct SimulatedFaultTests {
    @Test("crashes are applied, what needs a real VMM is recorded as not applied, and nothing is lost")
    func simulated() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let yaml = """
            name: simulated-faults
            description: faults on the simulated backend
            backend: simulated
            pool: {warm_target: 4}
            phases:
              - {name: load, executor: constant-arrival-rate, rate: 10/s, duration: 3s, hold: 5ms}
            faults:
              - {kind: vmm_crash, at: 1s, count: 2}
              - {kind: vmm_hang, at: 1500ms, duration: 500ms}
              - {kind: snapshot_corruption, at: 2s}
              - {kind: cpu_contention, at: 2s, duration: 500ms, processes: 1}
            gates:
              - crashes count >= 2
              - faults_applied count == 2
              - faults_not_applied count == 2
            """
        var options = ScenarioRunner.Options(workDirectory: scratch)
        options.auditPath = scratch + "/audit.jsonl"
        let report = try await ScenarioRunner(
            scenario: try ScenarioParser.parse(yaml: yaml, file: "simulated-faults.yaml"),
            options: options
        )
        .run()
        #expect(report.verdict == .pass, "\(report.gates.filter { !$0.passed })")
        #expect(report.faults.map(\.kind) == ["vmm_crash", "vmm_hang", "snapshot_corruption", "cpu_contention"])
        #expect(report.faults.map(\.applied) == [true, false, false, true])
        #expect(report.faults[0].targets.count == 2)
        #expect(report.faults[0].observations?.poolEvents["crashed"] == 2)
        #expect(report.faults[1].effect.hasPrefix("not applied"))
        #expect(report.faults[3].endedAt.map { $0 > report.faults[3].startedAt } == true)
        let nothingLost = report.gates.filter { $0.expression.hasPrefix("nothing lost") }
        #expect(nothingLost.count == 5 && nothingLost.allSatisfy { $0.passed })
        let audit = try AuditLog.verify(path: scratch + "/audit.jsonl")
        #expect(audit.countsByEvent[.vmCrash] == 2)
        #expect(FaultHelperProcess.unreaped.isEmpty)
    }
}

@Suite(
    "Faults on real Firecracker",
    .serialized,
    .requiresKVM
)
struct FirecrackerFaultTests {
    @Test("every kind is applied to real VMMs, files, cgroups and filesystems; the pool copes; nothing is left")
    func everyKind() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let yaml = """
            name: every-fault
            description: every fault kind once, on real Firecracker
            backend: firecracker
            pool:
              warm_target: 3
              readiness_timeout: 500ms
              pressure_interval: 100ms
              cgroup_limit_mib: 512
              work_dir_size_mib: 32
            phases:
              - {name: load, executor: constant-arrival-rate, rate: 20/s, duration: 13s, hold: 10ms}
            faults:
              - {kind: vmm_crash, at: 1s, count: 1, target: warm}
              - {kind: vmm_hang, at: 2s, duration: 1s, count: 1, target: warm}
              - {kind: snapshot_corruption, at: 4s, mode: truncate_state}
              - {kind: memory_pressure, at: 6s, duration: 1500ms, cgroup_usage_percent: 97}
              - {kind: disk_full, at: 8s, duration: 1s}
              - {kind: cpu_contention, at: 10s, duration: 1s, processes: 2}
              - {kind: memory_pressure, at: 11500ms, duration: 1s, balloon_mib: 64}
            gates:
              - faults_applied count == 7
              - crashes count >= 1
              - quarantines count >= 1
              - dead_at_handout count == 0
            """
        let options = try await ScenarioRunner.Options.realFirecracker(in: scratch)
        let report = try await ScenarioRunner(
            scenario: try ScenarioParser.parse(yaml: yaml, file: "every-fault.yaml"),
            options: options
        )
        .run()
        #expect(report.environment.backend == "firecracker")
        #expect(report.verdict == .pass, "\(report.gates.filter { !$0.passed })")
        #expect(report.faults.allSatisfy { $0.applied }, "\(report.faults.map(\.effect))")
        print("faults on real Firecracker:", report.faults.map { "\($0.kind): \($0.effect)" })
        let byKind = Dictionary(grouping: report.faults, by: \.kind)
        // The killed VM is noticed as a crash, or, when an acquire reaches it before its exit is seen, as a
        // readiness failure: which one comes first depends on timing. The run's `crashes count >= 1` gate holds
        // either way.
        let killed = byKind["vmm_crash"]?.first?.observations?.poolEvents ?? [:]
        #expect((killed["crashed"] ?? 0) + (killed["readiness_failed"] ?? 0) >= 1, "\(killed)")
        #expect(byKind["snapshot_corruption"]?.first?.observations?.poolEvents["snapshot_failed"] ?? 0 >= 1)
        // The squeezed cgroup reads elevated or critical (and the pool holds refill or sheds), or the kernel's OOM
        // killer takes a VMM first (and the pool replaces it): whichever the timing, the pool saw the pressure.
        let squeezed = byKind["memory_pressure"]?.first?.observations?.poolEvents ?? [:]
        let reactions = ["pressure_elevated", "pressure_critical", "shed", "crashed"].map { squeezed[$0] ?? 0 }
        #expect(reactions.reduce(0, +) >= 1, "\(squeezed)")
        #expect(report.overall.outcomes.values.reduce(0, +) == report.overall.scheduled)
        #expect(report.gates.filter { $0.expression.hasPrefix("nothing lost") }.allSatisfy { $0.passed })
        // Nothing outlives the run: VMMs, helpers, the filesystem, the cgroup, the pool's files.
        #expect(Leftovers.childVMMs().isEmpty)
        #expect(FaultHelperProcess.unreaped.isEmpty)
        let mounts = try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)
        #expect(!mounts.contains(scratch))
        let work = (try? FileManager.default.contentsOfDirectory(atPath: scratch + "/work/vms")) ?? []
        #expect(work.allSatisfy { !$0.hasPrefix("pool-") }, "\(work)")
        #expect(await MemoryCgroup.reclaimOrphans(logger: .init(label: "test")).isEmpty)
    }
}

@Suite(
    "Leak check on real Firecracker",
    .serialized,
    .requiresKVM
)
struct FirecrackerLeakCheckTests {
    static let yaml = """
        name: leak-check
        description: a short run whose every VM teardown is verified
        pool: {warm_target: 2}
        phases:
          - {name: load, executor: constant-arrival-rate, rate: 20/s, duration: 1s, hold: 5ms}
        gates:
          - leaks count == 0

        """

    func run(skipping: (@Sendable (String) -> Bool)?) async throws -> RunReport {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        var options = try await ScenarioRunner.Options.realFirecracker(in: scratch)
        options.skipsCleanup = skipping
        return try await ScenarioRunner(
            scenario: try ScenarioParser.parse(yaml: Self.yaml, file: "leak-check.yaml"),
            options: options
        )
        .run()
    }

    @Test("every VM's teardown is verified as it happens; a clean run has no problem and no descriptor left")
    func clean() async throws {
        let report = try await run(skipping: nil)
        #expect(report.leakCheck.problems.isEmpty, "\(report.leakCheck.problems)")
        // 20 leases, plus the warm VMs drained at the end.
        #expect((report.leakCheck.teardownsVerified ?? 0) >= 20)
        #expect(report.leakCheck.teardownProblems == [])
        #expect(report.leakCheck.descriptorsLeft == [])
        #expect(report.verdict == .pass, "\(report.gates.filter { !$0.passed })")
        #expect(Leftovers.childVMMs().isEmpty)
    }

    @Test("one VM whose cleanup is skipped fails the leak check, named, and the run fails")
    func injectedLeak() async throws {
        // The third VM the pool restores keeps its directory at its teardown.
        let restores = Mutex(0)
        let victim = Mutex<String?>(nil)
        let report = try await run(skipping: { id in
            let third = restores.withLock { count -> Bool in
                count += 1
                return count == 3
            }
            if third { victim.withLock { $0 = id } }
            return third
        })
        let id = try #require(victim.withLock { $0 })
        let problems = report.leakCheck.teardownProblems ?? []
        // Seen twice: at the VM's own teardown, and again when the pool's directory was removed at the end.
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.first?.hasPrefix("\(id):") == true && problems.first?.contains("left behind") == true)
        #expect(problems.last?.hasPrefix("pool:") == true && problems.last?.contains(id) == true)
        #expect(report.leakCheck.problems.contains { $0.contains("teardowns left something") && $0.contains(id) })
        #expect(report.gates.first { $0.expression == "leaks count == 0" }?.outcome == .fail)
        #expect(report.gates.first { $0.expression == "nothing lost: the drain left nothing" }?.outcome == .fail)
        #expect(report.verdict == .fail)
        #expect(Leftovers.childVMMs().isEmpty)
    }
}
