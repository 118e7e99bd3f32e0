package import MicroVM

/// How a lease's VM was obtained.
package enum LeasePath: String, Codable, Sendable {
    /// Taken from the warm set: only resume and readiness were on the caller's path.
    case warm
    /// Restored on demand because no warm VM was ready.
    case onDemand = "on_demand"
}

/// A VM handed to one caller, resumed and proven ready. Release it (or use ``SnapshotPool/withLease(timeout:_:)``):
/// the VM is then destroyed, never handed out again.
///
/// ```swift
/// let lease = try await pool.acquire()
/// print(lease.path, lease.timings.queueWait)
/// await pool.release(lease)
/// ```
package struct Lease: Sendable, Identifiable {
    /// The lease's number, unique within the pool.
    package let id: UInt64
    /// The VM's id.
    package let vmID: String
    /// The VM's VMM process id, where there is one.
    package let pid: Int32?
    /// Warm hit or on-demand restore.
    package let path: LeasePath
    /// The guest's readiness proof (unique per clone).
    package let proof: ReadinessProof
    /// How long each stage took.
    package let timings: LeaseTimings
}

/// The stages of one acquire.
package struct LeaseTimings: Sendable, Codable, Equatable {
    /// From the call to `acquire` until a VM was assigned (waiting for capacity or a warm VM).
    package var queueWait: Duration
    /// The VM's stages: process start and load (for warm VMs, measured when they were restored, off the
    /// caller's path), resume and readiness.
    package var stages: StageTimings
    /// From the call to `acquire` until it returned.
    package var acquire: Duration

    package init(queueWait: Duration, stages: StageTimings, acquire: Duration) {
        self.queueWait = queueWait
        self.stages = stages
        self.acquire = acquire
    }
}
