import Firecracker
import Foundation
import Glibc
import HostSystem
import MicroVM
import SnapshotPool
import Synchronization
import TestSupport
import Testing

/// Runs a pool on real Firecracker in a scratch directory for the duration of `body`, then shuts it down and
/// checks that nothing is left: no VMM, no pool directory, a verifiable audit log.
///
/// `body` starts once the pool runs, so that its time budgets (acquire deadlines, ``eventually(_:within:_:)``)
/// do not include building the golden snapshot.
private func withFirecrackerPool(
    _ configuration: PoolConfiguration,
    monitoring: PressureMonitoring? = nil,
    cgroup: MemoryCgroup? = nil,
    networkSlots: NetworkSlotPool? = nil,
    jailed: Bool = false,
    spec: VMSpec? = nil,
    memory: GuestMemory = GuestMemory(),
    standby: Int = 0,
    loadPriority: LoadPriority = .automatic,
    loadAnswered: (@Sendable (VMMProcess) -> Void)? = nil,
    prepare: ((String) async throws -> Void)? = nil,
    body: (SnapshotPool<FirecrackerBackend, ContinuousClock>, FirecrackerBackend, EventLog) async throws -> Void
) async throws -> AuditVerification {
    let scratch = try TestEnvironment.scratchDirectory()
    defer { TestEnvironment.remove(scratch) }
    let installation = try await TestEnvironment.installation()
    let audit = try AuditLog(path: scratch + "/audit.jsonl")
    let guest = try TestEnvironment.guestPath()
    var backendConfiguration = FirecrackerBackend.Configuration(
        installation: installation,
        spec: spec ?? .builtInGuest(imagePath: guest, workingSetMiB: 4),
        storeDirectory: scratch + "/store",
        workDirectory: scratch + "/work"
    )
    backendConfiguration.cgroup = cgroup
    backendConfiguration.networkSlots = networkSlots
    if jailed {
        backendConfiguration.jail = JailerOptions(
            jailerPath: try #require(installation.jailerPath),
            uid: 65534,
            gid: 65534,
            chrootBase: scratch + "/jail"
        )
    }
    backendConfiguration.audit = audit
    backendConfiguration.memory = memory
    backendConfiguration.standbyProcesses = standby
    backendConfiguration.loadAnswered = loadAnswered
    backendConfiguration.loadPriority = loadPriority
    try await prepare?(scratch + "/work")
    let backend = FirecrackerBackend(configuration: backendConfiguration)
    let pool = SnapshotPool(
        backend: backend,
        configuration: configuration,
        services: PoolServices(pressure: monitoring, audit: audit)
    )
    let events = EventLog(pool.subscribe())
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await pool.run() }
        do {
            try await running(pool)
            try await body(pool, backend, events)
        } catch {
            await pool.shutdown()
            try? await group.waitForAll()
            throw error
        }
        await pool.shutdown()
        try await group.waitForAll()
    }
    #expect(Leftovers.childVMMs().isEmpty, "VMMs left after shutdown")
    #expect(
        !FileManager.default.fileExists(atPath: backend.poolDirectory),
        "the pool directory was left: \(FileManager.default.subpaths(atPath: backend.poolDirectory) ?? [])"
    )
    #expect(await events.contains(.drained))
    audit.close()
    #expect(audit.writeFailures == 0)
    return try AuditLog.verify(path: scratch + "/audit.jsonl")
}

