import Firecracker
import Foundation
import Glibc
import HostSystem
import Reporting
import SnapshotPool

/// After the drain and the release of the run's resources: is anything left? Every VM's teardown as it happened
/// (from the teardown ledger), child VMMs, the pool directory, fault helpers, the run's filesystem, network
/// namespaces and memory cgroups named for this process, descriptors opened since the pool was running, and
/// jemalloc `allocated` growth per lease.
struct LeakChecker {
    var outcome: RunOutcome
    /// This run's pool directory (removed by a clean drain); `nil` for backends without files.
    var poolDirectory: String?
    /// The run's own filesystem, which must be unmounted by now.
    var filesystemPath: String?
    var teardown: TeardownLedger
    /// What releasing the run's resources could not release.
    var releaseProblems: [String]
    /// The scenario's limit on allocated bytes per lease, when it gates it.
    var allocationLimit: Double?

    /// The limit allocated growth per lease is judged by when the scenario sets none.
    static let defaultAllocationLimit = 16.0
    /// Leases a growth slope must rest on before it is judged: fewer, and a megabyte of allocator noise reads
    /// as hundreds of bytes per lease.
    static let leasesForAllocationJudgement = 2_000

    func check() -> LeakCheck {
        let vmms = ProcessStatus.firecrackerChildren()
        let files: [String] =
            poolDirectory.flatMap { directory in
                FileManager.default.fileExists(atPath: directory)
                    ? [directory] + (FileManager.default.subpaths(atPath: directory) ?? []) : nil
            } ?? []
        let descriptorsAfter = ProcessStatus.openDescriptors()
        let left = descriptorsAfter.filter { outcome.descriptorsBefore[$0.key] != $0.value }
            .sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }
        let allocatedAfter = Jemalloc()?.statistics()?.allocated
        let allocation = MemoryFigures.allocatedPerLease(
            outcome.timeline,
            measuredStart: outcome.measuredStart,
            loadEnd: outcome.loadEnd,
            faults: outcome.occurrences.filter(\.applied).map { $0.startedAt...($0.endedAt ?? $0.startedAt) }
        )
        var problems: [String] = []
        if !vmms.isEmpty { problems.append("\(vmms.count) VMM processes still running: \(vmms)") }
        if !files.isEmpty {
            problems.append("the pool directory was left with \(files.count - 1) files: \(files.prefix(5))")
        }
        let failedTeardowns = teardown.failedTeardowns
        if failedTeardowns > 0 {
            problems.append(
                "\(failedTeardowns) teardowns left something: " + teardown.problems.prefix(5).joined(separator: "; ")
            )
        }
        let helpers = FaultHelperProcess.unreaped
        if !helpers.isEmpty {
            problems.append("\(helpers.count) fault helper processes not reaped: \(helpers.sorted())")
        }
        if let filesystemPath, SizeLimitedFilesystem.mountedTmpfs().contains(filesystemPath) {
            problems.append("the run's filesystem is still mounted at \(filesystemPath)")
        }
        let namespaces = Self.ownedEntries(
            in: "/var/run/netns",
            prefix: OwnerTag(kind: NetworkSlotPool.defaultKind).name("")
        )
        if !namespaces.isEmpty { problems.append("network namespaces left: \(namespaces)") }
        let cgroups = CgroupMounts.current().hierarchies.flatMap {
            Self.ownedEntries(in: $0, prefix: OwnerTag(kind: MemoryCgroup.defaultPrefix).name(""))
        }
        if !cgroups.isEmpty { problems.append("memory cgroups left: \(cgroups)") }
        problems += releaseProblems
        if !left.isEmpty {
            problems.append("\(left.count) descriptors opened since the pool started are still open: \(left.prefix(5))")
        }
        var limit: Double?
        if let allocation, allocationLimit != nil || allocation.leases >= Self.leasesForAllocationJudgement {
            let judged = allocationLimit ?? Self.defaultAllocationLimit
            limit = judged
            if allocation.slope > judged {
                problems.append(
                    "jemalloc allocated grows by \(formatNumber(allocation.slope)) bytes per lease over "
                        + "\(allocation.leases) leases (limit \(formatNumber(judged)))"
                )
            }
        }
        return LeakCheck(
            childVMMs: vmms.count,
            leftoverFiles: files,
            descriptorsBefore: outcome.descriptorsBefore.count,
            descriptorsAfter: descriptorsAfter.count,
            allocatedBefore: outcome.allocatedBefore,
            allocatedAfter: allocatedAfter,
            allocatedSlopeBytesPerSecond: TimelineSampler.allocatedSlope(outcome.timeline),
            problems: problems,
            allocatedBytesPerLease: allocation?.slope,
            allocatedBytesPerLeaseLimit: limit,
            allocatedSlopeLeases: allocation?.leases,
            rssGrowthBytes: MemoryFigures.growth(
                outcome.timeline,
                measuredStart: outcome.measuredStart,
                loadEnd: outcome.loadEnd
            ) { Double($0.processRSS) }.map { Int64($0) },
            teardownsVerified: teardown.verified,
            teardownProblems: teardown.problems,
            descriptorsLeft: left
        )
    }

    /// Entries of `directory` whose names start with `prefix` (this process's own resources).
    static func ownedEntries(in directory: String, prefix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix(prefix) }
            .sorted()
    }
}

