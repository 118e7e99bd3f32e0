/// Why an acquire (or the pool) failed. Every acquire ends in a lease or exactly one of these.
///
/// ```swift
/// do { _ = try await pool.acquire() } catch let error as PoolError where error.code == .deadline { … }
/// ```
package struct PoolError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of failure. New codes may be added.
    package struct Code: Hashable, Sendable, CustomStringConvertible, Codable {
        /// The stable name, used in reports.
        package let name: String

        private init(_ name: String) { self.name = name }

        /// All VMs are in use and the deadline passed while waiting for one.
        package static let capacity = Code("capacity")
        /// The deadline passed during a restore or resume.
        package static let deadline = Code("deadline")
        /// The golden snapshot is damaged or incompatible; it is being rebuilt.
        package static let snapshotInvalid = Code("snapshot_invalid")
        /// The backend failed to restore or resume a VM.
        package static let backendFailure = Code("backend_failure")
        /// Memory pressure is critical: new restores are refused until it recovers.
        package static let memoryPressure = Code("memory_pressure")
        /// The pool is shutting down or not running.
        package static let shuttingDown = Code("shutting_down")
        /// The configuration is invalid.
        package static let invalidConfiguration = Code("invalid_configuration")
        /// A resumed VM did not prove it is a fresh clone (e.g. it reported a generation id already seen); it is
        /// destroyed and the acquire goes on with another.
        package static let readinessFailed = Code("readiness_failed")
        /// The guest's agent did not answer the readiness request over vsock in time, on every VM tried until the
        /// acquire's deadline.
        package static let agentTimeout = Code("agent_timeout")
        /// The guest's agent refused the vsock connection (nothing listens on its port).
        package static let agentRefused = Code("agent_refused")
        /// The vsock connection to the guest's agent closed before its reply was complete.
        package static let agentReset = Code("agent_reset")
        /// The guest's agent answered something readiness does not expect.
        package static let agentMismatch = Code("agent_mismatch")
        /// Firecracker or the agent broke the line protocol.
        package static let agentProtocol = Code("agent_protocol")
        /// Every VM tried reported a VM generation id that was the golden VM's or one already handed out.
        package static let repeatedGeneration = Code("repeated_generation")

        package var description: String { name }
    }

    /// The kind of failure.
    package var code: Code
    /// What happened, for a person.
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }

    /// How an acquire that threw `error` ended, by name: the pool's error code, `cancelled`, or `other`.
    ///
    /// ```swift
    /// PoolError.outcome(of: PoolError(.deadline, "too late"))  // "deadline"
    /// ```
    package static func outcome(of error: any Error) -> String {
        (error as? PoolError)?.code.name ?? (error is CancellationError ? "cancelled" : "other")
    }
}
