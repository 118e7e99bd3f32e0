import Scenarios
import Synchronization
import Testing

@testable import Harness

@Suite("The open-loop dispatcher")
struct DispatcherTests {
    @Test("every arrival of a burst goes out before any lease task's first step runs on the dispatcher's thread")
    func burstBeforeSteps() async throws {
        let dispatcher = Dispatcher(name: "sbt-dispatch")
        defer { dispatcher.stop() }
        let burst = LoadProfile.burst(count: 16, spread: .zero, bursts: 1, interval: .zero)
        let schedule = try #require(ArrivalSchedule(load: burst, seed: 1, phase: "p"))
        let events = Mutex<[String]>([])
        let tracker = LeaseTracker()
        // One thread decides the order, so it is the same on every run: a step that ran between two arrivals
        // (as before, when a step came first) would let the thread it wakes delay the arrivals after it.
        await dispatcher.dispatch(schedule, from: .now) { _ in
            events.withLock { $0.append("arrival") }
            tracker.start(on: dispatcher) { events.withLock { $0.append("step") } }
        }
        await tracker.waitUntilIdle()
        let order = events.withLock { $0 }
        #expect(order == Array(repeating: "arrival", count: 16) + Array(repeating: "step", count: 16), "\(order)")
    }
}
