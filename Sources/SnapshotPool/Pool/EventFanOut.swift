import Synchronization

/// Delivers pool events to every subscriber; holds nothing when nobody listens.
final class EventFanOut: Sendable {
    private struct State {
        var subscribers: [Int: AsyncStream<PoolEvent>.Continuation] = [:]
        var nextID = 0
        var finished = false
    }

    private let state = Mutex(State())

    func subscribe() -> AsyncStream<PoolEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: PoolEvent.self,
            bufferingPolicy: .bufferingNewest(100_000)
        )
        let accepted = state.withLock { state -> Bool in
            guard !state.finished else { return false }
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            return true
        }
        if !accepted { continuation.finish() }
        return stream
    }

    func yield(_ event: PoolEvent) {
        for continuation in state.withLock({ Array($0.subscribers.values) }) {
            continuation.yield(event)
        }
    }

    func finish() {
        let subscribers = state.withLock { state -> [AsyncStream<PoolEvent>.Continuation] in
            state.finished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for continuation in subscribers { continuation.finish() }
    }
}
