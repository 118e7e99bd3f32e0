/// The guest's proof that a clone runs: its readiness line, unique to the clone.
package struct ReadinessProof: Sendable, Equatable {
    /// The whole line, e.g. `R00112233445566778899aabbccddeeff/1` from the built-in guest.
    package var token: String
    /// When the host read it.
    package var observedAt: ContinuousClock.Instant

    package init(token: String, observedAt: ContinuousClock.Instant) {
        self.token = token
        self.observedAt = observedAt
    }

    /// The VM generation id the line carries (`gen=<32 hex>`), when it carries one.
    package var generation: GenerationID? { GenerationID(line: token) }
}