/// Waits until the pool runs, with no time budget of its own (the suite's time limit bounds it): its start-up
/// builds the golden snapshot, which takes as long as it takes on this host.
///
/// - Throws: when the pool stopped without running (its start failed; `run()` throws why).
private func running(_ pool: SnapshotPool<FirecrackerBackend, ContinuousClock>) async throws {
    while true {
        let state = await pool.statistics().state
        if state == .running { return }
        try #require(state == .idle || state == .starting, "the pool is \(state) and never ran")
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Waits in real time (bounded) until the pool's statistics satisfy `condition`; call it once the pool runs.
private func eventually(
    _ pool: SnapshotPool<FirecrackerBackend, ContinuousClock>,
    within timeout: Duration = .seconds(10),
    _ condition: (PoolStatistics) -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition(await pool.statistics()) { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition(await pool.statistics())
}

/// Waits in real time (bounded) until the standby satisfies `condition`.
private func eventually(
    _ standby: VMMStandby,
    within timeout: Duration = .seconds(10),
    _ condition: (VMMStandby) -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition(standby) { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition(standby)
}

@Suite(
    "Snapshot pool on real Firecracker",
    .serialized,
    .requiresKVM,
    .timeLimit(.minutes(3))
)
struct FirecrackerPoolTests {
    @Test("50 leases through a warm pool of 4 with 2 concurrent holders: all distinct, all proven, all released")
    func fiftyLeases() async throws {
        let tokens = LockedArray<String>()
        let paths = LockedArray<LeasePath>()
        let audit = try await withFirecrackerPool(PoolConfiguration(warmTarget: 4, maximumVMs: 8)) { pool, _, _ in
            #expect(await eventually(pool) { $0.warm == 4 })
            try await withThrowingTaskGroup(of: Void.self) { group in
                for holder in 0..<2 {
                    group.addTask {
                        for _ in 0..<25 {
                            try await pool.withLease(timeout: .seconds(5)) { lease in
                                #expect(GuestProof.matches(lease.proof.token), "\(lease.proof.token)")
                                #expect(lease.pid.map(Leftovers.processExists) == true)
                                tokens.append(lease.proof.token)
                                paths.append(lease.path)
                            }
                        }
                        _ = holder
                    }
                }
                try await group.waitForAll()
            }
            let stats = await pool.statistics()
            #expect(stats.counters.released == 50)
            #expect(stats.counters.warmHits + stats.counters.onDemand == 50)
            #expect(stats.leased == 0)
        }
        #expect(Set(tokens.values).count == 50, "every lease must be a distinct clone")
        #expect(paths.values.contains(.warm))
        #expect(audit.countsByEvent[.vmLease] == 50)
        #expect(audit.countsByEvent[.vmRelease] == 50)
        #expect(audit.countsByEvent[.snapshotBuild] == 1)
        #expect(audit.countsByEvent[.poolShutdown] == 1)
    }

    @Test(
        "the first lease's working set is recorded and prefetched for later clones; every guest's work checks out",
        arguments: [GuestMemory.Backend.userfaultfd, .file]
    )
    func recordedPrefetch(backend memoryBackend: GuestMemory.Backend) async throws {
        let guest = try TestEnvironment.guestPath()
        let spec = VMSpec.builtInGuest(imagePath: guest, workingSetMiB: 4, touch: WorkingSetTouch(mebibytes: 4))
        // userfaultfd: recorded by the page server, copied in by the next ones. File: read from the VMM's page
        // map, read back into the (cold) page cache before each restore.
        let memory = GuestMemory(backend: memoryBackend, prefetch: .recorded, pageCache: .cold)
        _ = try await withFirecrackerPool(PoolConfiguration(warmTarget: 1, maximumVMs: 2), spec: spec, memory: memory) {
            pool,
            backend,
            _ in
            #expect(backend.recordedWorkingSet == nil)
            for _ in 0..<4 {
                try await pool.withLease(timeout: .seconds(5)) { lease in
                    let work = try #require(try await pool.work(of: lease, timeout: .seconds(20)))
                    #expect(work.wrongPages == 0, "\(work.token)")
                }
            }
            let recorded = try #require(backend.recordedWorkingSet, "the first lease's pages were recorded")
            // The guest re-touched 4 MiB (1 024 pages) 16 MiB into its memory; the rest of 128 MiB it left alone.
            let workingSet = (0x100_0000 / 4096)..<(0x100_0000 / 4096 + 1024)
            #expect(workingSet.allSatisfy(recorded.contains), "\(recorded.count) pages recorded")
            #expect(recorded.count < 32_768 / 2, "only what the clone touched: \(recorded.count)")
        }
    }

    @Test(
        "on-demand leases take processes started ahead; one killed while waiting is passed over and replaced; every load ran at the load priority; shutdown leaves nothing"
    )
    func standbyProcesses() async throws {
        let duringLoads = LockedArray<[Int32: Int]>()
        let recordNiceness: @Sendable (VMMProcess) -> Void = { vmm in
            duringLoads.append(ProcessStatus.threadNiceness(of: vmm.pid))
        }
        let audit = try await withFirecrackerPool(
            PoolConfiguration(warmTarget: 0, maximumVMs: 4),
            standby: 2,
            loadAnswered: recordNiceness
        ) { pool, backend, _ in
            let standby = try #require(backend.standby)
            #expect(await eventually(standby) { $0.processIDs.count == 2 })
            let ready = standby.readyProcesses
            try #require(ready.count == 2)
            #expect(Set(ready.map(\.pid)).isSubset(of: Set(Leftovers.childVMMs())))
            // The oldest is handed out first: killed, it must be passed over for the next. Its exit is awaited as
            // the standby sees it, recorded after the reap, not as its pid vanishing, which comes first.
            let victim = ready[0]
            #expect(kill(victim.pid, SIGKILL) == 0)
            #expect(await victim.waitForExit() == .signaled(SIGKILL))
            try await withThrowingTaskGroup(of: LeaseTimings.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await pool.withLease(timeout: .seconds(5)) { lease in
                            #expect(GuestProof.matches(lease.proof.token), "\(lease.proof.token)")
                            #expect(lease.path == .onDemand)
                            // Loaded at the load priority, then every thread (the vCPU's too) back at 0.
                            let niceness = ProcessStatus.threadNiceness(of: try #require(lease.pid))
                            #expect(niceness.count >= 3 && niceness.values.allSatisfy { $0 == 0 }, "\(niceness)")
                            return lease.timings
                        }
                    }
                }
                var startedAhead = 0
                for try await timings in group {
                    if timings.stages.processStartedAhead { startedAhead += 1 }
                    #expect(timings.stages.processStart != nil)
                }
                // The live one was taken for sure; how many more the standby launched and handed out depends on
                // when one restore ended before another began, so the count is checked against its own.
                let counters = standby.counters
                #expect(startedAhead >= 1)
                #expect(startedAhead == counters.taken, "\(counters)")
            }
            let counters = standby.counters
            #expect(counters.foundDead == 1)
            #expect(counters.launchFailures == 0)
            // Refilled once no restore is in flight.
            #expect(await eventually(standby) { $0.processIDs.count == 2 })
            #expect(!standby.processIDs.contains(victim.pid))
        }
        #expect(audit.countsByEvent[.vmLease] == 3)
        // Every thread of every VMM ran its load at -10, the vCPU thread the load started among them.
        #expect(duringLoads.values.count == 3)
        for threads in duringLoads.values {
            #expect(threads.count >= 3 && threads.values.allSatisfy { $0 == -10 }, "\(threads)")
        }
    }

    @Test(
        "without the right to raise a load's priority, every VMM loads at the default niceness and the shortest slice, and is lowered to nice 10 with the default slice once loaded"
    )
    func loweredAfterLoad() async throws {
        let duringLoads = LockedArray<[Int32: Int]>()
        let slicesDuringLoads = LockedArray<[Int32: Duration]>()
        let recordNiceness: @Sendable (VMMProcess) -> Void = {
            duringLoads.append(ProcessStatus.threadNiceness(of: $0.pid))
            slicesDuringLoads.append(ThreadSlice.slices(allThreadsOf: $0.pid))
        }
        _ = try await withFirecrackerPool(
            PoolConfiguration(warmTarget: 1, maximumVMs: 3),
            loadPriority: .lowered(10),
            loadAnswered: recordNiceness
        ) { pool, backend, _ in
            #expect(backend.resolvedLoadPriority == .lowered(10))
            #expect(await eventually(pool) { $0.warm == 1 })
            for _ in 0..<3 {
                try await pool.withLease(timeout: .seconds(5)) { lease in
                    let pid = try #require(lease.pid)
                    let niceness = ProcessStatus.threadNiceness(of: pid)
                    #expect(niceness.count >= 3 && niceness.values.allSatisfy { $0 == 10 }, "\(niceness)")
                    let slices = ThreadSlice.slices(allThreadsOf: pid)
                    #expect(slices.count >= 3 && slices.values.allSatisfy { $0 > LoadPriority.loadSlice }, "\(slices)")
                }
            }
        }
        #expect(duringLoads.values.count >= 3)
        for threads in duringLoads.values {
            #expect(threads.values.allSatisfy { $0 == 0 }, "\(threads)")
        }
        // Every thread of every VMM ran its load on the shortest slice, the vCPU thread the load started among them
        // (on a kernel before 6.12, without custom slices, the request fails and the default stays).
        let probe = WorkerThread(name: "sbt-slice-probe")
        defer { probe.stop() }
        let customSlices = await probe.run { ThreadSlice.request(LoadPriority.loadSlice) }
        #expect(slicesDuringLoads.values.count >= 3)
        for threads in slicesDuringLoads.values where customSlices {
            #expect(threads.count >= 3 && threads.values.allSatisfy { $0 == LoadPriority.loadSlice }, "\(threads)")
        }
        #expect(LoadPriority.lowered(10).description.contains("nice 10"))
        #expect(LoadPriority.unchanged.resolved == .unchanged)
        if geteuid() == 0 { #expect(LoadPriority.automatic.resolved == .raised(-10)) }
    }

    @Test("kill -9 of warm VMMs is noticed, counted and healed; no lease gets a dead VM")
    func killedWarmVMMsAreReplaced() async throws {
        let audit = try await withFirecrackerPool(PoolConfiguration(warmTarget: 3, maximumVMs: 6)) { pool, _, _ in
            #expect(await eventually(pool) { $0.warm == 3 && $0.restoring == 0 })
            let victims = Array(Leftovers.childVMMs().prefix(2))
            #expect(victims.count == 2)
            for pid in victims { kill(pid, SIGKILL) }
            #expect(await eventually(pool) { $0.counters.warmCrashes == 2 && $0.warm == 3 })
            for _ in 0..<3 {
                try await pool.withLease { lease in
                    #expect(!victims.contains(lease.pid ?? -1))
                }
            }
        }
        #expect(audit.countsByEvent[.vmCrash] == 2)
    }

    @Test("a real memory cgroup limit drives the pressure response: warm VMs are shed, restores refused, then recovery")
    func cgroupPressure() async throws {
        guard MemoryCgroup.usableParent() != nil else {
            Issue.record("no writable memory cgroup controller on this host")
            return
        }
        let cgroup = try MemoryCgroup.create(prefix: "snapbench-pooltest")
        defer { try? cgroup.destroy(killingProcesses: true) }
        var thresholds = PressureThresholds()
        thresholds.calmReadingsToRecover = 2
        // Low fractions: setting a limit near the usage makes the kernel reclaim page cache, which moves the
        // usage; at 0.5 the limit below still means critical whatever it reclaims.
        thresholds.cgroupUsageElevated = 0.3
        thresholds.cgroupUsageCritical = 0.5
        let source = LatchingPressureSource(cgroup.pressureSource)
        let audit = try await withFirecrackerPool(
            PoolConfiguration(warmTarget: 3, maximumVMs: 6),
            monitoring: PressureMonitoring(
                source: source,
                thresholds: thresholds,
                interval: .milliseconds(50)
            ),
            cgroup: cgroup
        ) { pool, _, events in
            #expect(await eventually(pool) { $0.warm == 3 && $0.restoring == 0 })
            let usage = try cgroup.usage()
            #expect(usage > 0, "the VMMs' memory must be charged to the pool cgroup")
            // A limit 25 % above the usage puts it at 80 % of the limit: critical for these thresholds.
            let limit = (usage * 5 / 4 + 4095) / 4096 * 4096
            // The first critical reading is held until the refusal has been checked: the kernel reclaims within
            // the limit, and the pool would otherwise recover (two calm readings, 100 ms) whenever it did.
            source.arm { [thresholds] reading in thresholds.level(for: reading) == .critical }
            try cgroup.setLimit(bytes: limit)
            let shedAt = ContinuousClock.now
            #expect(await eventually(pool, within: .seconds(5)) { $0.counters.shed >= 1 && $0.warm == 0 })
            #expect(ContinuousClock.now - shedAt < .seconds(1), "shedding must follow critical pressure within 1 s")
            #expect(source.isHolding, "the pool shed without a critical reading")
            #expect(await pool.statistics().pressure == .critical)
            let refused = try await #require(throws: PoolError.self) { try await pool.acquire(timeout: .seconds(1)) }
            #expect(refused.code == .memoryPressure)
            try cgroup.setLimit(bytes: nil)
            source.release()
            #expect(await eventually(pool) { $0.pressure == .normal && $0.warm == 3 })
            #expect(await events.eventually { $0 == .pressureChanged(level: .critical) })
        }
        #expect(audit.countsByEvent[.pressureShed] ?? 0 >= 1)
        #expect(audit.countsByEvent[.pressureLevel] ?? 0 >= 2)
    }

    @Test("start-up reclaims a killed predecessor's VMMs and directories, found by its marker")
    func orphansReclaimed() async throws {
        let installation = try await TestEnvironment.installation()
        let orphan = LockedArray<VMMProcess>()
        let audit = try await withFirecrackerPool(
            PoolConfiguration(warmTarget: 1),
            prepare: { work in
                // A predecessor whose pid is dead: a process that has exited and been reaped.
                let dead = try await deadPid()
                let directory = "\(work)/pool-\(dead)-feedbeef"
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                try Data("pid=\(dead)\n".utf8).write(
                    to: URL(fileURLWithPath: directory + "/" + FirecrackerBackend.poolMarker)
                )
                let vmm = try await VMMProcess.launch(
                    VMMConfiguration(
                        binary: installation.firecrackerPath,
                        workingDirectory: directory + "/vm-1",
                        id: "orphan"
                    )
                )
                orphan.append(vmm)
            },
            body: { pool, backend, events in
                #expect(await eventually(pool) { $0.warm == 1 })
                let vmm = try #require(orphan.values.first)
                #expect(await vmm.waitForExit() == .signaled(SIGKILL))
                #expect(!FileManager.default.fileExists(atPath: vmm.workingDirectory))
                #expect(
                    await events.eventually { if case .started(let reclaimed) = $0 { reclaimed >= 2 } else { false } }
                )
                _ = backend
            }
        )
        #expect(audit.countsByEvent[.poolStart] == 1)
    }

    @Test("a corrupted golden snapshot is detected at load, quarantined and rebuilt; the pool goes on serving")
    func corruptedSnapshot() async throws {
        _ = try await withFirecrackerPool(PoolConfiguration(warmTarget: 0, maximumVMs: 2)) { pool, backend, _ in
            // The pool runs (see withFirecrackerPool): the acquires below restore on demand, not queue for start-up.
            let snapshot = try await backend.store.current()
            let handle = try #require(FileHandle(forWritingAtPath: snapshot.statePath))
            try handle.truncate(atOffset: 64)
            try handle.close()
            let error = try await #require(throws: PoolError.self) { try await pool.acquire() }
            #expect(error.code == .snapshotInvalid)
            let lease = try await pool.acquire()
            #expect(lease.path == .onDemand)
            await pool.release(lease)
            let history = await backend.store.history
            #expect(history.contains { if case .quarantined = $0 { true } else { false } })
            #expect(history.filter { if case .built = $0 { true } else { false } }.count == 2)
        }
    }
}

extension FirecrackerPoolTests {
    @Test("with network slots each clone opens the snapshot's TAP in a namespace of its own and binds its vsock")
    func networkSlots() async throws {
        let slots = try await NetworkSlotPool(
            prefix: NetworkSlotPool.ownedPrefix(tag: "pool"),
            count: 3,
            tapNames: ["tap0"]
        )
        let namespaces = LockedArray<String>()
        _ = try await withFirecrackerPool(
            PoolConfiguration(warmTarget: 1, maximumVMs: 2),
            networkSlots: slots,
            spec: VMSpec(
                kernelImagePath: try TestEnvironment.guestPath(),
                bootArgs: "ws=4",
                networkInterfaces: [NetworkInterface(ifaceId: "eth0", hostDevName: "tap0")],
                vsock: Vsock(guestCid: 3, udsPath: "vsock.sock"),
                readiness: .builtInGuest
            )
        ) { pool, backend, _ in
            for _ in 0..<3 {
                try await pool.withLease { lease in
                    let pid = try #require(lease.pid)
                    let namespace = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
                    let mine = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
                    #expect(namespace != mine, "the clone must run in a slot's namespace")
                    namespaces.append(namespace)
                    let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
                    let tun = descriptors.contains {
                        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)"))
                            == "/dev/net/tun"
                    }
                    #expect(tun, "Firecracker must have opened its TAP")
                    let cwd = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")
                    #expect(
                        FileManager.default.fileExists(atPath: cwd + "/vsock.sock"),
                        "each clone binds its own vsock"
                    )
                }
            }
            _ = backend
        }
        #expect(await slots.availableCount == 3, "every slot is back after the leases")
        try await slots.destroy()
        #expect(namespaces.count == 3)
    }
}

extension FirecrackerPoolTests {
    @Test("in jailer mode every lease is a chrooted, unprivileged VMM, and the drain removes every jail")
    func jailerMode() async throws {
        let jails = LockedArray<String>()
        _ = try await withFirecrackerPool(PoolConfiguration(warmTarget: 2, maximumVMs: 4), jailed: true) { pool, _, _ in
            for _ in 0..<4 {
                try await pool.withLease { lease in
                    let pid = try #require(lease.pid)
                    // Pivoted into its jail (own mount namespace): its "/" holds the socket, not the host's /etc.
                    #expect(FileManager.default.fileExists(atPath: "/proc/\(pid)/root/api.sock"))
                    #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)/root/etc/passwd"))
                    let cwd = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")
                    jails.append(lease.vmID + ":" + cwd)
                }
            }
        }
        #expect(Set(jails.values).count == 4)
        #expect(Leftovers.childVMMs().isEmpty)
    }
}

extension FirecrackerPoolTests {
    @Test("start-up reclaims a dead predecessor's jailed VMM (found by the marker in its root) and its jail")
    func jailedOrphanReclaimed() async throws {
        let installation = try await TestEnvironment.installation()
        let orphan = LockedArray<VMMProcess>()
        let jailDirectory = LockedArray<String>()
        _ = try await withFirecrackerPool(
            PoolConfiguration(warmTarget: 1),
            jailed: true,
            prepare: { work in
                let jail = JailerOptions(
                    jailerPath: try #require(installation.jailerPath),
                    uid: 65534,
                    gid: 65534,
                    chrootBase: URL(fileURLWithPath: work).deletingLastPathComponent().path + "/jail"
                )
                let vmm = try await VMMProcess.launch(
                    .jailed(firecracker: installation.firecrackerPath, id: "orphan-jail", jail: jail)
                )
                // Pretend a killed predecessor started it: its marker names a pid that is dead.
                let dead = try await deadPid()
                try Data("pid=\(dead)\n".utf8).write(
                    to: URL(fileURLWithPath: vmm.workingDirectory + "/" + VMMConfiguration.FileName.marker)
                )
                orphan.append(vmm)
                jailDirectory.append(jail.jailDirectory(id: "orphan-jail"))
            },
            body: { pool, _, _ in
                #expect(await eventually(pool) { $0.warm == 1 })
                let vmm = try #require(orphan.values.first)
                #expect(await vmm.waitForExit() == .signaled(SIGKILL))
                #expect(!FileManager.default.fileExists(atPath: try #require(jailDirectory.values.first)))
            }
        )
    }
}

/// The pid of a process that has exited and been reaped.
private func deadPid() async throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
}

