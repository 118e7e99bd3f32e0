import SnapshotPool
import Synchronization

/// What a run saw, stamped with seconds since its start, for judging faults: the pool's notable events
/// and, when the scenario has faults, every acquire's arrival and outcome.
///
/// Routine events (leases, releases, VMs added) are only counted: a long churn would otherwise hold
/// tens of thousands of them, and the memory figures measure this process.
final class FaultLog: Sendable {
    struct Event: Sendable {
        var time: Double
        var event: PoolEvent
    }

    struct LeaseSample: Sendable {
        var arrival: Double
        /// Spawn in ms when served.
        var spawnMs: Double?
        /// The error code when not.
        var error: String?
    }

    private struct State {
        var events: [Event] = []
        var counts: [String: Int] = [:]
        var leases: [LeaseSample] = []
        var deadAtHandout = 0
        /// When the fault injector last signalled each VMM, so that a death it caused is told from a pool's fault.
        var signalled: [Int32: ContinuousClock.Instant] = [:]
        /// Memory-pressure faults in effect, and when the last one ended: the kernel's OOM killer acts for them.
        var pressures = 0
        var pressureEnded: ContinuousClock.Instant?
    }

    /// Whether acquires are recorded one by one.
    let recordsLeases: Bool
    private let state = Mutex(State())

    init(recordsLeases: Bool) {
        self.recordsLeases = recordsLeases
    }

    /// The name reports use for an event's kind.
    static func name(of event: PoolEvent) -> String {
        switch event {
        case .started: "started"
        case .warmAdded: "warm_added"
        case .leased: "leased"
        case .released: "released"
        case .crashed: "crashed"
        case .readinessFailed: "readiness_failed"
        case .restoreFailed: "restore_failed"
        case .snapshotFailed: "snapshot_failed"
        case .expired: "expired"
        case .pressureChanged(let level): "pressure_\(level.rawValue)"
        case .shed: "shed"
        case .hedged: "hedged"
        case .hedgeDecided: "hedge_decided"
        case .drained: "drained"
        }
    }

    func record(_ event: PoolEvent, at time: Double) {
        let name = Self.name(of: event)
        let routine = ["warm_added", "leased", "released", "hedge_decided"].contains(name)
        state.withLock { state in
            state.counts[name, default: 0] += 1
            if !routine { state.events.append(Event(time: time, event: event)) }
        }
    }

    func lease(arrival: Double, spawnMs: Double?, error: String?) {
        guard recordsLeases else { return }
        state.withLock { $0.leases.append(LeaseSample(arrival: arrival, spawnMs: spawnMs, error: error)) }
    }

    /// A served lease's VMM was not running when the lease arrived: the one thing a pool must never do.
    func noteDeadAtHandout() {
        state.withLock { $0.deadAtHandout += 1 }
    }

    var deadAtHandout: Int { state.withLock { $0.deadAtHandout } }

    /// The fault injector is about to signal `pid`.
    func noteSignal(to pid: Int32, at instant: ContinuousClock.Instant = .now) {
        state.withLock { $0.signalled[pid] = instant }
    }

    /// A memory-pressure fault squeezes the pool's cgroup (or a balloon fills it) from now on.
    func memoryPressureBegan() {
        state.withLock { $0.pressures += 1 }
    }

    /// A memory-pressure fault was reverted.
    func memoryPressureEnded(at instant: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.pressures -= 1
            state.pressureEnded = instant
        }
    }

    /// Whether a memory-pressure fault was in effect at any time since `instant`: a VMM that died then may have
    /// been the OOM killer's, acting for the fault, not a VM the pool handed out dead.
    func hadMemoryPressure(since instant: ContinuousClock.Instant) -> Bool {
        state.withLock { $0.pressures > 0 || ($0.pressureEnded.map { $0 >= instant } ?? false) }
    }

    /// Whether the fault injector signalled `pid` at or after `instant`.
    func wasSignalled(_ pid: Int32, since instant: ContinuousClock.Instant) -> Bool {
        state.withLock { $0.signalled[pid].map { $0 >= instant } ?? false }
    }

    /// Times of routine events are not kept; this counts every event by kind.
    var counts: [String: Int] { state.withLock { $0.counts } }
    var events: [Event] { state.withLock { $0.events } }
    var leases: [LeaseSample] { state.withLock { $0.leases } }

    /// How many `.shed` events (not VMs) the pool emitted.
    var shedEvents: Int { counts["shed"] ?? 0 }
}
