/// The guest's proof that a clone runs: its readiness line, unique to the clone.
public struct ReadinessProof: Sendable, Equatable {
    /// The whole line, e.g. `R00112233445566778899aabbccddeeff/1` from the built-in guest.
    public var token: String
    /// When the host read it.
    public var observedAt: ContinuousClock.Instant

    public init(token: String, observedAt: ContinuousClock.Instant) {
        self.token = token
        self.observedAt = observedAt
    }

    /// The VM generation id the line carries (`gen=<32 hex>`), when it carries one.
    public var generation: GenerationID? { GenerationID(line: token) }
}
