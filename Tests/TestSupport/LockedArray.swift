import Synchronization

/// An array many tasks append to.
package final class LockedArray<Element: Sendable>: Sendable {
    private let storage = Mutex<[Element]>([])

    package init() {}

    package func append(_ element: Element) {
        storage.withLock { $0.append(element) }
    }

    package var values: [Element] { storage.withLock { $0 } }
    package var count: Int { storage.withLock { $0.count } }
}
