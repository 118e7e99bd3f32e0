import DequeModule
package import Logging

/// A pool of restored, paused Firecracker VMs: it keeps a warm set, hands each VM out once, refills in the
/// background, restores on demand when the warm set is empty, replaces VMs whose VMM dies, and protects
/// the host under memory pressure.
///
/// The pool is a service: ``run()`` owns its background work (refill, crash watching, pressure, ageing)
/// and returns after ``shutdown()`` has drained it. Leases are single use: ``release(_:)`` destroys the VM.
///
/// ```swift
/// let pool = SnapshotPool(backend: backend, configuration: PoolConfiguration(warmTarget: 4))
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { try await pool.run() }
///     try await pool.withLease { lease in
///         print(lease.proof.token)
///     }
///     await pool.shutdown()
/// }
/// ```
package actor SnapshotPool<Backend: VMBackend, PoolClock: Clock<Duration>> {
    // MARK: - State

    typealias Phase = PoolState

    struct WarmVM {
        var vm: Backend.VM
        var warmedAt: PoolClock.Instant
    }

    enum Handoff {
        case warm(WarmVM)
        case capacity
    }

    struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Handoff, any Error>
    }

    enum Command: Sendable {
        case refill
        case watch(Backend.VM)
        /// A resume of a hedged acquire, run by the pool's task group (``ResumeAttempt``).
        case attempt(ResumeAttempt<Backend.VM>)
        case stop
    }

    /// The backend VMs come from.
    package nonisolated let backend: Backend
    /// The configuration the pool was created with.
    package nonisolated let configuration: PoolConfiguration
    /// Pressure monitoring and the audit log.
    package nonisolated let services: PoolServices

    let clock: PoolClock
    let logger: Logger
    let eventSink = EventFanOut()
    let commands: AsyncStream<Command>
    let commandSink: AsyncStream<Command>.Continuation

    var phase: Phase = .idle
    var warm = Deque<WarmVM>()
    var leased: [String: Backend.VM] = [:]
    var refilling = 0
    var restoringOnDemand = 0
    /// Acquires on the on-demand path, from their handoff to their lease (restore, resume and readiness).
    var onDemandInFlight = 0
    var waiters = Deque<Waiter>()
    var pressure: PressureLevel = .normal
    var latestPressureReading: MemoryPressureReading?
    var pressureMonitor: MemoryPressureMonitor<AnyPressureSource, PoolClock>?
    var counters = PoolStatistics.Counters()
    var nextID: UInt64 = 0
    var drainWaiters: [CheckedContinuation<Void, Never>] = []
    var drained = false
    var runWaiters: [CheckedContinuation<Void, Never>] = []
    var consecutiveRestoreFailures = 0
    var generations = GenerationLedger()
    var refillPausedUntil: PoolClock.Instant?
    /// VMs a hedged acquire stopped waiting for: their resume goes on until it ends, then they are destroyed.
    var stragglers: [String: Backend.VM] = [:]
    /// Recent readiness times, for the hedge delay.
    var readinessHistory = ReadinessHistory()
    var hedgeBudget: HedgeBudget
    /// The budget's time origin.
    let createdAt: PoolClock.Instant

    /// Creates a pool on `backend` measured on `clock`. Nothing starts until ``run()``.
    package init(
        backend: Backend,
        configuration: PoolConfiguration,
        services: PoolServices = PoolServices(),
        clock: PoolClock,
        logger: Logger? = nil
    ) {
        self.backend = backend
        self.configuration = configuration
        self.services = services
        self.clock = clock
        self.logger = logger ?? Logger(label: "snapbench.pool")
        self.hedgeBudget = HedgeBudget(perSecond: configuration.hedging.perSecond)
        self.createdAt = clock.now
        (commands, commandSink) = AsyncStream.makeStream()
    }

    /// VMs counted against ``PoolConfiguration/maximumVMs``.
    var totalVMs: Int { warm.count + leased.count + refilling + restoringOnDemand + stragglers.count }

    /// A snapshot of the pool's counts.
    package func statistics() -> PoolStatistics {
        PoolStatistics(
            warm: warm.count,
            restoring: refilling + restoringOnDemand,
            leased: leased.count,
            waiting: waiters.count,
            pressure: pressure,
            state: phase,
            pressureReading: pressureMonitor?.latestReading ?? latestPressureReading,
            counters: counters,
            stragglers: stragglers.count
        )
    }

    /// The pool's VMs and their VMM processes: the warm set in hand-out order, then the leased ones.
    ///
    /// ```swift
    /// let victims = await pool.inventory().filter { $0.state == .warm }.compactMap(\.pid)
    /// ```
    package func inventory() -> [PoolVM] {
        warm.map { PoolVM(id: $0.vm.id, pid: $0.vm.pid, state: .warm) }
            + leased.values.sorted { $0.id < $1.id }.map { PoolVM(id: $0.id, pid: $0.pid, state: .leased) }
    }

    /// A stream of what the pool does from now on, in order, ending when the pool has drained.
    ///
    /// Events are only kept for subscribers, so an unobserved pool holds none.
    package nonisolated func subscribe() -> AsyncStream<PoolEvent> {
        eventSink.subscribe()
    }

    func emit(_ event: PoolEvent) {
        eventSink.yield(event)
        if let audit = services.audit, let (kind, fields) = event.auditRecord {
            audit.record(kind, fields.merging(["backend": backend.kind.rawValue]) { first, _ in first })
        }
    }

    func makeID(_ prefix: String) -> String {
        nextID += 1
        return "\(prefix)-\(nextID)"
    }
}