extension FirecrackerPoolTests {
    @Test(
        "each clone has every device of its snapshot, plain (drives shared) and jailed (drives copied); a taken one is found",
        arguments: [false, true]
    )
    func devicesChecked(jailed: Bool) async throws {
        let slots = try await NetworkSlotPool(
            prefix: NetworkSlotPool.ownedPrefix(tag: jailed ? "devj" : "dev"),
            count: 4,
            tapNames: ["tap0", "tap1"]
        )
        var spec = VMSpec.builtInGuest(imagePath: try TestEnvironment.guestPath(), workingSetMiB: 4)
        spec.networkInterfaces = [
            NetworkInterface(ifaceId: "eth0", hostDevName: "tap0"),
            NetworkInterface(ifaceId: "eth1", hostDevName: "tap1"),
        ]
        spec.blockDevices = BlockDevices(count: 2, sizeMiB: 2, sharing: jailed ? .copy : .readOnly)
        spec.balloon = Balloon(amountMib: 0, deflateOnOom: true)
        spec.vsock = Vsock(guestCid: 3, udsPath: "vsock.sock")
        _ = try await withFirecrackerPool(
            PoolConfiguration(warmTarget: 1, maximumVMs: 2),
            networkSlots: slots,
            jailed: jailed,
            spec: spec
        ) { pool, _, _ in
            try await pool.withLease { lease in
                let problems = try await pool.checkDevices(of: lease)
                #expect(problems == [])
            }
            try await pool.withLease { lease in
                // Through the VMM's own cwd link, which reaches into its jail's mount namespace too.
                let directory = "/proc/\(try #require(lease.pid))/cwd"
                #expect(unlink(directory + "/vsock.sock") == 0 && unlink(directory + "/drive1.img") == 0)
                let problems = try #require(try await pool.checkDevices(of: lease))
                #expect(problems.contains { $0.contains("vsock.sock accepts no connection") }, "\(problems)")
                #expect(problems.contains { $0.contains("drive1.img is not in the clone's directory") }, "\(problems)")
                // A copy the VMM holds is gone with its name; a shared drive's link is not what the VMM opened.
                #expect(
                    problems.contains { $0.contains("does not hold the drive drive1.img open") } == jailed,
                    "\(problems)"
                )
                #expect(!problems.contains { $0.contains("drive0.img") || $0.contains("TAP") }, "\(problems)")
            }
        }
        #expect(await slots.availableCount == 4, "every slot is back after the leases")
        try await slots.destroy()
    }
}

