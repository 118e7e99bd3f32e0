import Synchronization

/// An array many tasks append to.
public final class LockedArray<Element: Sendable>: Sendable {
    private let storage = Mutex<[Element]>([])

    public init() {}

    public func append(_ element: Element) {
        storage.withLock { $0.append(element) }
    }

    public var values: [Element] { storage.withLock { $0 } }
    public var count: Int { storage.withLock { $0.count } }
}
