import Firecracker
import Foundation
import HostSystem
import Reporting
import SnapshotPool
import Synchronization

/// Samples memory, pool state and the host's activity on one task at a fixed rate (never per request):
/// jemalloc statistics, kernel RSS, every VMM's PSS (and the warm ones' apart; within a read budget, see
/// ``VMMMemoryReader``), the pool cgroup's usage,
/// memory PSI, the pool's counts, CPU steal and use inside and outside the run, and the real-time
/// heartbeat's lateness. After each sample it finds the host's disturbances so far and lets the recorder
/// file every acquire that has ended.
///
/// The timeline holds at most ``maximumSamples``: beyond that, neighbouring samples are merged (each keeps
/// the maximum of its pair's memory and host figures), so a day-long soak keeps a bounded timeline.
final class TimelineSampler: Sendable {
    private struct State {
        var samples: [TimelineSample] = []
        /// Samples taken but not kept, while the timeline is thinned to every `stride`-th.
        var stride = 1
        var skipped = 0
        var pendingMerge: TimelineSample?
        var detector = DisturbanceDetector()
        var previousServed = 0
        var vmmMemory = VMMMemoryReader()
    }

    /// Samples kept at most.
    static let maximumSamples = 4_096

    private let state = Mutex(State())
    private let jemalloc = Jemalloc()
    /// Below normal priority: a sample reads `/proc` for a few milliseconds, which must not come out of a
    /// burst's restores.
    private let worker = WorkerThread(name: "snapbench.sampler", niceness: 10)
    private let heartbeat = Heartbeat()
    private let meter: HostActivityMeter
    let interval: Duration
    let cgroup: MemoryCgroup?

    /// Where each sample's pool state and memory are also shown live.
    private let live: LiveMetrics?

    init(
        interval: Duration = .milliseconds(200),
        cgroup: MemoryCgroup?,
        live: LiveMetrics? = nil,
        disturbances: DisturbanceDetector.Thresholds = .init()
    ) {
        self.interval = interval
        self.cgroup = cgroup
        self.live = live
        self.meter = HostActivityMeter(heartbeat: heartbeat)
        // The whole timeline's storage up front (about 1 MiB): grown as the run goes, it would itself read as
        // allocator growth per lease (12 bytes per lease in churn, measured).
        state.withLock {
            $0.samples.reserveCapacity(Self.maximumSamples)
            $0.detector.thresholds = disturbances
        }
        heartbeat.start()
    }

    /// Ends the sampler's threads.
    func stop() {
        heartbeat.stop()
        worker.stop()
    }

    var timeline: [TimelineSample] { state.withLock { $0.samples } }
    var disturbances: [Disturbance] { state.withLock { $0.detector.disturbances } }

    /// Whether the heartbeat runs at real-time priority (only then is its lateness evidence of the host).
    var heartbeatIsRealTime: Bool { heartbeat.isRealTime }

