import Firecracker
import HostSystem
import MicroVM
import Randomness
import SnapshotPool
import Synchronization
import TestSupport
import Testing

@Suite("Snapshot pool logic (simulated backend, manual clock)", .timeLimit(.minutes(1)))
struct SnapshotPoolTests {
    @Test("refills to the warm target and hands out warm VMs that are each used once")
    func refillAndSingleUse() async throws {
        try await SimulatedPoolFixture(PoolConfiguration(warmTarget: 3, maximumVMs: 6)).run { fixture in
            await fixture.until { $0.warm == 3 }
            #expect(fixture.backend.liveVMs.count == 3)
            var seen: Set<String> = []
            for index in 0..<10 {
                let lease = try await acquire(fixture)
                // The pool is refilled to 3 between acquires: the first is a warm hit for sure.
                if index == 0 { #expect(lease.path == .warm) }
                #expect(!seen.contains(lease.vmID), "VM \(lease.vmID) was handed out twice")
                seen.insert(lease.vmID)
                #expect(lease.proof.token.contains(lease.vmID))
                await fixture.pool.release(lease)
                #expect(!fixture.backend.liveVMs.contains(lease.vmID), "a released VM must be destroyed")
                await fixture.pool.release(lease)
            }
            let stats = await fixture.pool.statistics()
            #expect(stats.counters.released == 10)
            #expect(stats.counters.warmHits >= 3)
            await fixture.until { $0.warm == 3 }
        }
    }

    @Test("a warm hit's timings: resume and readiness measured, restore stages carried over, waits consistent")
    func warmTimings() async throws {
        var latencies = SimulatedBackend<ManualClock>.Latencies()
        latencies.processStart = .fixed(.milliseconds(2))
        latencies.load = .fixed(.milliseconds(10))
        latencies.resume = .fixed(.microseconds(500))
        latencies.readiness = .fixed(.microseconds(700))
        try await SimulatedPoolFixture(PoolConfiguration(warmTarget: 1), latencies: latencies).run { fixture in
            await fixture.until { $0.warm == 1 }
            let lease = try await acquire(fixture)
            #expect(lease.path == .warm)
            #expect(lease.timings.stages.load == .milliseconds(10))
            #expect(lease.timings.stages.resume == .microseconds(500))
            #expect(lease.timings.stages.readiness == .microseconds(700))
            // The clock moves while the acquire hops onto the pool, so how long it queued depends on scheduling;
            // what cannot: the acquire took at least its resume and readiness, on top of any queueing.
            #expect(lease.timings.queueWait >= .zero)
            #expect(lease.timings.acquire >= lease.timings.queueWait + .microseconds(1_200))
            let timings = await fixture.pool.release(lease)
            #expect(timings?.resume == .microseconds(500), "release returns the VM's final timings")
            #expect(await fixture.pool.release(lease) == nil, "a second release is a no-op")
        }
    }

    @Test("with no warm VM and spare capacity an acquire restores on demand")
    func onDemand() async throws {
        try await SimulatedPoolFixture(PoolConfiguration(warmTarget: 0, maximumVMs: 2)).run { fixture in
            // Before the pool runs, an acquire would queue and be served by refill instead of on demand.
            await fixture.waitUntil { $0.state == .running }
            let lease = try await acquire(fixture)
            #expect(lease.path == .onDemand)
            #expect(lease.timings.stages.processStart != nil)
            #expect(await fixture.pool.statistics().counters.onDemand == 1)
            await fixture.pool.release(lease)
        }
    }

    @Test("at capacity, waiters are served first come, first served as leases are released")
    func fifoWaiters() async throws {
        try await SimulatedPoolFixture(PoolConfiguration(warmTarget: 0, maximumVMs: 1)).run { fixture in
            let first = try await acquire(fixture)
            let order = LockedArray<Int>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 1...3 {
                    group.addTask {
                        let lease = try await fixture.pool.acquire(timeout: .seconds(30))
                        order.append(index)
                        await fixture.pool.release(lease)
                    }
                    // Queued with the clock standing still: joining the queue takes no time.
                    await fixture.waitUntil { $0.waiting == index }
                }
                await fixture.pool.release(first)
                let clock = fixture.clock
                let done = await clock.advance { order.count == 3 }
                #expect(done)
                try await group.waitForAll()
            }
            #expect(order.values == [1, 2, 3])
        }
    }

