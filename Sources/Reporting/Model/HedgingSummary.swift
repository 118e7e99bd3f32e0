/// What hedged acquires did over a run's measured phases: how many fired, which VM won, and what they cost.
///
/// ```swift
/// let hedging = HedgingSummary(fired: 4, won: 3, wasted: 1, restores: 0, acquires: 600)
/// hedging.extraVMsPerThousand  // 6.7: each hedge takes a VM that must be restored again
/// ```
package struct HedgingSummary: Codable, Sendable, Equatable {
    /// Hedges fired.
    package var fired: Int
    /// Hedges whose second VM was leased.
    package var won: Int
    /// Hedges whose first VM was leased after all.
    package var wasted: Int
    /// Hedges that restored their second VM on demand.
    package var restores: Int
    /// Acquires scheduled in the measured phases.
    package var acquires: Int

    package init(fired: Int, won: Int, wasted: Int, restores: Int, acquires: Int) {
        self.fired = fired
        self.won = won
        self.wasted = wasted
        self.restores = restores
        self.acquires = acquires
    }

    /// Extra VMs restored per 1 000 acquires: each hedge uses up one VM more than the acquire needed.
    package var extraVMsPerThousand: Double { acquires > 0 ? Double(fired) * 1000 / Double(acquires) : 0 }
}