extension SnapshotPool where PoolClock == ContinuousClock {
    /// Creates a pool on `backend` measured on the continuous clock.
    package init(
        backend: Backend,
        configuration: PoolConfiguration,
        services: PoolServices = PoolServices(),
        logger: Logger? = nil
    ) {
        self.init(
            backend: backend,
            configuration: configuration,
            services: services,
            clock: ContinuousClock(),
            logger: logger
        )
    }
}

/// The pool's counts at one instant.
package struct PoolStatistics: Sendable, Equatable {
    /// Counters that only grow.
    package struct Counters: Sendable, Equatable, Codable {
        /// Leases handed out from the warm set.
        package var warmHits = 0
        /// Leases handed out after an on-demand restore.
        package var onDemand = 0
        /// Leases released.
        package var released = 0
        /// Warm VMs whose VMM died and were replaced.
        package var warmCrashes = 0
        /// Leased VMs whose VMM died while leased.
        package var leasedCrashes = 0
        /// VMs destroyed because they failed to prove readiness.
        package var readinessFailures = 0
        /// Restores that failed.
        package var restoreFailures = 0
        /// Warm VMs destroyed under memory pressure.
        package var shed = 0
        /// Warm VMs replaced for age.
        package var expired = 0
        /// Acquires that ended in an error, by code.
        package var failures: [String: Int] = [:]
        /// Hedged acquires: a second VM taken because the first had not proved readiness after the hedge delay.
        package var hedges = 0
        /// Hedges whose second VM proved readiness first and was leased.
        package var hedgesWon = 0
        /// Hedges whose first VM proved readiness first after all: the second was destroyed unused.
        package var hedgesWasted = 0
        /// Hedges that restored their second VM on demand (no warm one was left).
        package var hedgeRestores = 0
        package init() {}
    }

    /// Restored, paused VMs ready to hand out.
    package var warm: Int
    /// Restores under way.
    package var restoring: Int
    /// VMs handed out and not yet released.
    package var leased: Int
    /// Acquires waiting for a VM.
    package var waiting: Int
    /// The current memory-pressure level.
    package var pressure: PressureLevel
    /// The pool's state.
    package var state: PoolState
    /// The latest memory-pressure reading, when the pool monitors pressure.
    package var pressureReading: MemoryPressureReading?
    /// Counters since start.
    package var counters: Counters
    /// VMs a hedged acquire stopped waiting for, still ending their resume before they are destroyed.
    package var stragglers: Int = 0
}

/// Where the pool is in its life.
package enum PoolState: String, Sendable, Equatable {
    /// Made, not started.
    case idle
    /// Preparing its backend and snapshot.
    case starting
    /// Serving acquires and refilling.
    case running
    /// Shutting down: answering waiters, destroying VMs.
    case draining
    /// Shut down.
    case stopped
}

/// One of the pool's VMs, as ``SnapshotPool/inventory()`` lists it.
package struct PoolVM: Sendable, Equatable {
    /// Where a VM is in its life.
    package enum State: String, Sendable, Equatable {
        /// Paused in the warm set.
        case warm
        /// Handed out.
        case leased
        /// Not a VM yet: a Firecracker process started ahead of need, with no VM loaded (``VMMStandby``).
        /// ``SnapshotPool/inventory()`` lists none; ``VMBackend/standbyProcessIDs()`` has them.
        case standby
    }

    /// The VM's id.
    package var id: String
    /// Its VMM's process id, where there is one.
    package var pid: Int32?
    /// Warm or leased.
    package var state: State

    package init(id: String, pid: Int32?, state: State) {
        self.id = id
        self.pid = pid
        self.state = state
    }
}
