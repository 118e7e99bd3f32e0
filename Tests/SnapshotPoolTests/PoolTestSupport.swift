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

    /// Advances the clock until the pool's statistics satisfy `condition`: for steps that take (simulated) time,
    /// such as restores.
    func until(_ what: Comment? = nil, _ condition: @escaping (PoolStatistics) -> Bool) async {
        let pool = self.pool
        let held = await clock.advance { condition(await pool.statistics()) }
        let final = await pool.statistics()
        #expect(held, what ?? "the pool never reached the expected state: \(final)")
    }

    /// Waits, with the clock standing still, until the pool's statistics satisfy `condition`: for steps that take
    /// no time, such as an acquire joining the queue, whose deadline must not start running out while it hops
    /// onto the pool.
    ///
    /// Unbounded: it re-checks after letting the other tasks run, and the suite's time limit ends a wait for a
    /// state that never comes.
    func waitUntil(_ condition: (PoolStatistics) -> Bool) async {
        while true {
            let statistics = await pool.statistics()
            if condition(statistics) { return }
            if Task.isCancelled {
                Issue.record("cancelled before the pool reached the expected state: \(statistics)")
                return
            }
            await Task.yield()
        }
    }
}

/// Collects a pool's events in the background, and wakes those waiting for one.
final class EventLog: Sendable {
    private let storage = EventStorage()
    private let task: Task<Void, Never>

    init(_ stream: AsyncStream<PoolEvent>) {
        let storage = self.storage
        task = Task {
            for await event in stream { storage.append(event) }
            storage.finish()
        }
    }

    var all: [PoolEvent] { storage.events }

    /// Waits until an event matching `predicate` has arrived (at once when one already has).
    ///
    /// No bound of its own: the wait ends with the event, with the stream (the pool drained without one) or
    /// with the task's cancellation, which the suite's time limit brings.
    ///
    /// - Returns: `true` when such an event arrived; `false` when the stream ended, or the wait was cancelled,
    ///   without one.
    func eventually(_ predicate: @escaping @Sendable (PoolEvent) -> Bool) async -> Bool {
        let storage = self.storage
        let id = storage.makeID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                storage.register(id, predicate, continuation)
            }
        } onCancel: {
            storage.cancel(id)
        }
    }

    func contains(_ event: PoolEvent) async -> Bool {
        await task.value
        return all.contains(event)
    }
}

/// The events a log has collected, and the waits registered for one to come.
private final class EventStorage: Sendable {
    private struct Waiter {
        var predicate: @Sendable (PoolEvent) -> Bool
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var events: [PoolEvent] = []
        var finished = false
        var waiters: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    var events: [PoolEvent] { state.withLock { $0.events } }

    func makeID() -> UInt64 {
        state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
    }

    /// Answers a wait at once when an event already matches, the stream has ended or the task is cancelled;
    /// otherwise keeps it for ``append(_:)`` or ``finish()``.
    func register(
        _ id: UInt64,
        _ predicate: @escaping @Sendable (PoolEvent) -> Bool,
        _ continuation: CheckedContinuation<Bool, Never>
    ) {
        let answer = state.withLock { state -> Bool? in
            if state.events.contains(where: predicate) { return true }
            // Checked under the lock: a cancellation whose handler ran before this registration found nothing to
            // answer, and the wait would otherwise be left suspended.
            if state.finished || Task.isCancelled { return false }
            state.waiters[id] = Waiter(predicate: predicate, continuation: continuation)
            return nil
        }
        if let answer { continuation.resume(returning: answer) }
    }

    func append(_ event: PoolEvent) {
        let matched = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.events.append(event)
            let ids = state.waiters.filter { $0.value.predicate(event) }.map(\.key)
            return ids.compactMap { state.waiters.removeValue(forKey: $0)?.continuation }
        }
        for continuation in matched { continuation.resume(returning: true) }
    }

    /// The stream ended: no wait still registered can be answered by an event any more.
    func finish() {
        let unanswered = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.finished = true
            defer { state.waiters.removeAll() }
            return state.waiters.values.map(\.continuation)
        }
        for continuation in unanswered { continuation.resume(returning: false) }
    }

    func cancel(_ id: UInt64) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.continuation.resume(returning: false)
    }
}
