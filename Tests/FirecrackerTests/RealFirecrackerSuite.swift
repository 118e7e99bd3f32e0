import TestSupport
import Testing

/// Every test that starts real `firecracker` processes on `/dev/kvm`, one at a time: on two cores,
/// concurrent VMM tests would measure each other.
@Suite(
    "Real Firecracker",
    .serialized,
    .requiresKVM,
    .timeLimit(.minutes(3))
)
enum RealFirecracker {}
