import Synchronization

/// A value shared between tasks behind a lock.
///
/// ```swift
/// let timings = SendableBox(0)
/// timings.update { $0 += 1 }
/// ```
package final class SendableBox<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    package init(_ value: Value) {
        storage = Mutex(value)
    }

    package var value: Value { storage.withLock { $0 } }

    package func update(_ change: (inout Value) -> Void) {
        storage.withLock { change(&$0) }
    }
}
