package import MicroVM

/// Which kind of backend produced a VM, and so a result. Every report names it; only `.firecracker` can
/// pass a sign-off gate.
package enum BackendKind: String, Codable, Sendable {
    /// Real Firecracker processes on `/dev/kvm`.
    case firecracker
    /// ``SimulatedBackend``: latencies drawn from distributions, no VMs.
    case simulated
}

/// Where a pool gets its VMs: restores them paused from a golden snapshot, and cleans up after itself.
///
/// ``FirecrackerBackend`` restores real clones; ``SimulatedBackend`` stands in for pool-logic tests and for
/// hosts without KVM.
///
/// ```swift
/// let backend = try await FirecrackerBackend(configuration: .init(installation: installation, spec: spec,
///                                                                  storeDirectory: store, workDirectory: work))
/// let pool = SnapshotPool(backend: backend, configuration: PoolConfiguration(warmTarget: 4))
/// ```
package protocol VMBackend: Sendable {
    /// The VMs this backend hands out.
    associatedtype VM: BackendVM

    /// Which kind of backend this is.
    var kind: BackendKind { get }

    /// Makes restores possible: builds or verifies the golden snapshot. Called once when the pool starts.
    func prepare() async throws

    /// Removes what a killed predecessor left (VMMs, working directories), identified by the markers it
    /// wrote. Returns how many leftovers were reclaimed.
    func reclaimOrphans() async -> Int

    /// Restores one VM, paused, ready to be resumed.
    ///
    /// - Parameter id: a unique id for the VM (used for its working directory and `--id`).
    /// - Throws: the backend's own error naming the cause; ``isSnapshotFailure(_:)`` tells the pool what it
    ///   means.
    func restore(id: String) async throws -> VM

    /// Whether `error`, thrown by ``restore(id:)``, blames the golden snapshot itself (damaged, missing,
    /// incompatible) rather than one VM: the pool then fails the acquire as `snapshot_invalid` and calls
    /// ``snapshotFailed(_:)``. The backend alone knows its errors, so the pool never inspects them.
    func isSnapshotFailure(_ error: any Error) -> Bool

    /// Told when a restore failed because the snapshot itself is bad: quarantine it and make a new one.
    func snapshotFailed(_ error: any Error) async

    /// How an acquire ends whose VMs failed their readiness with `error`, thrown by ``BackendVM/resume(timeout:)``,
    /// until its deadline, when the backend can say more than `deadline` (the guest agent never answered:
    /// `agent_timeout`); `nil` for `deadline`.
    func readinessOutcome(of error: any Error) -> PoolError.Code?

    /// Releases what the backend holds (not the snapshot store). Called when the pool has drained.
    func shutdown() async

    /// Processes the backend holds that carry no VM yet (``VMMStandby``): counted in the pool's VMM memory,
    /// and told apart from restoring VMMs by fault injection.
    func standbyProcessIDs() -> [Int32]
}

extension VMBackend {
    /// None: the backend starts nothing ahead of need.
    package func standbyProcessIDs() -> [Int32] { [] }

    /// None: a readiness failure ends an acquire at its deadline.
    package func readinessOutcome(of error: any Error) -> PoolError.Code? { nil }
}

extension BackendVM {
    /// Nothing to check: a VM without devices.
    package func checkDevices() async -> [String]? { nil }
}

/// One VM of a backend, from restore to destroy. Never handed out twice.
package protocol BackendVM: Sendable {
    /// The id it was restored with.
    var id: String { get }
    /// Its VMM's process id, where there is one.
    var pid: Int32? { get }
    /// The stages measured so far (restore stages at first; resume and readiness after ``resume(timeout:)``).
    var timings: StageTimings { get }
    /// Whether its VMM still runs.
    var isAlive: Bool { get }
    /// The generation id its golden VM booted with, when known: a readiness proof that carries it again shows
    /// a restore that did not give the clone a new one.
    var goldenGeneration: GenerationID? { get }

    /// Resumes the VM and waits for the guest's readiness proof.
    ///
    /// - Parameter timeout: how long the guest may take to prove it runs.
    func resume(timeout: Duration) async throws -> ReadinessProof

    /// Waits for the guest's report of its first work after the resume (re-touching its working set, for the
    /// built-in guest); `nil` when the guest does none.
    func waitForWork(timeout: Duration) async throws -> WorkReport?

    /// Checks from the outside that the VM has every device it was made with (its VMM's account, its TAPs in
    /// its own namespace, its vsock, its drives): the problems found, empty when all are there; `nil` when the
    /// VM has no devices to check.
    func checkDevices() async -> [String]?

    /// The stages measured, completed with what is collected only off the acquirer's path (Firecracker's own
    /// load metric costs a request). Called once, at release, before ``destroy()``.
    func collectTimings() async -> StageTimings

    /// Returns when the VM's VMM has ended, for whatever reason, with a description of how.
    func waitForExit() async -> String

    /// Stops the VMM and removes everything the VM had on disk. Safe to call more than once.
    func destroy() async
}