    /// Samples until cancelled.
    func run(
        start: ContinuousClock.Instant,
        recorder: RunRecorder,
        pool: @escaping @Sendable () async -> (PoolStatistics, [PoolVM])?
    ) async {
        // A first reading of the host's counters, so the first sample covers an interval.
        _ = await worker.run { self.meter.read() }
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let state = await pool()
            await worker.run { self.sample(start: start, pool: state, recorder: recorder) }
        }
    }

    /// Takes one sample now (on the worker thread, or at the end of a run).
    func sample(start: ContinuousClock.Instant, pool: (PoolStatistics, [PoolVM])?, recorder: RunRecorder) {
        let allocator = jemalloc?.statistics()
        let warmPIDs = Set(pool?.1.filter { $0.state == .warm }.compactMap(\.pid) ?? [])
        // The pool's own VMMs while it runs (a /proc scan for them cost 6–11 ms per sample); after the drain,
        // whatever firecracker children are left.
        let pids = pool.map { $0.1.compactMap(\.pid) } ?? ProcessStatus.firecrackerChildren()
        let vmms = state.withLock { $0.vmmMemory.read(pids: pids, warm: warmPIDs) }
        let activity = meter.read()
        let total = recorder.servedCount
        let stats = pool?.0
        let time = start.duration(to: .now).inSeconds
        let sample = TimelineSample(
            time: time,
            jemallocAllocated: allocator?.allocated,
            jemallocActive: allocator?.active,
            jemallocResident: allocator?.resident,
            jemallocMapped: allocator?.mapped,
            jemallocRetained: allocator?.retained,
            processRSS: ProcessMemory.residentBytes(),
            vmmPSSSum: vmms.sum,
            vmmPSSMax: vmms.maximum,
            vmmCount: vmms.count,
            cgroupUsage: try? cgroup?.usage(),
            psiSomeAvg10: ProcessMemory.pressureSomeAvg10(),
            warm: stats?.warm ?? 0,
            restoring: stats?.restoring ?? 0,
            leased: stats?.leased ?? 0,
            served: 0,
            warmVMMPSSSum: pool == nil ? nil : vmms.warmSum,
            warmVMMCount: pool == nil ? nil : vmms.warmCount,
            stealPercent: activity?.stealPercent,
            runCPUPercent: activity?.runPercent,
            otherCPUPercent: activity?.otherPercent,
            heartbeatLateMs: heartbeat.isRealTime ? activity?.heartbeatLateMs : nil,
            dispatchLagMaxMs: recorder.takeWorstDispatchLag().inMilliseconds
        )
        let disturbances = state.withLock { state -> [Disturbance] in
            var sample = sample
            sample.served = total - state.previousServed
            state.previousServed = total
            state.detector.observe(sample)
            Self.keep(sample, in: &state)
            return state.detector.disturbances
        }
        recorder.settle(until: time, disturbances: disturbances)
        if let live, let stats {
            live.poolState(warm: stats.warm, leased: stats.leased, restoring: stats.restoring, waiting: stats.waiting)
            live.memory(poolResident: allocator?.resident, vmmPSS: vmms.sum)
        }
    }

    /// Appends a sample, thinning the timeline to every other sample (merged pairwise) once it is full.
    private static func keep(_ sample: TimelineSample, in state: inout State) {
        let merged = state.pendingMerge.map { merge($0, sample) } ?? sample
        state.skipped += 1
        guard state.skipped >= state.stride else {
            state.pendingMerge = merged
            return
        }
        state.skipped = 0
        state.pendingMerge = nil
        state.samples.append(merged)
        if state.samples.count >= maximumSamples {
            // In place, so the reserved storage is kept.
            let half = state.samples.count / 2
            for index in 0..<half {
                state.samples[index] = merge(state.samples[2 * index], state.samples[2 * index + 1])
            }
            state.samples.removeLast(state.samples.count - half)
            state.stride *= 2
        }
    }

    /// One sample standing for two neighbours: the later one's time and counts, the larger of each memory and
    /// host figure, the leases of both.
    static func merge(_ first: TimelineSample, _ second: TimelineSample) -> TimelineSample {
        func larger<T: Comparable>(_ a: T?, _ b: T?) -> T? {
            switch (a, b) {
            case (let a?, let b?): max(a, b)
            default: a ?? b
            }
        }
        var merged = second
        merged.jemallocAllocated = larger(first.jemallocAllocated, second.jemallocAllocated)
        merged.jemallocActive = larger(first.jemallocActive, second.jemallocActive)
        merged.jemallocResident = larger(first.jemallocResident, second.jemallocResident)
        merged.jemallocMapped = larger(first.jemallocMapped, second.jemallocMapped)
        merged.jemallocRetained = larger(first.jemallocRetained, second.jemallocRetained)
        merged.processRSS = max(first.processRSS, second.processRSS)
        merged.vmmPSSSum = max(first.vmmPSSSum, second.vmmPSSSum)
        merged.vmmPSSMax = max(first.vmmPSSMax, second.vmmPSSMax)
        merged.cgroupUsage = larger(first.cgroupUsage, second.cgroupUsage)
        merged.psiSomeAvg10 = larger(first.psiSomeAvg10, second.psiSomeAvg10)
        merged.served = first.served + second.served
        merged.stealPercent = larger(first.stealPercent, second.stealPercent)
        merged.runCPUPercent = larger(first.runCPUPercent, second.runCPUPercent)
        merged.otherCPUPercent = larger(first.otherCPUPercent, second.otherCPUPercent)
        merged.heartbeatLateMs = larger(first.heartbeatLateMs, second.heartbeatLateMs)
        merged.dispatchLagMaxMs = larger(first.dispatchLagMaxMs, second.dispatchLagMaxMs)
        return merged
    }

    /// Least-squares slope of jemalloc `allocated` over time, bytes per second.
    static func allocatedSlope(_ timeline: [TimelineSample]) -> Double? {
        leastSquaresSlope(timeline.compactMap { sample in sample.jemallocAllocated.map { (sample.time, Double($0)) } })
    }

    /// The least-squares slope of y over x; `nil` for fewer than 3 points or no spread in x.
    static func leastSquaresSlope(_ points: [(Double, Double)]) -> Double? {
        // One series is the pooled slope's simplest case (at least 3 points, some spread in x).
        MemoryFigures.pooledSlope([points])
    }
}
