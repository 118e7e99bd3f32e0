/// How a ``SnapshotPool`` sizes and paces itself.
///
/// ```swift
/// var configuration = PoolConfiguration(warmTarget: 4, maximumVMs: 16)
/// configuration.acquireTimeout = .seconds(2)
/// ```
package struct PoolConfiguration: Sendable, Equatable, Codable {
    /// How many restored, paused VMs the pool keeps ready.
    package var warmTarget: Int
    /// The most VMs at once: warm + restoring + leased. Acquires beyond it wait.
    package var maximumVMs: Int
    /// How many background restores may run at once.
    package var refillConcurrency: Int = 1
    /// How long `acquire` may take when the caller names no deadline.
    package var acquireTimeout: Duration = .seconds(5)
    /// How long the guest may take to prove it runs after resume.
    package var readinessTimeout: Duration = .seconds(2)
    /// Warm VMs older than this are replaced by fresh clones; `nil` keeps them indefinitely.
    package var maximumWarmAge: Duration?
    /// Under elevated memory pressure, refill stops at this many warm VMs.
    package var elevatedWarmFloor: Int = 1
    /// Hedged acquires (``Hedging``): off unless enabled.
    package var hedging = Hedging.off

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - warmTarget: VMs kept ready (≥ 0).
    ///   - maximumVMs: the cap on all VMs (≥ 1, defaults to 4 × the warm target, at least 4).
    package init(warmTarget: Int, maximumVMs: Int? = nil) {
        self.warmTarget = warmTarget
        self.maximumVMs = maximumVMs ?? max(4, warmTarget * 4)
    }

    /// Problems that make the configuration unusable, as sentences; empty when it is valid.
    package var problems: [String] {
        var problems: [String] = []
        if warmTarget < 0 { problems.append("warmTarget must be ≥ 0 (is \(warmTarget))") }
        if maximumVMs < 1 { problems.append("maximumVMs must be ≥ 1 (is \(maximumVMs))") }
        if warmTarget > maximumVMs { problems.append("warmTarget (\(warmTarget)) exceeds maximumVMs (\(maximumVMs))") }
        if refillConcurrency < 1 { problems.append("refillConcurrency must be ≥ 1 (is \(refillConcurrency))") }
        if acquireTimeout <= .zero { problems.append("acquireTimeout must be positive") }
        if readinessTimeout <= .zero { problems.append("readinessTimeout must be positive") }
        if let age = maximumWarmAge, age <= .zero { problems.append("maximumWarmAge must be positive") }
        if elevatedWarmFloor < 0 { problems.append("elevatedWarmFloor must be ≥ 0") }
        if hedging.enabled { problems += hedging.problems }
        return problems
    }
}