extension FirecrackerPoolTests {
    @Test(
        "with network slots, processes started ahead each hold a namespace of their own and bring it to their clone, plain and jailed; a killed one's slot comes back",
        arguments: [false, true]
    )
    func standbyInNetworkSlots(jailed: Bool) async throws {
        let slots = try await NetworkSlotPool(
            prefix: NetworkSlotPool.ownedPrefix(tag: jailed ? "sbj" : "sb"),
            count: 6,
            tapNames: ["tap0"]
        )
        var spec = VMSpec.builtInGuest(imagePath: try TestEnvironment.guestPath(), workingSetMiB: 4)
        spec.networkInterfaces = [NetworkInterface(ifaceId: "eth0", hostDevName: "tap0")]
        _ = try await withFirecrackerPool(
            PoolConfiguration(warmTarget: 0, maximumVMs: 3),
            networkSlots: slots,
            jailed: jailed,
            spec: spec,
            standby: 2
        ) { pool, backend, _ in
            let standby = try #require(backend.standby)
            #expect(await eventually(standby) { $0.processIDs.count == 2 })
            // Each standby process runs in a namespace that is a slot's, and holds that slot.
            #expect(await slots.availableCount == 4)
            let ready = standby.readyProcesses
            try #require(ready.count == 2)
            // Its exit awaited as the standby sees it (recorded after the reap), so the first lease passes it over.
            #expect(kill(ready[0].pid, SIGKILL) == 0)
            #expect(await ready[0].waitForExit() == .signaled(SIGKILL))
            var startedAhead = 0
            for _ in 0..<2 {
                try await pool.withLease(timeout: .seconds(5)) { lease in
                    #expect(lease.path == .onDemand)
                    let problems = try await pool.checkDevices(of: lease)
                    #expect(problems == [], "the clone's TAP is in the namespace its process started in")
                    if lease.timings.stages.processStartedAhead { startedAhead += 1 }
                }
            }
            #expect(startedAhead >= 1, "the live standby process was taken")
            #expect(standby.counters.foundDead == 1)
        }
        // The killed process's slot, the taken ones' and those still held at shutdown: every one is back.
        #expect(await slots.availableCount == 6)
        try await slots.destroy()
    }
}

