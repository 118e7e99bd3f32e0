import HostSystem

extension PoolEvent {
    /// The audit record of this event: every lease, release, crash, shed and pressure change is
    /// security-relevant (who got which VM, and what was destroyed when).
    var auditRecord: (AuditEvent, [String: String])? {
        switch self {
        case .started(let reclaimed):
            (.poolStart, ["orphans.reclaimed": String(reclaimed)])
        case .warmAdded(let id):
            (.vmRestore, ["vm.id": id, "vm.state": "warm"])
        case .leased(let id, let path):
            (.vmLease, ["vm.id": id, "lease.path": path.rawValue])
        case .released(let id):
            (.vmRelease, ["vm.id": id])
        case .crashed(let id, let whileWarm, let reason):
            (.vmCrash, ["vm.id": id, "vm.state": whileWarm ? "warm" : "leased", "reason": reason])
        case .readinessFailed(let id, let reason):
            (.vmDestroy, ["vm.id": id, "reason": "readiness failed: \(reason)"])
        case .restoreFailed, .snapshotFailed:
            // The store records the quarantine and the rebuild itself.
            nil
        case .expired(let id):
            (.vmDestroy, ["vm.id": id, "reason": "maximum warm age"])
        case .pressureChanged(let level):
            (.pressureLevel, ["pressure.level": level.rawValue])
        case .shed(let count):
            (.pressureShed, ["vm.count": String(count)])
        case .hedged(let id, let hedge, let delay, let restored):
            (
                .vmHedge,
                [
                    "vm.id": id, "hedge.vm.id": hedge, "hedge.delay_ms": String(delay.inMilliseconds),
                    "hedge.restored": String(restored),
                ]
            )
        case .hedgeDecided(let winner, let loser, let hedgeWon):
            (.vmHedgeDecided, ["vm.id": winner, "hedge.loser.vm.id": loser, "hedge.won": String(hedgeWon)])
        case .drained:
            (.poolShutdown, [:])
        }
    }
}
