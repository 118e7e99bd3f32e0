/// How long each stage of bringing up one VM took. A stage that did not happen is `nil`.
///
/// ```swift
/// let timings = clone.timings
/// print(timings.load?.inMilliseconds ?? 0)
/// ```
package struct StageTimings: Codable, Sendable, Equatable {
    /// Spawn of the Firecracker process until its API socket accepted a connection.
    package var processStart: Duration?
    /// `PUT /snapshot/load`, request sent to response received (the restore time).
    package var load: Duration?
    /// API socket accepting → load request sent: the clone's place made ready (its cgroup, the snapshot's
    /// files linked into its jail, its drives linked or copied, a page server started).
    package var setUp: Duration?
    /// `PATCH /vm {state: Resumed}`, request to response.
    package var resume: Duration?
    /// Resume response until the guest proved it runs: its readiness line on the serial console, or, with
    /// readiness over the agent's channel, the agent's reply.
    package var readiness: Duration?
    /// With readiness over vsock: connecting to the device's socket → Firecracker's `OK` (the guest accepted
    /// the connection), part of `readiness`.
    package var vsockConnect: Duration?
    /// With readiness over vsock: Firecracker's `OK` (the request, sent with the connect, already waiting) → the
    /// agent's reply read, part of `readiness`.
    package var agentReply: Duration?
    /// Firecracker's own `latencies_us.load_snapshot`, recorded beside `load`, never instead of it.
    package var firecrackerLoad: Duration?
    /// When the VM's bring-up began (its process was spawned, or a process started ahead was taken); not
    /// encoded, an instant of this process.
    package var startedAt: ContinuousClock.Instant?
    /// Whether the process was started ahead of need (a standby VMM): its `processStart` happened before the
    /// request and is not part of the VM's bring-up.
    package var processStartedAhead: Bool

    private enum CodingKeys: String, CodingKey {
        case processStart, load, setUp, resume, readiness, vsockConnect, agentReply, firecrackerLoad
        case processStartedAhead
    }

    package init(
        processStart: Duration? = nil,
        load: Duration? = nil,
        setUp: Duration? = nil,
        resume: Duration? = nil,
        readiness: Duration? = nil,
        vsockConnect: Duration? = nil,
        agentReply: Duration? = nil,
        firecrackerLoad: Duration? = nil,
        startedAt: ContinuousClock.Instant? = nil,
        processStartedAhead: Bool = false
    ) {
        self.processStart = processStart
        self.load = load
        self.setUp = setUp
        self.resume = resume
        self.readiness = readiness
        self.vsockConnect = vsockConnect
        self.agentReply = agentReply
        self.firecrackerLoad = firecrackerLoad
        self.startedAt = startedAt
        self.processStartedAhead = processStartedAhead
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        processStart = try container.decodeIfPresent(Duration.self, forKey: .processStart)
        load = try container.decodeIfPresent(Duration.self, forKey: .load)
        setUp = try container.decodeIfPresent(Duration.self, forKey: .setUp)
        resume = try container.decodeIfPresent(Duration.self, forKey: .resume)
        readiness = try container.decodeIfPresent(Duration.self, forKey: .readiness)
        vsockConnect = try container.decodeIfPresent(Duration.self, forKey: .vsockConnect)
        agentReply = try container.decodeIfPresent(Duration.self, forKey: .agentReply)
        firecrackerLoad = try container.decodeIfPresent(Duration.self, forKey: .firecrackerLoad)
        processStartedAhead = try container.decodeIfPresent(Bool.self, forKey: .processStartedAhead) ?? false
    }

    /// Process start (unless it was started ahead) + set-up + load + resume + readiness: the bring-up's own
    /// stages.
    package var total: Duration {
        [processStartedAhead ? nil : processStart, setUp, load, resume, readiness].compactMap { $0 }
            .reduce(.zero, +)
    }
}
