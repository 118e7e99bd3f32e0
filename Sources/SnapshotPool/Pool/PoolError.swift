/// Why an acquire (or the pool) failed. Every acquire ends in a lease or exactly one of these.
///
/// ```swift
/// do { _ = try await pool.acquire() } catch let error as PoolError where error.code == .deadline { … }
/// ```
public struct PoolError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of failure. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible, Codable {
        /// The stable name, used in reports.
        public let name: String

        private init(_ name: String) { self.name = name }

        /// All VMs are in use and the deadline passed while waiting for one.
        public static let capacity = Code("capacity")
        /// The deadline passed during a restore or resume.
        public static let deadline = Code("deadline")
        /// The golden snapshot is damaged or incompatible; it is being rebuilt.
        public static let snapshotInvalid = Code("snapshot_invalid")
        /// The backend failed to restore or resume a VM.
        public static let backendFailure = Code("backend_failure")
        /// Memory pressure is critical: new restores are refused until it recovers.
        public static let memoryPressure = Code("memory_pressure")
        /// The pool is shutting down or not running.
        public static let shuttingDown = Code("shutting_down")
        /// The configuration is invalid.
        public static let invalidConfiguration = Code("invalid_configuration")
        /// A resumed VM did not prove it is a fresh clone (e.g. it reported a generation id already seen); it is
        /// destroyed and the acquire goes on with another.
        public static let readinessFailed = Code("readiness_failed")
        /// The guest's agent did not answer the readiness request over vsock in time, on every VM tried until the
        /// acquire's deadline.
        public static let agentTimeout = Code("agent_timeout")
        /// The guest's agent refused the vsock connection (nothing listens on its port).
        public static let agentRefused = Code("agent_refused")
        /// The vsock connection to the guest's agent closed before its reply was complete.
        public static let agentReset = Code("agent_reset")
        /// The guest's agent answered something readiness does not expect.
        public static let agentMismatch = Code("agent_mismatch")
        /// Firecracker or the agent broke the line protocol.
        public static let agentProtocol = Code("agent_protocol")
        /// Every VM tried reported a VM generation id that was the golden VM's or one already handed out.
        public static let repeatedGeneration = Code("repeated_generation")

        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, for a person.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// How an acquire that threw `error` ended, by name: the pool's error code, `cancelled`, or `other`.
    ///
    /// ```swift
    /// PoolError.outcome(of: PoolError(.deadline, "too late"))  // "deadline"
    /// ```
    public static func outcome(of error: any Error) -> String {
        (error as? PoolError)?.code.name ?? (error is CancellationError ? "cancelled" : "other")
    }
}