    @Test("a waiter whose deadline passes gets .capacity and leaves the queue")
    func waiterDeadline() async throws {
        try await SimulatedPoolFixture(PoolConfiguration(warmTarget: 0, maximumVMs: 1)).run { fixture in
            let held = try await acquire(fixture)
            let waiting = Task { try await fixture.pool.acquire(timeout: .milliseconds(100)) }
            // Queued with the clock standing still, so the whole 100 ms are left when the clock moves.
            await fixture.waitUntil { $0.waiting == 1 }
            fixture.clock.advance(by: .milliseconds(100))
            let error = try await #require(throws: PoolError.self) { try await waiting.value }
            #expect(error.code == .capacity)
            #expect(await fixture.pool.statistics().waiting == 0)
            #expect(await fixture.pool.statistics().counters.failures["capacity"] == 1)
            await fixture.pool.release(held)
        }
    }

    @Test("a cancelled waiter ends with CancellationError and leaves the queue")
    func waiterCancellation() async throws {
        try await SimulatedPoolFixture(PoolConfiguration(warmTarget: 0, maximumVMs: 1)).run { fixture in
            let held = try await acquire(fixture)
            let waiting = Task { try await fixture.pool.acquire(timeout: .seconds(30)) }
            await fixture.waitUntil { $0.waiting == 1 }
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            await fixture.waitUntil { $0.waiting == 0 }
            await fixture.pool.release(held)
        }
    }