/// Memory figures over the measured part of a timeline.
enum MemoryFigures {
    /// How long into the measured phases the growth figures start: the first seconds fill caches and pools.
    static let settling = 10.0

    /// The samples between the start of the measured phases and the end of the load.
    static func measured(_ timeline: [TimelineSample], measuredStart: Double?, loadEnd: Double) -> [TimelineSample] {
        guard let measuredStart else { return [] }
        return timeline.filter { $0.time >= measuredStart && $0.time <= loadEnd + 0.25 }
    }

    /// How long after a fault ends its recovery may still allocate once (refills, a rebuilt snapshot).
    static let faultAftermath = 5.0

    /// Least-squares slope of jemalloc `allocated` against leases served, from 10 s into the measured phases to
    /// the end of the load; `nil` with fewer than 3 samples or no lease in between.
    ///
    /// With `faults` (seconds since the start), the samples from each fault's start to 5 s after its end are left
    /// out, and the slope is the pooled slope *within* the stretches between them: handling a fault allocates
    /// once (a quarantine, a rebuilt snapshot, error records), a step between stretches, while a per-lease leak
    /// is a slope inside every stretch. Without faults it is the plain regression.
    static func allocatedPerLease(
        _ timeline: [TimelineSample],
        measuredStart: Double?,
        loadEnd: Double,
        faults: [ClosedRange<Double>] = []
    ) -> (slope: Double, leases: Int)? {
        let samples = measured(timeline, measuredStart: measuredStart, loadEnd: loadEnd)
            .filter { $0.time >= (measuredStart ?? 0) + settling }
        var served = 0
        var counted = 0
        var stretches: [[(Double, Double)]] = [[]]
        for (index, sample) in samples.enumerated() {
            // Leases served since the previous sample count towards this one; the first is the origin.
            if index > 0 { served += sample.served }
            let disturbed = faults.contains {
                $0.lowerBound <= sample.time && sample.time <= $0.upperBound + faultAftermath
            }
            if disturbed {
                if !(stretches.last?.isEmpty ?? true) { stretches.append([]) }
                continue
            }
            if let allocated = sample.jemallocAllocated {
                if let previous = stretches.last?.last { counted += served - Int(previous.0) }
                stretches[stretches.count - 1].append((Double(served), Double(allocated)))
            }
        }
        guard counted > 0, let slope = Self.pooledSlope(stretches.filter { $0.count >= 2 }) else { return nil }
        return (slope, counted)
    }

    /// The least-squares slope shared by several series, each with its own level (fixed effects).
    static func pooledSlope(_ series: [[(Double, Double)]]) -> Double? {
        var covariance = 0.0
        var variance = 0.0
        for points in series {
            let meanX = points.map(\.0).reduce(0, +) / Double(points.count)
            let meanY = points.map(\.1).reduce(0, +) / Double(points.count)
            for (x, y) in points {
                covariance += (x - meanX) * (y - meanY)
                variance += (x - meanX) * (x - meanX)
            }
        }
        return variance > 0 && series.map(\.count).reduce(0, +) >= 3 ? covariance / variance : nil
    }

    /// A series' value at the end of the load − its value 10 s into the measured phases; `nil` when the measured
    /// phases are shorter.
    static func growth(
        _ timeline: [TimelineSample],
        measuredStart: Double?,
        loadEnd: Double,
        _ value: (TimelineSample) -> Double?
    ) -> Double? {
        let samples = measured(timeline, measuredStart: measuredStart, loadEnd: loadEnd)
        guard let measuredStart,
            let first = samples.first(where: { $0.time >= measuredStart + settling }).flatMap(value),
            let last = samples.last.flatMap(value), loadEnd >= measuredStart + settling
        else { return nil }
        return last - first
    }
}
