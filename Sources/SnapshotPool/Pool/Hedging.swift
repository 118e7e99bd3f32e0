import HostSystem

/// Hedged acquires: when a handed-out VM has not proved readiness after a short delay, the acquire also takes
/// the next warm VM (or restores one on demand when none is warm), and the first to prove readiness is leased.
/// The other is destroyed, never handed out later. ("The Tail at Scale", Dean and Barroso, CACM 2013.)
///
/// A frozen, descheduled or page-faulting VM is an ordinary event on a loaded host; without hedging the acquire
/// waits out the whole readiness timeout for it. The delay comes from the pool's own recent readiness times
/// (their p99 × ``multiplier``, within ``minimumDelay``…``maximumDelay``), so hedges fire only for stragglers,
/// and a budget (``perSecond``) keeps a host-wide stall from doubling the load.
///
/// ```swift
/// var configuration = PoolConfiguration(warmTarget: 4)
/// configuration.hedging = Hedging(enabled: true)                   // automatic delay
/// configuration.hedging = Hedging(enabled: true, fixedDelay: .milliseconds(20))
/// ```
package struct Hedging: Sendable, Equatable, Codable {
    /// Whether acquires hedge at all.
    package var enabled: Bool
    /// A fixed hedge delay instead of one from the readiness history.
    package var fixedDelay: Duration?
    /// The automatic delay: the p99 of recent readiness times × this.
    package var multiplier: Double
    /// The automatic delay's bounds; the maximum is also the delay until enough readiness times are known.
    package var minimumDelay: Duration
    package var maximumDelay: Duration
    /// At most this many hedges a second (a token bucket holding as many).
    package var perSecond: Double

    /// Readiness times the automatic delay needs before it trusts their p99.
    package static let historyNeeded = 20
    /// The most VMs one acquire resumes at once: its first and two hedges.
    package static let maximumInFlight = 3

    package init(
        enabled: Bool = false,
        fixedDelay: Duration? = nil,
        multiplier: Double = 3,
        minimumDelay: Duration = .milliseconds(5),
        maximumDelay: Duration = .milliseconds(50),
        perSecond: Double = 5
    ) {
        self.enabled = enabled
        self.fixedDelay = fixedDelay
        self.multiplier = multiplier
        self.minimumDelay = minimumDelay
        self.maximumDelay = maximumDelay
        self.perSecond = perSecond
    }

    /// Hedging off.
    package static let off = Hedging()

    /// The hedge delay given the readiness times `history` holds.
    ///
    /// ```swift
    /// Hedging(enabled: true).delay(history)  // e.g. 9 ms: p99 3 ms × 3
    /// ```
    package func delay(_ history: ReadinessHistory) -> Duration {
        if let fixedDelay { return fixedDelay }
        guard history.count >= Self.historyNeeded, let p99 = history.percentile(99) else { return maximumDelay }
        return min(maximumDelay, max(minimumDelay, p99 * multiplier))
    }

    /// Problems that make it unusable, as sentences.
    var problems: [String] {
        var problems: [String] = []
        if multiplier <= 0 { problems.append("hedging.multiplier must be positive") }
        if minimumDelay < .zero || maximumDelay < minimumDelay {
            problems.append("hedging delays must satisfy 0 ≤ minimum ≤ maximum")
        }
        if let fixedDelay, fixedDelay < .zero { problems.append("hedging.delay must not be negative") }
        if perSecond <= 0 { problems.append("hedging.per_second must be positive") }
        return problems
    }
}

/// The most recent readiness times (resume → proof) of the pool's leases, for the hedge delay.
///
/// ```swift
/// var history = ReadinessHistory()
/// history.record(.milliseconds(2))
/// history.percentile(99)
/// ```
package struct ReadinessHistory: Sendable, Equatable {
    /// How many it keeps.
    package static let capacity = 256
    private var values: [Duration] = []
    private var next = 0

    package init() {}

    /// How many it holds.
    package var count: Int { values.count }

    package mutating func record(_ duration: Duration) {
        if values.count < Self.capacity {
            values.append(duration)
        } else {
            values[next] = duration
            next = (next + 1) % Self.capacity
        }
    }

    /// The nearest-rank percentile (0–100) of the times held; `nil` when empty.
    package func percentile(_ percentile: Double) -> Duration? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((percentile / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}

/// At most `perSecond` hedges a second, in bursts of at most as many: a token bucket on the pool's clock.
struct HedgeBudget {
    var tokens: Double
    var updated: Duration?

    init(perSecond: Double) {
        tokens = max(1, perSecond)
    }

    /// Takes a token at `now` (the clock's offset from any fixed origin) when there is one.
    mutating func take(at now: Duration, perSecond: Double) -> Bool {
        if let updated {
            tokens = min(max(1, perSecond), tokens + (now - updated).inSeconds * perSecond)
        }
        updated = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