    @Test("a warm VM whose VMM dies is noticed, removed, counted and replaced")
    func crashReplacement() async throws {
        try await SimulatedPoolFixture(PoolConfiguration(warmTarget: 2)).run { fixture in
            await fixture.until { $0.warm == 2 }
            let victims = fixture.backend.liveVMs
            #expect(fixture.backend.crash(victims[0]))
            await fixture.until { $0.counters.warmCrashes == 1 && $0.warm == 2 }
            #expect(!fixture.backend.liveVMs.contains(victims[0]))
            #expect(
                await fixture.events.eventually { if case .crashed(victims[0], true, _) = $0 { true } else { false } }
            )
            // A lease never gets a dead VM.
            let lease = try await acquire(fixture)
            #expect(lease.vmID != victims[0])
            await fixture.pool.release(lease)
        }
    }

    @Test("a VM that fails readiness is destroyed and the acquire goes on with another")
    func readinessFailure() async throws {
        try await SimulatedPoolFixture(PoolConfiguration(warmTarget: 2)).run { fixture in
            await fixture.until { $0.warm == 2 }
            fixture.backend.faults.failNextResumes(1)
            let lease = try await acquire(fixture)
            let stats = await fixture.pool.statistics()
            #expect(stats.counters.readinessFailures == 1)
            #expect(await fixture.events.eventually { if case .readinessFailed = $0 { true } else { false } })
            await fixture.pool.release(lease)
        }
    }

    @Test("on-demand restore failures are typed: backend failure, or snapshot invalid which is reported")
    func restoreFailures() async throws {
        try await SimulatedPoolFixture(PoolConfiguration(warmTarget: 0, maximumVMs: 2)).run { fixture in
            // Before the pool runs, an acquire would queue and be served by refill instead of on demand.
            await fixture.waitUntil { $0.state == .running }
            fixture.backend.faults.failNextRestores(1)
            let backendError = try await #require(throws: PoolError.self) { try await acquire(fixture) }
            #expect(backendError.code == .backendFailure)
            fixture.backend.faults.failNextRestores(1, with: SimulatedFailure(.snapshotInvalid, "crc mismatch"))
            let snapshotError = try await #require(throws: PoolError.self) { try await acquire(fixture) }
            #expect(snapshotError.code == .snapshotInvalid)
            #expect(fixture.backend.faults.snapshotFailuresReported == 1)
            let lease = try await acquire(fixture)
            await fixture.pool.release(lease)
            #expect(await fixture.pool.statistics().counters.restoreFailures == 2)
        }
    }

    @Test("pressure: elevated holds refill at the floor, critical sheds and refuses, normal refills")
    func pressure() async throws {
        var configuration = PoolConfiguration(warmTarget: 4, maximumVMs: 8)
        configuration.elevatedWarmFloor = 1
        try await SimulatedPoolFixture(configuration).run { fixture in
            await fixture.until { $0.warm == 4 }
            await fixture.pool.apply(pressure: .elevated)
            for _ in 0..<3 { await fixture.pool.release(try await acquire(fixture)) }
            await fixture.until { $0.warm >= 1 && $0.restoring == 0 }
            #expect(await fixture.pool.statistics().warm == 1)
            await fixture.pool.apply(pressure: .critical)
            #expect(await fixture.pool.statistics().warm == 0)
            #expect(await fixture.pool.statistics().counters.shed == 1)
            #expect(await fixture.events.eventually { $0 == .shed(count: 1) })
            let refused = try await #require(throws: PoolError.self) { try await acquire(fixture) }
            #expect(refused.code == .memoryPressure)
            await fixture.pool.apply(pressure: .normal)
            await fixture.until { $0.warm == 4 }
        }
    }

    @Test("shutdown answers every waiter with .shuttingDown and destroys every VM, leased ones too")
    func shutdownWithWaiters() async throws {
        let fixture = SimulatedPoolFixture(PoolConfiguration(warmTarget: 0, maximumVMs: 1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await fixture.pool.run() }
            let held = try await acquire(fixture)
            let waiting = Task { try await fixture.pool.acquire(timeout: .seconds(30)) }
            await fixture.waitUntil { $0.waiting == 1 }
            await fixture.pool.shutdown()
            let error = try await #require(throws: PoolError.self) { try await waiting.value }
            #expect(error.code == .shuttingDown)
            try await group.waitForAll()
            #expect(fixture.backend.liveVMs.isEmpty)
            await fixture.pool.release(held)
            let late = try await #require(throws: PoolError.self) { try await fixture.pool.acquire() }
            #expect(late.code == .shuttingDown)
        }
        #expect(await fixture.events.contains(.drained))
    }

    @Test("an invalid configuration is refused when the pool starts, naming the problem")
    func invalidConfiguration() async throws {
        let fixture = SimulatedPoolFixture(PoolConfiguration(warmTarget: 5, maximumVMs: 2))
        let error = try await #require(throws: PoolError.self) { try await fixture.pool.run() }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("warmTarget (5) exceeds maximumVMs (2)"))
        #expect(PoolConfiguration(warmTarget: -1, maximumVMs: 0).problems.count == 2)
    }

    @Test("warm VMs older than the maximum age are replaced by fresh ones")
    func maximumAge() async throws {
        var configuration = PoolConfiguration(warmTarget: 2)
        configuration.maximumWarmAge = .seconds(1)
        try await SimulatedPoolFixture(configuration).run { fixture in
            await fixture.until { $0.warm == 2 }
            let first = Set(fixture.backend.liveVMs)
            await fixture.until { $0.counters.expired >= 2 && $0.warm == 2 }
            #expect(Set(fixture.backend.liveVMs).isDisjoint(with: first))
        }
    }

    @Test("the simulated backend is deterministic for a seed and follows its distributions")
    func determinism() {
        var first = SplitMix64(seed: 99)
        var second = SplitMix64(seed: 99)
        let distribution = LatencyDistribution.logNormal(median: .milliseconds(12), p95: .milliseconds(15))
        let a = (0..<1000).map { _ in distribution.sample(&first) }
        let b = (0..<1000).map { _ in distribution.sample(&second) }
        #expect(a == b)
        let sorted = a.sorted()
        #expect(abs(sorted[500].inMilliseconds - 12) < 0.6)
        #expect(abs(sorted[950].inMilliseconds - 15) < 1.0)
        var random = SplitMix64(seed: 1)
        #expect(LatencyDistribution.fixed(.milliseconds(3)).sample(&random) == .milliseconds(3))
        let uniform = (0..<200).map { _ in
            LatencyDistribution.uniform(.milliseconds(1), .milliseconds(2)).sample(&random)
        }
        #expect(uniform.allSatisfy { $0 >= .milliseconds(1) && $0 <= .milliseconds(2) })
        let exponential = (0..<2000).map { _ in
            LatencyDistribution.exponential(mean: .milliseconds(4)).sample(&random).inMilliseconds
        }
        #expect(abs(exponential.reduce(0, +) / 2000 - 4) < 0.5)
    }
}

extension SnapshotPoolTests {
    @Test("an acquire made before the pool runs waits, and is served once the pool has started")
    func acquireWhileStarting() async throws {
        let fixture = SimulatedPoolFixture(PoolConfiguration(warmTarget: 1))
        let early = Task { try await fixture.pool.acquire(timeout: .seconds(5)) }
        // Queued while the pool is idle, with the clock frozen: the pool starts only once the acquire waits, so it
        // is served by the pool's first restore, which takes time.
        await fixture.waitUntil { $0.waiting == 1 }
        try await fixture.run { fixture in
            let lease = try await finish(early, fixture)
            #expect(lease.timings.queueWait > .zero)
            await fixture.pool.release(lease)
        }
    }
}

