/// What a ``SimulatedBackend`` throws: the simulated counterpart of a VMM's failures, so the pool and its
/// tests see the same kinds of failure a real backend reports, without a VMM.
///
/// ```swift
/// backend.faults.failNextRestores(1, with: SimulatedFailure(.snapshotInvalid, "crc mismatch"))
/// // the next acquire fails with PoolError .snapshotInvalid, and the backend is told
/// ```
package struct SimulatedFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    package enum Kind: String, Sendable, Equatable {
        /// The VMM could not be started or the restore failed for that VM alone.
        case restoreFailed = "restore_failed"
        /// The golden snapshot is bad: every restore from it fails.
        case snapshotInvalid = "snapshot_invalid"
        /// The guest did not prove it runs in time.
        case guestNotReady = "guest_not_ready"
        /// The VM's VMM is gone.
        case vmExited = "vm_exited"
        /// Preparing the backend failed.
        case prepareFailed = "prepare_failed"
    }

    /// The kind of failure.
    package var kind: Kind
    /// What happened, for a person.
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { "\(kind.rawValue): \(message)" }
}
