import CJemalloc

/// The allocator statistics of this process, read from jemalloc's `mallctl` interface.
///
/// jemalloc caches statistics; writing `epoch` refreshes them. Objects held in a thread's cache count as
/// allocated, and `thread.tcache.flush` only empties the calling thread's cache, so exact accounting needs
/// the thread caches off: the `snapbench` executable sets `tcache:false` in its `malloc_conf`
/// (``threadCacheEnabled`` tells). The management-information-base ids are resolved once.
///
/// ```swift
/// if let jemalloc = Jemalloc(), let stats = jemalloc.statistics() {
///     print(stats.allocated, stats.resident)
/// }
/// ```
package struct Jemalloc: Sendable {
    /// One reading of jemalloc's `stats.*` counters, in bytes.
    package struct Statistics: Codable, Sendable, Equatable {
        /// Bytes allocated by the application.
        package var allocated: UInt64
        /// Bytes in active pages.
        package var active: UInt64
        /// Bytes in physically resident data pages.
        package var resident: UInt64
        /// Bytes in active extents mapped by the allocator.
        package var mapped: UInt64
        /// Bytes in virtual memory retained for reuse.
        package var retained: UInt64
    }

    private let mibs: [[Int]]

    /// Resolves the statistics MIBs; `nil` when jemalloc is not the process's allocator.
    package init?() {
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
    package static var version: String? {
        var pointer: UnsafePointer<CChar>?
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        // Unsafe: mallctl copies a pointer to jemalloc's static version string into our variable.
        guard mallctl("version", &pointer, &size, nil, 0) == 0, let pointer else { return nil }
        return String(cString: pointer)
    }

    /// Whether thread caches are on (`opt.tcache`); `nil` when it cannot be read. With them on, `allocated`
    /// also counts what the caches hold.
    package static var threadCacheEnabled: Bool? {
        var value = false
        var size = MemoryLayout<Bool>.size
        // Unsafe: mallctl copies one bool into our variable.
        guard mallctl("opt.tcache", &value, &size, nil, 0) == 0 else { return nil }
        return value
    }

    /// How the allocator is described in reports, e.g. "jemalloc 5.3.0 (thread caches off)".
    package static var description: String {
        guard let version else { return "system" }
        let caches: String
        switch threadCacheEnabled {
        case true?: caches = " (thread caches on: allocated includes what they hold)"
        case false?: caches = " (thread caches off)"
        case nil: caches = ""
        }
        return "jemalloc \(version.split(separator: "-").first ?? "")" + caches
    }

    /// Gives the calling thread an arena of its own and turns its thread cache on, so that its allocations take
    /// no lock another thread may hold. For the load generator's real-time dispatcher: with thread caches off,
    /// every allocation locks an arena shared with ordinary threads, and a holder preempted by a VMM's vCPU
    /// thread held the dispatcher up for milliseconds (priority inversion; dispatch lag of 11.8 ms seen in
    /// churn). Its cache holds at most a few hundred KiB, a constant, so `allocated` still grows exactly.
    ///
    /// - Returns: whether both took effect.
    @discardableResult
    package static func isolateCallingThread() -> Bool {
        var arena: UInt32 = 0
        var size = MemoryLayout<UInt32>.size
        // Unsafe: mallctl writes the new arena's index into our variable.
        guard mallctl("arenas.create", &arena, &size, nil, 0) == 0 else { return false }
        // Unsafe: mallctl reads the arena index from our variable.
        guard mallctl("thread.arena", nil, nil, &arena, MemoryLayout<UInt32>.size) == 0 else { return false }
        var enabled = true
        // Unsafe: mallctl reads one bool from our variable.
        return mallctl("thread.tcache.enabled", nil, nil, &enabled, MemoryLayout<Bool>.size) == 0
    }

    /// Refreshes the statistics and reads them; `nil` when jemalloc refuses a read (a figure that cannot be
    /// read is unknown, never 0).
    package func statistics() -> Statistics? {
        var epoch: UInt64 = 1
        // Unsafe: writing "epoch" reads one UInt64 from our variable.
        guard mallctl("epoch", nil, nil, &epoch, MemoryLayout<UInt64>.size) == 0 else { return nil }
        var values: [UInt64] = []
        for mib in mibs {
            var value = 0
            var size = MemoryLayout<Int>.size
            var mib = mib
            // Unsafe: mallctlbymib writes one size_t into our variable.
            guard mallctlbymib(&mib, mib.count, &value, &size, nil, 0) == 0 else { return nil }
            values.append(UInt64(value))
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
