public import Firecracker
import Foundation
import Glibc
import HostSystem
public import Logging
import MicroVM
import Reporting
import SnapshotPool

/// N warm VMs asked for at the same instant, through the pool and without it, with the CPU it took: how close
/// a burst comes to what this host's CPUs can do.
///
/// Each round restores N clones paused and resumes them all at once from N tasks (the raw burst: no pool, the
/// same client and readiness wait), then fills a pool of N warm VMs and acquires N at once (the pool burst).
/// Spawn is from the burst's instant to each guest's readiness line. CPU is every VMM thread's run time
/// (`schedstat`, nanoseconds) plus snapbench's own, over the burst. Single resumes, one VM at a time on an idle
/// host, give the uncontended CPU cost of a warm spawn; N × that ÷ cores is the CPU-bound floor of a burst of N.
///
/// ```swift
/// let result = try await BurstBenchmark(installation: fc, guestPath: guest, workRoot: "/tmp/bb").run(size: 16, rounds: 3)
/// print(result.pool.summary.p95 ?? 0, result.floorMilliseconds)
/// ```
public struct BurstBenchmark: Sendable {
    /// What a burst benchmark measured.
    public struct Result: Sendable {
        /// VMs per burst.
        public var size: Int
        public var rounds: Int
        /// Spawn of every VM of every raw burst (no pool).
        public var raw = LatencyHistogram()
        /// Spawn of every VM of every pool burst.
        public var pool = LatencyHistogram()
        /// CPU per spawn in each raw and pool burst (VMMs + snapbench), in ms.
        public var rawCPUPerSpawn: [Double] = []
        public var poolCPUPerSpawn: [Double] = []
        /// CPU of single resumes on an idle host (VMM + snapbench), in ms.
        public var singleCPU: [Double] = []
        /// Online CPUs.
        public var cores: Int

        /// The median uncontended CPU cost of one warm spawn, in ms.
        public var singleCostMilliseconds: Double {
            let sorted = singleCPU.sorted()
            return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        }

        /// The CPU-bound floor of a burst of ``size``: size × the uncontended cost ÷ cores, in ms.
        public var floorMilliseconds: Double { Double(size) * singleCostMilliseconds / Double(max(1, cores)) }
    }

    public var installation: FirecrackerInstallation
    public var guestPath: String
    public var workRoot: String
    public var workingSetMiB = 16
    public var logger = Logger(label: "snapbench.burst-bench")

    public init(installation: FirecrackerInstallation, guestPath: String, workRoot: String) {
        self.installation = installation
        self.guestPath = guestPath
        self.workRoot = workRoot
    }

    /// Single resumes, then `rounds` raw bursts and pool bursts of `size`, alternating.
    public func run(size: Int, rounds: Int, progress: @Sendable (String) -> Void = { _ in }) async throws -> Result {
        var result = Result(size: size, rounds: rounds, cores: ProcessInfo.processInfo.activeProcessorCount)
        let spec = VMSpec.builtInGuest(imagePath: guestPath, workingSetMiB: workingSetMiB)
        let store = workRoot + "/store"
        let snapshot = try await SnapshotStore(directory: store, installation: installation, spec: spec, logger: logger)
            .current()
        for index in 0..<8 {
            let clones = try await restore(1, from: snapshot, tag: "single-\(index)")
            let (_, cpu) = try await resumeAll(clones)
            result.singleCPU.append(cpu.inMilliseconds)
        }
        progress(
            "single resumes: CPU per warm spawn \(formatMilliseconds(result.singleCostMilliseconds, decimals: 3)) ms "
                + "(median of 8); floor for \(size): \(formatMilliseconds(result.floorMilliseconds)) ms"
        )
        let backend = FirecrackerBackend(
            configuration: .init(
                installation: installation,
                spec: spec,
                storeDirectory: store,
                workDirectory: workRoot + "/work"
            ),
            logger: logger
        )
        var configuration = PoolConfiguration(warmTarget: size, maximumVMs: size)
        configuration.refillConcurrency = 2
        let pool = SnapshotPool(backend: backend, configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            do {
                for round in 1...rounds {
                    let clones = try await restore(size, from: snapshot, tag: "raw-\(round)")
                    let (spawns, cpu) = try await resumeAll(clones)
                    for spawn in spawns { result.raw.record(spawn) }
                    result.rawCPUPerSpawn.append(cpu.inMilliseconds / Double(size))
                    let (poolSpawns, poolCPU) = try await acquireAll(size, from: pool)
                    for spawn in poolSpawns { result.pool.record(spawn) }
                    result.poolCPUPerSpawn.append(poolCPU.inMilliseconds / Double(size))
                    progress(
                        "round \(round): raw p95 \(Self.p95(spawns)) ms, pool p95 \(Self.p95(poolSpawns)) ms, CPU per "
                            + "spawn raw \(formatMilliseconds(cpu.inMilliseconds / Double(size), decimals: 3)), pool "
                            + "\(formatMilliseconds(poolCPU.inMilliseconds / Double(size), decimals: 3)) ms"
                    )
                }
            } catch {
                await pool.shutdown()
                throw error
            }
            await pool.shutdown()
            try await group.waitForAll()
        }
        return result
    }

