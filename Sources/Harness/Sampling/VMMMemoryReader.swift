import HostSystem

/// The VMMs' PSS for the timeline, read within a budget: each sample reads `smaps_rollup` for new VMMs first,
/// then for those read longest ago, at most ``budget`` of them, and reuses the last reading of the others.
///
/// Reading every VMM every sample cost 10–15 ms of CPU per sample with 64 VMMs on the development host (the
/// kernel walks each VMM's page tables), taken from the bursts being measured. A paused warm VMM's memory does
/// not change, only its share of pages other clones also map; with the budget, a VMM's figure is at most
/// ⌈count ÷ budget⌉ samples old.
///
/// ```swift
/// var reader = VMMMemoryReader()
/// let figures = reader.read(pids: [4242, 4243], warm: [4242])
/// figures.sum  // bytes
/// ```
struct VMMMemoryReader: Sendable {
    /// What the VMMs hold, from the latest readings.
    struct Figures: Sendable, Equatable {
        var sum: UInt64 = 0
        var maximum: UInt64 = 0
        var count = 0
        var warmSum: UInt64 = 0
        var warmCount = 0
    }

    /// `smaps_rollup` reads per sample at most.
    var budget = 8
    /// Each VMM's last PSS and when it was read (a count of reads, so that no two readings tie).
    private var cache: [Int32: (pss: UInt64, read: Int)] = [:]
    private var reads = 0
    private let readPSS: @Sendable (Int32) -> UInt64?

    init(budget: Int = 8, readPSS: @escaping @Sendable (Int32) -> UInt64? = ProcessMemory.proportionalSetSize) {
        self.budget = budget
        self.readPSS = readPSS
    }

    /// The figures of the VMMs `pids` (those in `warm` apart), refreshing up to ``budget`` readings.
    mutating func read(pids: [Int32], warm: Set<Int32>) -> Figures {
        let live = Set(pids)
        cache = cache.filter { live.contains($0.key) }
        let unread = pids.filter { cache[$0] == nil }
        let stalest = cache.sorted { $0.value.read < $1.value.read }.map(\.key)
        for pid in (unread + stalest).prefix(budget) {
            reads += 1
            if let pss = readPSS(pid) { cache[pid] = (pss, reads) } else { cache[pid] = nil }
        }
        var figures = Figures()
        for (pid, reading) in cache {
            figures.sum += reading.pss
            figures.maximum = max(figures.maximum, reading.pss)
            figures.count += 1
            if warm.contains(pid) {
                figures.warmSum += reading.pss
                figures.warmCount += 1
            }
        }
        return figures
    }
}