/// A pressure source that passes the real readings on, except that once armed, the first reading its condition
/// holds for is repeated until released: the level the pool acts on then cannot recover while a test checks what
/// the pool does at it.
private final class LatchingPressureSource: MemoryPressureSource {
    private enum Latch {
        case open
        case armed(@Sendable (MemoryPressureReading) -> Bool)
        case holding(MemoryPressureReading)
    }

    private let base: any MemoryPressureSource
    private let latch = Mutex(Latch.open)

    init(_ base: any MemoryPressureSource) {
        self.base = base
    }

    func read() -> MemoryPressureReading {
        latch.withLock { latch in
            if case .holding(let held) = latch { return held }
            let reading = base.read()
            if case .armed(let holds) = latch, holds(reading) { latch = .holding(reading) }
            return reading
        }
    }

    /// From the next reading on, holds the first one `condition` is true for.
    func arm(_ condition: @escaping @Sendable (MemoryPressureReading) -> Bool) {
        latch.withLock { $0 = .armed(condition) }
    }

    /// Passes the real readings on again.
    func release() {
        latch.withLock { $0 = .open }
    }

    /// Whether a reading is held now.
    var isHolding: Bool {
        latch.withLock { latch in
            if case .holding = latch { return true }
            return false
        }
    }
}

