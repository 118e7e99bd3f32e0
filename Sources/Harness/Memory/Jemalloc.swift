import CJemalloc

/// The allocator statistics of this process, read from jemalloc's `mallctl` interface.
///
/// jemalloc caches statistics; writing `epoch` refreshes them, and flushing this thread's cache first
/// makes `allocated` include what the cache holds. The management-information-base ids are resolved once.
///
/// ```swift
/// if let jemalloc = Jemalloc() {
///     let stats = jemalloc.statistics()
///     print(stats.allocated, stats.resident)
/// }
/// ```
public struct Jemalloc: Sendable {
    /// One reading of jemalloc's `stats.*` counters, in bytes.
    public struct Statistics: Codable, Sendable, Equatable {
        /// Bytes allocated by the application.
        public var allocated: UInt64
        /// Bytes in active pages.
        public var active: UInt64
        /// Bytes in physically resident data pages.
        public var resident: UInt64
        /// Bytes in active extents mapped by the allocator.
        public var mapped: UInt64
        /// Bytes in virtual memory retained for reuse.
        public var retained: UInt64
    }

    private let mibs: [[Int]]

    /// Resolves the statistics MIBs; `nil` when jemalloc is not the process's allocator.
    public init?() {
        var mibs: [[Int]] = []
        for name in ["stats.allocated", "stats.active", "stats.resident", "stats.mapped", "stats.retained"] {
            var mib = [Int](repeating: 0, count: 4)
            var length = mib.count
            // Unsafe: mallctlnametomib writes at most `length` ids into our array.
            guard mallctlnametomib(name, &mib, &length) == 0 else { return nil }
            mibs.append(Array(mib.prefix(length)))
        }
        self.mibs = mibs
    }

    /// jemalloc's version string, e.g. "5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c".
    public static var version: String? {
        var pointer: UnsafePointer<CChar>?
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        // Unsafe: mallctl copies a pointer to jemalloc's static version string into our variable.
        guard mallctl("version", &pointer, &size, nil, 0) == 0, let pointer else { return nil }
        return String(cString: pointer)
    }

    /// Refreshes the statistics and reads them.
    public func statistics() -> Statistics {
        // Flushing fails harmlessly when the thread cache is disabled.
        // Unsafe: "thread.tcache.flush" takes no data; the pointers are null.
        _ = mallctl("thread.tcache.flush", nil, nil, nil, 0)
        var epoch: UInt64 = 1
        // Unsafe: writing "epoch" reads one UInt64 from our variable.
        _ = mallctl("epoch", nil, nil, &epoch, MemoryLayout<UInt64>.size)
        let values = mibs.map { mib -> UInt64 in
            var value = 0
            var size = MemoryLayout<Int>.size
            var mib = mib
            // Unsafe: mallctlbymib writes one size_t into our variable.
            _ = mallctlbymib(&mib, mib.count, &value, &size, nil, 0)
            return UInt64(value)
        }
        return Statistics(
            allocated: values[0],
            active: values[1],
            resident: values[2],
            mapped: values[3],
            retained: values[4]
        )
    }
}
