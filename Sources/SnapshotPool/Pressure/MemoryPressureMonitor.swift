package import Logging
import Synchronization

/// One change of the pressure level, with the reading that caused it.
///
/// ```swift
/// for await change in monitor.changes {
///     print("\(change.from) → \(change.to) at \(change.at): PSI \(change.reading.psiSomeAvg10 ?? 0) %")
/// }
/// ```
package struct PressureChange<Instant: InstantProtocol>: Sendable, Equatable {
    /// The level before this reading.
    package var from: PressureLevel
    /// The level after this reading.
    package var to: PressureLevel
    /// The reading that moved the level.
    package var reading: MemoryPressureReading
    /// When the reading was taken, on the monitor's clock.
    package var at: Instant

    /// Creates a change.
    package init(from: PressureLevel, to: PressureLevel, reading: MemoryPressureReading, at: Instant) {
        self.from = from
        self.to = to
        self.reading = reading
        self.at = at
    }
}

/// Samples a ``MemoryPressureSource`` at a fixed interval on an injected clock and reports level changes.
///
/// The monitor starts nothing by itself: its owner calls ``run()`` inside a task it owns (typically one
/// child of the pool's task group) and cancels that task to stop it. Changes arrive on ``changes``, which
/// finishes when `run()` returns; ``level`` answers "how is it now" without waiting for a change. The first
/// reading is taken as soon as `run()` starts, so a pool that starts on a host already under pressure hears
/// about it at once rather than one interval later.
///
/// ```swift
/// let monitor = MemoryPressureMonitor(
///     source: SystemPressureSource(cgroup: cgroup.location),
///     clock: ContinuousClock(),
///     interval: .milliseconds(500)
/// )
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { await monitor.run() }
///     for await change in monitor.changes where change.to == .critical {
///         await pool.shed()
///     }
/// }
/// ```
package final class MemoryPressureMonitor<Source: MemoryPressureSource, C: Clock<Duration>>: Sendable {
    private enum Phase {
        case idle
        case running
        case finished
    }

    private struct State {
        var phase = Phase.idle
        var classifier: PressureClassifier
        var latestReading: MemoryPressureReading?
    }

    /// Where readings come from.
    package let source: Source
    /// The clock that paces the readings and stamps the changes.
    package let clock: C
    /// Time between the starts of two readings.
    package let interval: Duration
    /// Level changes, in order. Finishes when ``run()`` returns.
    ///
    /// Only the newest 16 changes are buffered for a consumer that falls behind: the current level matters
    /// more than the history, and ``level`` always has it.
    package let changes: AsyncStream<PressureChange<C.Instant>>

    private let continuation: AsyncStream<PressureChange<C.Instant>>.Continuation
    private let state: Mutex<State>
    private let logger: Logger

    /// Creates a monitor; nothing runs until ``run()`` is called.
    ///
    /// - Parameters:
    ///   - source: what to read.
    ///   - clock: what paces the readings; a test passes a clock it advances by hand.
    ///   - interval: time between readings; must be positive. PSI's shortest average spans 10 s, so readings
    ///     much faster than once a second add cost without adding information.
    ///   - thresholds: where the levels change.
    ///   - logger: receives level changes at `info`.
    package init(
        source: Source,
        clock: C,
        interval: Duration = .seconds(1),
        thresholds: PressureThresholds = PressureThresholds(),
        logger: Logger = Logger(label: "snapbench.pressure", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        precondition(interval > .zero, "a pressure monitor's interval must be positive, not \(interval)")
        self.source = source
        self.clock = clock
        self.interval = interval
        self.logger = logger
        self.state = Mutex(State(classifier: PressureClassifier(thresholds: thresholds)))
        (self.changes, self.continuation) = AsyncStream.makeStream(
            of: PressureChange<C.Instant>.self,
            bufferingPolicy: .bufferingNewest(16)
        )
    }

    /// The level after the most recent reading (`.normal` before the first).
    ///
    /// ```swift
    /// if monitor.level >= .elevated { return }  // do not refill now
    /// ```
    package var level: PressureLevel { state.withLock { $0.classifier.level } }

    /// The most recent reading, `nil` before the first.
    package var latestReading: MemoryPressureReading? { state.withLock { $0.latestReading } }

    /// Reads the source now and then every ``interval`` until the calling task is cancelled, then finishes
    /// ``changes``.
    ///
    /// Call it once: a second call, concurrent or later, returns at once, because the stream it would feed
    /// has one consumer and one end. A reading that overruns its slot does not cause a burst of catch-up
    /// readings; the next one is one interval after the late one.
    package func run() async {
        let starts = state.withLock { state in
            guard case .idle = state.phase else { return false }
            state.phase = .running
            return true
        }
        guard starts else { return }
        defer {
            state.withLock { $0.phase = .finished }
            continuation.finish()
        }
        var deadline = clock.now
        while !Task.isCancelled {
            sample()
            deadline = deadline.advanced(by: interval)
            let now = clock.now
            if deadline <= now { deadline = now.advanced(by: interval) }
            do {
                try await clock.sleep(until: deadline, tolerance: nil)
            } catch {
                return  // cancelled
            }
        }
    }

    /// Takes one reading, classifies it and publishes a change if the level moved.
    private func sample() {
        let reading = source.read()
        let at = clock.now
        let (from, to) = state.withLock { state in
            let from = state.classifier.level
            state.latestReading = reading
            return (from, state.classifier.classify(reading))
        }
        guard from != to else { return }
        logger.info(
            "memory pressure changed",
            metadata: [
                "pressure.from": "\(from)",
                "pressure.to": "\(to)",
                "pressure.psi_some_avg10": "\(reading.psiSomeAvg10.map { "\($0)" } ?? "n/a")",
                "pressure.cgroup_usage_bytes": "\(reading.cgroupUsageBytes.map { "\($0)" } ?? "n/a")",
                "pressure.mem_available_bytes": "\(reading.memAvailableBytes.map { "\($0)" } ?? "n/a")",
            ]
        )
        continuation.yield(PressureChange(from: from, to: to, reading: reading, at: at))
    }
}
