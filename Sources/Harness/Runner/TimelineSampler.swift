import Firecracker
import Foundation
import Reporting
import SnapshotPool
import Synchronization

/// Samples memory and pool state on one task at a fixed rate (never per request): jemalloc statistics,
/// kernel RSS, every VMM's PSS, the pool cgroup's usage, memory PSI and the pool's counts.
final class TimelineSampler: Sendable {
    private let samples = Mutex<[TimelineSample]>([])
    private let jemalloc = Jemalloc()
    let interval: Duration
    let cgroup: MemoryCgroup?

    init(interval: Duration = .milliseconds(200), cgroup: MemoryCgroup?) {
        self.interval = interval
        self.cgroup = cgroup
    }

    var timeline: [TimelineSample] { samples.withLock { $0 } }

    /// Samples until cancelled.
    func run(
        start: ContinuousClock.Instant,
        statistics: @escaping @Sendable () async -> PoolStatistics?,
        served: @escaping @Sendable () -> Int
    ) async {
        var previousServed = 0
        while !Task.isCancelled {
            let stats = await statistics()
            let total = served()
            let count = total - previousServed
            // Reading /proc takes milliseconds: done on a thread of its own so that it never holds up the
            // load generator on Swift's (two-thread) cooperative pool.
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    self.sample(start: start, stats: stats, served: count)
                    done.resume()
                }
                thread.name = "snapbench.sampler"
                thread.start()
            }
            previousServed = total
            try? await Task.sleep(for: interval)
        }
    }

    /// Takes one sample now.
    func sample(start: ContinuousClock.Instant, stats: PoolStatistics?, served: Int) {
        let allocator = jemalloc?.statistics()
        let pss = ProcessStatus.firecrackerChildren().compactMap(ProcessMemory.proportionalSetSize(of:))
        let sample = TimelineSample(
            time: start.duration(to: .now).inSeconds,
            jemallocAllocated: allocator?.allocated,
            jemallocActive: allocator?.active,
            jemallocResident: allocator?.resident,
            jemallocMapped: allocator?.mapped,
            jemallocRetained: allocator?.retained,
            processRSS: ProcessMemory.residentBytes(),
            vmmPSSSum: pss.reduce(0, +),
            vmmPSSMax: pss.max() ?? 0,
            vmmCount: pss.count,
            cgroupUsage: try? cgroup?.usage(),
            psiSomeAvg10: ProcessMemory.pressureSomeAvg10(),
            warm: stats?.warm ?? 0,
            restoring: stats?.restoring ?? 0,
            leased: stats?.leased ?? 0,
            served: served
        )
        samples.withLock { $0.append(sample) }
    }

    /// Least-squares slope of jemalloc `allocated` over time, bytes per second.
    static func allocatedSlope(_ timeline: [TimelineSample]) -> Double? {
        let points = timeline.compactMap { sample in sample.jemallocAllocated.map { (sample.time, Double($0)) } }
        guard points.count >= 3 else { return nil }
        let n = Double(points.count)
        let meanX = points.map(\.0).reduce(0, +) / n
        let meanY = points.map(\.1).reduce(0, +) / n
        let covariance = points.map { ($0.0 - meanX) * ($0.1 - meanY) }.reduce(0, +)
        let variance = points.map { ($0.0 - meanX) * ($0.0 - meanX) }.reduce(0, +)
        return variance > 0 ? covariance / variance : nil
    }
}
