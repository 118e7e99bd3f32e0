/// How long each stage of bringing up one VM took. A stage that did not happen is `nil`.
///
/// ```swift
/// let timings = clone.timings
/// print(timings.load?.inMilliseconds ?? 0)
/// ```
public struct StageTimings: Codable, Sendable, Equatable {
    /// Spawn of the Firecracker process until its API socket accepted a connection.
    public var processStart: Duration?
    /// `PUT /snapshot/load`, request sent to response received (the restore time).
    public var load: Duration?
    /// `PATCH /vm {state: Resumed}`, request to response.
    public var resume: Duration?
    /// Resume response until the guest's readiness line was read.
    public var readiness: Duration?
    /// Firecracker's own `latencies_us.load_snapshot`, recorded beside `load`, never instead of it.
    public var firecrackerLoad: Duration?
    /// When the VM's bring-up began (its process was spawned); not encoded, an instant of this process.
    public var startedAt: ContinuousClock.Instant?

    private enum CodingKeys: String, CodingKey {
        case processStart, load, resume, readiness, firecrackerLoad
    }

    public init(
        processStart: Duration? = nil,
        load: Duration? = nil,
        resume: Duration? = nil,
        readiness: Duration? = nil,
        firecrackerLoad: Duration? = nil,
        startedAt: ContinuousClock.Instant? = nil
    ) {
        self.processStart = processStart
        self.load = load
        self.resume = resume
        self.readiness = readiness
        self.firecrackerLoad = firecrackerLoad
        self.startedAt = startedAt
    }

    /// Process start + load + resume + readiness: a spawn from nothing.
    public var total: Duration {
        [processStart, load, resume, readiness].compactMap { $0 }.reduce(.zero, +)
    }
}
