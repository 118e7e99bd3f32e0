/// Something the pool did, in order, for observers (the harness timeline, tests, the audit log).
package enum PoolEvent: Sendable, Equatable {
    /// The pool is running with its golden snapshot ready; `reclaimed` leftovers of a predecessor removed.
    case started(reclaimed: Int)
    /// A VM was restored and joined the warm set.
    case warmAdded(vmID: String)
    /// A VM was handed out.
    case leased(vmID: String, path: LeasePath)
    /// A leased VM was released and destroyed.
    case released(vmID: String)
    /// A VM's VMM died on its own (`whileWarm` tells where it was); warm ones are replaced.
    case crashed(vmID: String, whileWarm: Bool, reason: String)
    /// A VM failed to prove readiness after resume and was destroyed.
    case readinessFailed(vmID: String, reason: String)
    /// A restore failed.
    case restoreFailed(reason: String)
    /// A restore failed because of the golden snapshot itself; the backend was told to quarantine it.
    case snapshotFailed(reason: String)
    /// Warm VMs older than the maximum age were replaced.
    case expired(vmID: String)
    /// Memory pressure changed level.
    case pressureChanged(level: PressureLevel)
    /// Warm VMs were destroyed to relieve memory pressure.
    case shed(count: Int)
    /// An acquire hedged: its first VM had not proved readiness after `delay`, so it took `hedgeVMID` too
    /// (restored on demand when `restored`).
    case hedged(vmID: String, hedgeVMID: String, delay: Duration, restored: Bool)
    /// A hedged acquire's race ended: `winnerID` was leased, the other VM destroyed once its resume ends.
    case hedgeDecided(winnerID: String, loserID: String, hedgeWon: Bool)
    /// Every VM is destroyed and every waiter answered.
    case drained
}
