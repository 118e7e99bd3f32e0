package import Testing

extension Trait where Self == ConditionTrait {
    /// Runs a test or suite of real Firecracker only where `/dev/kvm` is usable; elsewhere it is skipped, with
    /// the reason in the test output and a banner on standard error (``TestEnvironment/kvmAvailable``).
    ///
    /// ```swift
    /// @Suite("Real Firecracker", .requiresKVM)
    /// struct RealFirecracker { … }
    /// ```
    package static var requiresKVM: Self {
        .enabled(if: TestEnvironment.kvmAvailable, Comment(rawValue: TestEnvironment.kvmSkipReason))
    }
}