    private static func p95(_ spawns: [Duration]) -> String {
        let sorted = spawns.map(\.inMilliseconds).sorted()
        return formatMilliseconds(
            sorted.isEmpty ? nil : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.95))]
        )
    }

    /// `count` clones restored paused, one after another.
    private func restore(_ count: Int, from snapshot: GoldenSnapshot, tag: String) async throws -> [ClonedVM] {
        var clones: [ClonedVM] = []
        do {
            for index in 0..<count {
                clones.append(
                    try await ClonedVM.restore(
                        from: snapshot,
                        installation: installation,
                        workingDirectory: "\(workRoot)/raw/\(tag)-\(index)",
                        id: "\(tag)-\(index)",
                        logger: logger
                    )
                )
            }
        } catch {
            for clone in clones { await clone.destroy() }
            throw error
        }
        return clones
    }

    /// Resumes every clone at the same instant, each from a task of its own; returns each spawn (the instant to
    /// its readiness line) and the CPU it took, then destroys them.
    private func resumeAll(_ clones: [ClonedVM]) async throws -> ([Duration], Duration) {
        defer { Task { for clone in clones { await clone.destroy() } } }
        try await quiesce()
        let pids = clones.map(\.vmm.pid)
        let before = Self.cpu(pids)
        let start = ContinuousClock.now
        let spawns = try await withThrowingTaskGroup(of: Duration.self) { group in
            for clone in clones {
                group.addTask { start.duration(to: try await clone.resume(deadline: start + .seconds(10)).observedAt) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let cpu = Self.cpu(pids) - before
        for clone in clones { await clone.destroy() }
        return (spawns, cpu)
    }

    /// Fills the pool, then acquires `count` VMs at the same instant; returns each spawn and the CPU it took.
    private func acquireAll(
        _ count: Int,
        from pool: SnapshotPool<FirecrackerBackend, ContinuousClock>
    ) async throws -> ([Duration], Duration) {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let stats = await pool.statistics()
            if stats.warm >= count, stats.restoring == 0 { break }
            guard ContinuousClock.now < deadline else {
                throw PoolError(.deadline, "the pool did not fill to \(count) warm VMs within 60 s")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        try await quiesce()
        let pids = await pool.inventory().compactMap(\.pid)
        let before = Self.cpu(pids)
        let start = ContinuousClock.now
        let leases = try await withThrowingTaskGroup(of: Lease.self) { group in
            for _ in 0..<count { group.addTask { try await pool.acquire(timeout: .seconds(10)) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let cpu = Self.cpu(pids) - before
        for lease in leases { await pool.release(lease) }
        return (leases.map { start.duration(to: $0.proof.observedAt) }, cpu)
    }

    /// The CPU time of these VMMs' threads and of this process.
    private static func cpu(_ pids: [Int32]) -> Duration {
        pids.compactMap(CPURuntime.process).reduce(CPURuntime.ownProcess(), +)
    }

    /// Lets restores and their VMMs settle, so the burst starts on a quiet host.
    private func quiesce() async throws {
        try await Task.sleep(for: .milliseconds(300))
    }
}
