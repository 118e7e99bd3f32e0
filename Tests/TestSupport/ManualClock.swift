import Synchronization

/// The one test clock: it only moves when a test advances it, and sleeps on it suspend until then, so timing
/// logic is tested without real sleeping.
///
/// Drive a time-based component step by step: wait until it is asleep (``waitForSleepers(_:)``), look at
/// what it did, advance, repeat; or let ``advance(step:limit:until:)`` step until a condition holds.
///
/// ```swift
/// let clock = ManualClock()
/// let monitor = Task { try await clock.sleep(for: .seconds(1)) }
/// await clock.waitForSleepers()
/// clock.advance(by: .seconds(1))  // the sleep returns
/// ```
package final class ManualClock: Clock, Sendable {
    /// An instant: the offset from the clock's start.
    package struct Instant: InstantProtocol, Hashable, Sendable, CustomStringConvertible {
        package var offset: Duration
        package init(offset: Duration) { self.offset = offset }
        package func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        package func duration(to other: Instant) -> Duration { other.offset - offset }
        package static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        package var description: String { "t+\(offset)" }
    }

    private struct Sleeper {
        var id: UInt64
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Sleeper] = []
        var nextID: UInt64 = 0
        var sleepCalls = 0
        var sleeperWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    package init() {}

    package var now: Instant { state.withLock { $0.now } }
    package var minimumResolution: Duration { .zero }

    /// How many sleeps are suspended now.
    package var pendingSleeps: Int { state.withLock { $0.sleepers.count } }

    /// How many times `sleep` has been called (including sleeps that returned at once).
    package var sleepCalls: Int { state.withLock { $0.sleepCalls } }

    package func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (immediate, waiters) = state.withLock {
                    state -> (Result<Void, any Error>?, [CheckedContinuation<Void, Never>]) in
                    state.sleepCalls += 1
                    // Checked under the lock: a cancellation that ran its handler before this registration
                    // would otherwise leave the sleeper suspended for good.
                    if Task.isCancelled { return (.failure(CancellationError()), []) }
                    if deadline <= state.now { return (.success(()), []) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return (nil, Self.takeSatisfiedWaiters(&state))
                }
                if let immediate { continuation.resume(with: immediate) }
                for waiter in waiters { waiter.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleep whose deadline has come, earliest first.
    package func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due.sorted { $0.deadline < $1.deadline }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Advances in steps of `step`, letting other tasks run between steps, until `condition` holds.
    ///
    /// - Returns: whether the condition held within `limit` of clock time.
    @discardableResult
    package func advance(
        step: Duration = .milliseconds(1),
        limit: Duration = .seconds(60),
        until condition: () async -> Bool
    ) async -> Bool {
        let end = now.advanced(by: limit)
        while now < end {
            for _ in 0..<20 {
                if await condition() { return true }
                await Task.yield()
            }
            advance(by: step)
        }
        return await condition()
    }

    /// Suspends until at least `count` sleeps are suspended on this clock.
    package func waitForSleepers(_ count: Int = 1) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                if state.sleepers.count >= count { return true }
                state.sleeperWaiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private static func takeSatisfiedWaiters(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        let count = state.sleepers.count
        let ready = state.sleeperWaiters.filter { $0.count <= count }.map(\.continuation)
        state.sleeperWaiters.removeAll { $0.count <= count }
        return ready
    }
}
