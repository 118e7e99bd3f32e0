import TestSupport
import Testing

/// Every test that starts real `firecracker` processes on `/dev/kvm`, one at a time: on two cores,
/// concurrent VMM tests would measure each other.
@Suite(
    "Real Firecracker",
    .serialized,
    .enabled(if: TestEnvironment.kvmAvailable, Comment(rawValue: TestEnvironment.kvmSkipReason)),
    .timeLimit(.minutes(3))
)
enum RealFirecracker {}
