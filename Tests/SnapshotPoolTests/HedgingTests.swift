import SnapshotPool
import TestSupport
import Testing

/// Hedged acquires on the simulated backend and the manual clock: no timing of real time, every step ordered by
/// the pool's own statistics.
@Suite("Hedged acquires (simulated backend, manual clock)", .timeLimit(.minutes(1)))
struct HedgingTests {
    /// A pool of `warm` warm VMs hedging after a fixed `delay`, at most `perSecond` hedges a second.
    ///
    /// Every time a test compares is hundreds of milliseconds from the next: the manual clock moves in small steps
    /// whether or not every pool task has started its sleep, and on a loaded host (a fresh clone's `scripts/test`,
    /// and 3 busy loops beside 30 repetitions here) a task started its sleep up to 90 ms of clock time late. With
    /// margins of 5–40 ms these tests failed there; their verdicts must not depend on that.
    static func configuration(
        warm: Int = 2,
        delay: Duration = .milliseconds(100),
        perSecond: Double = 5
    )
        -> PoolConfiguration
    {
        var configuration = PoolConfiguration(warmTarget: warm, maximumVMs: 6)
        configuration.hedging = Hedging(enabled: true, fixedDelay: delay, perSecond: perSecond)
        configuration.readinessTimeout = .seconds(5)
        return configuration
    }

    @Test("a straggler: the next warm VM is taken after the delay and wins; the straggler is destroyed, unused")
    func straggler() async throws {
        try await SimulatedPoolFixture(Self.configuration()).run { fixture in
            await fixture.until { $0.warm == 2 && $0.restoring == 0 }
            let first = fixture.backend.liveVMs
            fixture.backend.faults.slowNextResumes(1, by: .seconds(2))
            let lease = try await acquire(fixture)
            #expect(first.contains(lease.vmID))
            // Ready long before the straggler's 2 s: the hedge, taken at 100 ms, won.
            #expect(lease.timings.acquire < .seconds(2), "\(lease.timings.acquire)")
            var stats = await fixture.pool.statistics()
            #expect(stats.counters.hedges == 1 && stats.counters.hedgesWon == 1 && stats.counters.hedgesWasted == 0)
            // The straggler proves readiness late; it is destroyed, never handed out, and no failure is counted.
            await fixture.until { $0.stragglers == 0 && $0.leased == 1 && $0.warm == 2 }
            await fixture.pool.release(lease)
            await fixture.until { $0.leased == 0 && $0.warm == 2 && $0.restoring == 0 }
            stats = await fixture.pool.statistics()
            #expect(stats.counters.readinessFailures == 0 && stats.counters.warmHits == 1)
            #expect(Set(fixture.backend.liveVMs).isDisjoint(with: [lease.vmID]))
            #expect(await fixture.events.eventually { if case .hedged = $0 { true } else { false } })
        }
    }

    @Test("two stragglers: another hedge after another delay; the first VM to prove readiness wins, the rest wasted")
    func twoStragglers() async throws {
        try await SimulatedPoolFixture(Self.configuration(warm: 3, delay: .seconds(1))).run { fixture in
            await fixture.until { $0.warm == 3 && $0.restoring == 0 }
            // The first VM and the first hedge (taken at 1 s) both late, by 4 s; a second hedge at 2 s wins.
            fixture.backend.faults.slowNextResumes(2, by: .seconds(4))
            let lease = try await acquire(fixture)
            #expect(lease.timings.acquire >= .seconds(2) && lease.timings.acquire < .seconds(4))
            var stats = await fixture.pool.statistics()
            #expect(stats.counters.hedges == 2 && stats.counters.hedgesWon == 1 && stats.counters.hedgesWasted == 1)
            await fixture.pool.release(lease)
            await fixture.until { $0.stragglers == 0 && $0.warm == 3 && $0.restoring == 0 }
            // The first VM a little late (1.1 s), its hedge far later: the first wins before another hedge at 2 s.
            fixture.backend.faults.slowNextResumes(1, by: .milliseconds(1_100))
            fixture.backend.faults.slowNextResumes(1, by: .seconds(4))
            let second = try await acquire(fixture)
            #expect(second.timings.acquire >= .milliseconds(1_100) && second.timings.acquire < .seconds(2))
            stats = await fixture.pool.statistics()
            #expect(stats.counters.hedges == 3 && stats.counters.hedgesWon == 1 && stats.counters.hedgesWasted == 2)
            await fixture.pool.release(second)
        }
    }

