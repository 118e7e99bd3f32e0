/// A set of 4 KiB pages of a snapshot's memory file, by page number: the pages a clone faulted in (recorded
/// by its page server), and the runs of them a later clone's server copies in ahead of its faults.
///
/// ```swift
/// var pages = PageSet(pageCount: 8)
/// pages.insert(1); pages.insert(2); pages.insert(5)
/// pages.runs  // [(first: 1, count: 2), (first: 5, count: 1)]
/// ```
package struct PageSet: Sendable, Equatable {
    /// One bit per page, page n at bit n % 8 of byte n / 8 (the page server's layout).
    package internal(set) var bits: [UInt8]
    /// Pages the set can hold.
    package let pageCount: Int

    /// An empty set of `pageCount` pages.
    package init(pageCount: Int) {
        self.pageCount = pageCount
        self.bits = [UInt8](repeating: 0, count: (pageCount + 7) / 8)
    }

    /// Every page: a prefetch of all memory (Firecracker's `fault_all`).
    package static func all(pageCount: Int) -> PageSet {
        var set = PageSet(pageCount: pageCount)
        for index in set.bits.indices { set.bits[index] = 0xFF }
        if pageCount % 8 != 0 { set.bits[set.bits.count - 1] = UInt8((1 << (pageCount % 8)) - 1) }
        return set
    }

    /// Adds page `page`; pages past the end are ignored.
    package mutating func insert(_ page: Int) {
        guard page >= 0, page < pageCount else { return }
        bits[page / 8] |= 1 << UInt8(page % 8)
    }

    package func contains(_ page: Int) -> Bool {
        page >= 0 && page < pageCount && bits[page / 8] & (1 << UInt8(page % 8)) != 0
    }

    /// Pages in the set.
    package var count: Int { bits.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// The set as runs of consecutive pages, in order.
    package var runs: [(first: Int, count: Int)] {
        var runs: [(first: Int, count: Int)] = []
        var page = 0
        while page < pageCount {
            if bits[page / 8] == 0 && page % 8 == 0 {
                page += 8
                continue
            }
            guard contains(page) else {
                page += 1
                continue
            }
            let first = page
            while page < pageCount && contains(page) { page += 1 }
            runs.append((first, page - first))
        }
        return runs
    }
}