extension FirecrackerPoolTests {
    @Test(
        "hedged on real Firecracker: both warm VMMs frozen, the acquire hedges twice and a fresh clone wins; nothing is left"
    )
    func hedgedPastFrozenVMMs() async throws {
        var configuration = PoolConfiguration(warmTarget: 2, maximumVMs: 6)
        configuration.hedging = Hedging(enabled: true, fixedDelay: .milliseconds(20), perSecond: 10)
        configuration.readinessTimeout = .seconds(1)
        let audit = try await withFirecrackerPool(configuration) { pool, _, _ in
            #expect(await eventually(pool) { $0.warm == 2 && $0.restoring == 0 })
            let frozen = Leftovers.childVMMs()
            try #require(frozen.count == 2)
            for pid in frozen { #expect(kill(pid, SIGSTOP) == 0) }
            try await pool.withLease(timeout: .seconds(5)) { lease in
                let pid = try #require(lease.pid)
                // A refill or an on-demand restore, whichever the second hedge found first.
                #expect(!frozen.contains(pid))
                #expect(GuestProof.matches(lease.proof.token), "\(lease.proof.token)")
            }
            var stats = await pool.statistics()
            #expect(stats.counters.hedges == 2 && stats.counters.hedgesWon == 1, "\(stats.counters)")
            #expect(stats.counters.hedgesWasted == 1, "\(stats.counters)")
            // The frozen VMs never prove readiness: each is given up at its timeout and destroyed (a stopped
            // process still dies of SIGKILL), never handed out.
            #expect(await eventually(pool) { $0.counters.readinessFailures == 2 && $0.stragglers == 0 })
            stats = await pool.statistics()
            #expect(stats.leased == 0)
        }
        #expect(audit.countsByEvent[.vmHedge] == 2)
        #expect(Leftovers.childVMMs().isEmpty)
    }
}

extension FirecrackerPoolTests {
    @Test(
        "a clone whose agent never answers ends its acquire as agent_timeout at the deadline, counted, and nothing is left"
    )
    func agentNeverAnswers() async throws {
        var spec = VMSpec.builtInGuest(imagePath: try TestEnvironment.guestPath(), workingSetMiB: 4)
        spec.vsock = Vsock(guestCid: 3, udsPath: "vsock.sock")
        spec.readiness.agent = .builtIn
        // The guest leaves its agent off: the VM runs and proves its boot on the console, but no one ever
        // accepts the host's connection on its vsock device.
        spec.bootArgs += " agent=0"
        // One VM at most: the silent warm VM is the only one the acquire can be handed before its deadline.
        var configuration = PoolConfiguration(warmTarget: 1, maximumVMs: 1)
        configuration.readinessTimeout = .seconds(2)
        _ = try await withFirecrackerPool(configuration, spec: spec) { pool, _, _ in
            #expect(await eventually(pool) { $0.warm == 1 && $0.restoring == 0 })
            let silent = Leftovers.childVMMs()
            try #require(silent.count == 1)
            let failure = try await #require(throws: PoolError.self) {
                try await pool.withLease(timeout: .milliseconds(400)) { _ in }
            }
            #expect(failure.code == .agentTimeout, "\(failure)")
            // The VM given up is destroyed, never handed out.
            #expect(await eventually(pool) { $0.counters.readinessFailures == 1 && $0.leased == 0 })
            #expect(!Leftovers.processExists(silent[0]))
        }
    }
}