extension SnapshotPoolTests {
    @Test("a clone that reports the golden VM's generation id, or one already handed out, is refused and audited")
    func repeatedGeneration() async throws {
        try await SimulatedPoolFixture(PoolConfiguration(warmTarget: 2, maximumVMs: 4)).run { fixture in
            await fixture.until { $0.warm == 2 }
            fixture.backend.faults.repeatGenerations(1)
            let lease = try await acquire(fixture)
            // The first warm VM reported the golden generation: destroyed as a readiness failure, the second served.
            #expect(lease.proof.generation != nil)
            #expect(lease.proof.generation != SimulatedBackend<ManualClock>.goldenGeneration)
            let stats = await fixture.pool.statistics()
            #expect(stats.counters.readinessFailures == 1)
            #expect(
                await fixture.events.eventually {
                    if case .readinessFailed(_, let reason) = $0 {
                        reason.contains("golden VM's generation id")
                    } else {
                        false
                    }
                }
            )
            await fixture.pool.release(lease)
        }
    }
}

@Suite("Generation ids")
struct GenerationLedgerTests {
    @Test("parsed from a guest's line; anything else is not one")
    func parsing() {
        let line = "R00112233445566778899aabbccddeeff/1"
        let id = GenerationID(line: line)
        #expect(id?.description == "00112233445566778899aabbccddeeff")
        #expect(id == GenerationID(high: 0x0011_2233_4455_6677, low: 0x8899_aabb_ccdd_eeff))
        #expect(GenerationID(line: "SNAPBENCH-READY ws=16 gen=00112233445566778899aabbccddeeff") == id)
        #expect(GenerationID(line: "R0011/1") == nil)
        #expect(GenerationID(line: "R00112233445566778899AABBCCDDEEFF/1") == nil)
        #expect(GenerationID(line: "X00112233445566778899aabbccddeeff/1") == nil)
        #expect(GuestProof.matches(line, resumes: 1) && !GuestProof.matches("R0011/1"))
        #expect(GenerationID(line: "no id here") == nil)
        #expect(ReadinessProof(token: line, observedAt: .now).generation == id)
    }
}

/// Acquires with the clock moving, since the simulated stages sleep on it.
func acquire(_ fixture: SimulatedPoolFixture, timeout: Duration = .seconds(5)) async throws -> Lease {
    try await finish(Task { try await fixture.pool.acquire(timeout: timeout) }, fixture)
}

/// Moves the clock until `task` has finished, and returns its result.
func finish(_ task: Task<Lease, any Error>, _ fixture: SimulatedPoolFixture) async throws -> Lease {
    let finished = Mutex(false)
    let watcher = Task {
        _ = try? await task.value
        finished.withLock { $0 = true }
    }
    _ = await fixture.clock.advance(step: .microseconds(100)) { finished.withLock { $0 } }
    await watcher.value
    return try await task.value
}

extension SnapshotPoolTests {
    @Test("a waiter handed capacity as its deadline passes restores, ends in .deadline, and the pool drains")
    func handoffAtDeadline() async throws {
        try await SimulatedPoolFixture(PoolConfiguration(warmTarget: 0, maximumVMs: 1)).run { fixture in
            await fixture.waitUntil { $0.state == .running }
            let held = try await acquire(fixture)
            let waiting = Task { try await fixture.pool.acquire(timeout: .milliseconds(100)) }
            // Queued with the clock standing still: its deadline comes exactly with the 100 ms advance below.
            await fixture.waitUntil { $0.waiting == 1 }
            // The release hands the freed capacity to the waiter; the deadline fires in the same instant.
            await fixture.pool.release(held)
            fixture.clock.advance(by: .milliseconds(100))
            // The waiter got the capacity, so it restores; by then its deadline has passed, so it ends in
            // `.deadline` — not `.capacity`, which would have left the capacity reserved and the drain hanging.
            let error = try await #require(throws: PoolError.self) { try await finish(waiting, fixture) }
            #expect(error.code == .deadline)
            let stats = await fixture.pool.statistics()
            #expect(stats.restoring == 0)
            #expect(stats.counters.readinessFailures == 1)
            #expect(stats.counters.failures["capacity"] == nil)
        }
    }
}
