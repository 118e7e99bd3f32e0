import Firecracker
import SnapshotPool
import Synchronization
import TestSupport
import Testing

typealias SimulatedPool = SnapshotPool<SimulatedBackend<ManualClock>, ManualClock>

/// A pool on the simulated backend and a manual clock, running in the background for the test's duration.
struct SimulatedPoolFixture: Sendable {
    let clock = ManualClock()
    let backend: SimulatedBackend<ManualClock>
    let pool: SimulatedPool
    let events: EventLog

    init(
        _ configuration: PoolConfiguration,
        seed: UInt64 = 7,
        latencies: SimulatedBackend<ManualClock>.Latencies = .init()
    ) {
        backend = SimulatedBackend(clock: clock, seed: seed, latencies: latencies)
        pool = SnapshotPool(backend: backend, configuration: configuration, clock: clock)
        events = EventLog(pool.subscribe())
    }

    /// Runs the pool while `body` runs, then shuts it down and checks that it drained completely.
    func run(_ body: (SimulatedPoolFixture) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            do {
                try await body(self)
            } catch {
                await pool.shutdown()
                try await group.waitForAll()
                throw error
            }
            await pool.shutdown()
            try await group.waitForAll()
        }
        #expect(backend.liveVMs.isEmpty, "the pool left simulated VMs alive: \(backend.liveVMs)")
        #expect(await events.contains(.drained))
    }

    /// Advances the clock until the pool's statistics satisfy `condition`.
    func until(_ what: Comment? = nil, _ condition: @escaping (PoolStatistics) -> Bool) async {
        let pool = self.pool
        let held = await clock.advance { condition(await pool.statistics()) }
        let final = await pool.statistics()
        #expect(held, what ?? "the pool never reached the expected state: \(final)")
    }
}

/// Collects a pool's events in the background.
final class EventLog: Sendable {
    private let storage = LockedArray<PoolEvent>()
    private let task: Task<Void, Never>

    init(_ stream: AsyncStream<PoolEvent>) {
        let storage = self.storage
        task = Task {
            for await event in stream { storage.append(event) }
        }
    }

    var all: [PoolEvent] { storage.values }

    /// Whether an event matching `predicate` arrives (the log fills asynchronously).
    func eventually(_ predicate: @escaping (PoolEvent) -> Bool) async -> Bool {
        for _ in 0..<10_000 {
            if all.contains(where: predicate) { return true }
            await Task.yield()
        }
        return all.contains(where: predicate)
    }

    func contains(_ event: PoolEvent) async -> Bool {
        await task.value
        return all.contains(event)
    }
}