    @Test("a frozen VM: the hedge wins at once; the frozen one is still given up, and counted, at its timeout")
    func frozen() async throws {
        try await SimulatedPoolFixture(Self.configuration()).run { fixture in
            await fixture.until { $0.warm == 2 && $0.restoring == 0 }
            fixture.backend.faults.slowNextResumes(1, by: .seconds(60))
            let lease = try await acquire(fixture)
            // Served long before the frozen VM's readiness timeout (5 s): the hedge won.
            #expect(lease.timings.acquire < .seconds(5))
            #expect(await fixture.pool.statistics().counters.readinessFailures == 0)
            await fixture.until { $0.counters.readinessFailures == 1 }
            #expect(await fixture.events.eventually { if case .readinessFailed = $0 { true } else { false } })
            await fixture.pool.release(lease)
        }
    }

    @Test("no warm VM left: the hedge restores one on demand and counts that restore")
    func onDemandHedge() async throws {
        // Loads of 3 s: the refill the acquire starts is still loading when the hedge fires at 100 ms.
        var latencies = SimulatedBackend<ManualClock>.Latencies()
        latencies.load = .fixed(.seconds(3))
        try await SimulatedPoolFixture(Self.configuration(warm: 1), latencies: latencies).run { fixture in
            await fixture.until { $0.warm == 1 && $0.restoring == 0 }
            fixture.backend.faults.slowNextResumes(1, by: .seconds(60))
            let lease = try await acquire(fixture)
            #expect(lease.path == .onDemand)
            let stats = await fixture.pool.statistics()
            #expect(stats.counters.hedges == 1 && stats.counters.hedgeRestores == 1 && stats.counters.hedgesWon == 1)
            await fixture.pool.release(lease)
        }
    }

    @Test("the budget: at most its hedges a second, so a host-wide stall does not double the load")
    func budget() async throws {
        try await SimulatedPoolFixture(Self.configuration(warm: 4, delay: .milliseconds(30), perSecond: 1)).run {
            fixture in
            await fixture.until { $0.warm == 4 && $0.restoring == 0 }
            // A stall: every resume 300 ms late. Two acquires in a row, both within the budget's second: the first
            // hedges (at 30 ms), the second may not.
            fixture.backend.faults.slowNextResumes(6, by: .milliseconds(300))
            let first = try await acquire(fixture)
            await fixture.pool.release(first)
            let second = try await acquire(fixture)
            await fixture.pool.release(second)
            let stats = await fixture.pool.statistics()
            #expect(stats.counters.hedges == 1, "\(stats.counters)")
            #expect(stats.counters.readinessFailures == 0)
        }
    }

    @Test("the automatic delay: the maximum until enough readiness times are known, then p99 × the multiplier")
    func automaticDelay() {
        let hedging = Hedging(
            enabled: true,
            multiplier: 3,
            minimumDelay: .milliseconds(5),
            maximumDelay: .milliseconds(50)
        )
        var history = ReadinessHistory()
        #expect(hedging.delay(history) == .milliseconds(50))
        for _ in 0..<Hedging.historyNeeded { history.record(.milliseconds(4)) }
        #expect(hedging.delay(history) == .milliseconds(12))
        for _ in 0..<ReadinessHistory.capacity { history.record(.microseconds(500)) }
        #expect(history.count == ReadinessHistory.capacity)
        #expect(hedging.delay(history) == .milliseconds(5))
        #expect(Hedging(enabled: true, fixedDelay: .milliseconds(7)).delay(history) == .milliseconds(7))
        var invalid = PoolConfiguration(warmTarget: 1)
        invalid.hedging = Hedging(enabled: true, multiplier: 0, perSecond: 0)
        #expect(invalid.problems.count == 2)
    }
}
