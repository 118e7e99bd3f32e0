import Logging
import Reporting
import Synchronization
import TestSupport
import Testing

@testable import Harness

/// The sampler on a clock that moves only while it sleeps: every instant it sees is decided by the test.
@Suite("Spawns measured alone between bursts")
struct SpawnCostsBetweenBurstsTests {
    /// What the fake probe saw: the clock's offset (ms) and the index of each sample.
    final class Probe: Sendable {
        let clock: ManualClock
        let calls = Mutex<[(atMilliseconds: Int64, index: Int)]>([])
        let failsFrom: Int

        init(clock: ManualClock, failsFrom: Int = .max) {
            self.clock = clock
            self.failsFrom = failsFrom
        }

        func measureOne(_ index: Int) throws -> SpawnCostProbe.Costs {
            let at =
                clock.now.offset.components.seconds * 1000 + clock.now.offset.components.attoseconds
                / 1_000_000_000_000_000
            calls.withLock { $0.append((at, index)) }
            if calls.withLock({ $0.count }) > failsFrom { throw ProbeFailure() }
            return SpawnCostProbe.Costs(warm: [1.5], onDemand: [6 + Double(index)])
        }

        var instants: [Int64] { calls.withLock { $0.map(\.atMilliseconds) } }
        var indices: [Int] { calls.withLock { $0.map(\.index) } }
    }

    struct ProbeFailure: Error {}

    /// Runs the sampler to its end, advancing the clock 10 ms at a time, and only while the sampler sleeps.
    private func sample(
        bursts: Int,
        interval: Duration,
        probe: Probe,
        isIdle: @escaping @Sendable (ManualClock.Instant) -> Bool = { _ in true }
    ) async -> SpawnCostsSampled {
        let clock = probe.clock
        let sampler = SpawnCostsBetweenBursts(
            clock: clock,
            isIdle: { isIdle(clock.now) },
            measureOne: { try probe.measureOne($0) },
            // The failed sample's warning is expected here; the test reads the problem from the result.
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let finished = Mutex(false)
        async let sampled: SpawnCostsSampled = {
            let sampled = await sampler.run(start: clock.now, bursts: bursts, interval: interval)
            finished.withLock { $0 = true }
            return sampled
        }()
        while !finished.withLock({ $0 }) {
            if clock.pendingSleeps > 0 { clock.advance(by: .milliseconds(10)) } else { await Task.yield() }
        }
        return await sampled
    }

    @Test("one spawn halfway through each gap, numbered in order, none after the last burst")
    func everyGap() async {
        let probe = Probe(clock: ManualClock())
        let sampled = await sample(bursts: 4, interval: .seconds(2), probe: probe)
        #expect(probe.instants == [1000, 3000, 5000])
        #expect(probe.indices == [0, 1, 2])
        #expect(sampled.costs.onDemand == [6, 7, 8] && sampled.costs.warm.count == 3)
        #expect(sampled.costs.betweenBursts == 3 && sampled.problem == nil)
    }

    @Test("a busy pool is waited for while 300 ms remain before the next burst, else its gap is skipped")
    func busyPool() async {
        let probe = Probe(clock: ManualClock())
        // Busy until 1.2 s in the first gap; busy all through the second; idle in the third.
        let sampled = await sample(bursts: 4, interval: .seconds(2), probe: probe) { now in
            let offset = now.offset
            return (offset >= .milliseconds(1200) && offset < .seconds(2)) || offset >= .seconds(4)
        }
        #expect(probe.instants == [1200, 5000])
        #expect(sampled.costs.betweenBursts == 2 && sampled.problem == nil)
    }

    @Test("a failed sample ends the sampling and says why; the samples before it stand")
    func failedSample() async {
        let probe = Probe(clock: ManualClock(), failsFrom: 1)
        let sampled = await sample(bursts: 5, interval: .seconds(2), probe: probe)
        #expect(probe.instants == [1000, 3000])
        #expect(sampled.costs.betweenBursts == 1)
        #expect(sampled.problem?.contains("a spawn between bursts could not be measured") == true)
    }

    @Test("gaps shorter than twice the margin are never sampled")
    func shortGaps() async {
        let probe = Probe(clock: ManualClock())
        let sampled = await sample(bursts: 6, interval: .milliseconds(500), probe: probe)
        #expect(probe.instants.isEmpty && sampled.costs.warm.isEmpty && sampled.problem == nil)
    }

    @Test("costs added between bursts are counted apart from those before the load")
    func adding() {
        let before = SpawnCostProbe.Costs(warm: [1, 2], onDemand: [5, 6])
        let merged = before.adding(betweenBursts: SpawnCostProbe.Costs(warm: [3], onDemand: [9]))
        #expect(merged.warm == [1, 2, 3] && merged.onDemand == [5, 6, 9] && merged.betweenBursts == 1)
        #expect(merged.onDemandMilliseconds == 6)
        #expect(
            merged.onDemandMillisecondsApart.beforeLoad == 5.5 && merged.onDemandMillisecondsApart.betweenBursts == 9
        )
        #expect(before.onDemandMillisecondsApart.betweenBursts == nil)
        let floor = BurstFloor(
            warmSpawnCPUMilliseconds: merged.warmMilliseconds,
            onDemandSpawnCPUMilliseconds: merged.onDemandMilliseconds,
            samples: 3,
            samplesBetweenBursts: 1,
            onDemandApart: merged.onDemandMillisecondsApart,
            cores: 2,
            warmHitsPerBurst: 4,
            onDemandPerBurst: 12
        )
        #expect(floor.milliseconds == (4 * 2 + 12 * 6) / 2)
        let summary = floor.summary
        #expect(
            summary.contains("2 before the load, 1 between bursts; on demand 5.5 ms before the load, 9 ms between"),
            "\(summary)"
        )
    }
}
