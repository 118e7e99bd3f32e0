package import Firecracker
import Foundation
import Glibc
import HostSystem
package import Logging
import MicroVM
package import Reporting
import SnapshotPool

/// N VMs asked for at the same instant, W of them warm, through the pool and without it, with the CPU it
/// took: how close a burst comes to what this host's CPUs can do.
///
/// Each round first runs the raw burst — no pool, the same client and readiness wait: W clones restored
/// paused beforehand are resumed and N − W clones are restored and resumed, all from N tasks at once — then
/// the pool burst: a pool of W warm VMs (at most N) is filled and N VMs are acquired at once. Spawn runs from
/// the burst's instant to each guest's readiness line. CPU is every VMM thread's run time (`schedstat`) plus
/// snapbench's own, over the burst. ``SpawnCostProbe`` gives the CPU of one warm and one on-demand spawn run
/// alone; the burst's CPU-bound floor is (W × warm + (N − W) × on-demand) ÷ cores.
///
/// ```swift
/// let result = try await BurstBenchmark(installation: fc, guestPath: guest, workRoot: "/tmp/bb")
///     .run(size: 16, warm: 4, rounds: 3)
/// print(result.pool.summary.p95 ?? 0, result.floor.milliseconds)
/// ```
package struct BurstBenchmark: Sendable {
    /// What a burst benchmark measured.
    package struct Result: Sendable {
        /// VMs per burst, and how many of them warm.
        package var size: Int
        package var warm: Int
        package var rounds: Int
        /// Spawn of every VM of every raw burst (no pool).
        package var raw = LatencyHistogram()
        /// Spawn of every VM of every pool burst.
        package var pool = LatencyHistogram()
        /// CPU per spawn in each raw and pool burst (VMMs + snapbench), in ms.
        package var rawCPUPerSpawn: [Double] = []
        package var poolCPUPerSpawn: [Double] = []
        /// The CPU of spawns run alone.
        package var costs = SpawnCostProbe.Costs()
        /// Online CPUs.
        package var cores: Int

        /// The burst's CPU-bound floor, from the costs of spawns run alone.
        package var floor: BurstFloor {
            BurstFloor(
                warmSpawnCPUMilliseconds: costs.warmMilliseconds,
                onDemandSpawnCPUMilliseconds: costs.onDemandMilliseconds,
                samples: costs.warm.count,
                cores: cores,
                warmHitsPerBurst: Double(warm),
                onDemandPerBurst: Double(size - warm)
            )
        }
    }

    package var installation: FirecrackerInstallation
    package var guestPath: String
    package var workRoot: String
    /// Where the VMs' own directories go (a tmpfs is best); `nil` means below ``workRoot``.
    package var vmRoot: String?
    package var workingSetMiB = 16
    /// Spawns run alone for each cost of the floor.
    package var costSamples = 8
    package var logger = Logger(label: "snapbench.burst-bench")

    package init(installation: FirecrackerInstallation, guestPath: String, workRoot: String) {
        self.installation = installation
        self.guestPath = guestPath
        self.workRoot = workRoot
    }

    /// Spawn costs alone, then `rounds` raw bursts and pool bursts of `size` with `warm` warm VMs, alternating.
    ///
    /// - Precondition: `0 ≤ warm ≤ size`.
    package func run(
        size: Int,
        warm: Int? = nil,
        rounds: Int,
        progress: @Sendable (String) -> Void = { _ in }
    ) async throws -> Result {
        let warm = warm ?? size
        precondition((0...size).contains(warm), "warm must be between 0 and size")
        var result = Result(size: size, warm: warm, rounds: rounds, cores: ProcessInfo.processInfo.activeProcessorCount)
        let spec = VMSpec.builtInGuest(imagePath: guestPath, workingSetMiB: workingSetMiB)
        let store = workRoot + "/store"
        let snapshot = try await SnapshotStore(directory: store, installation: installation, spec: spec, logger: logger)
            .current()
        result.costs = try await SpawnCostProbe(
            installation: installation,
            snapshot: snapshot,
            workDirectory: vms + "/single",
            logger: logger
        )
        .measure(samples: costSamples)
        let floor = result.floor
        progress(
            "spawns alone: CPU of a warm one \(formatMilliseconds(floor.warmSpawnCPUMilliseconds, decimals: 3)) ms, "
                + "of an on-demand one \(formatMilliseconds(floor.onDemandSpawnCPUMilliseconds, decimals: 3)) ms "
                + "(medians of \(costSamples)); floor of \(warm) warm + \(size - warm) on demand: "
                + "\(formatMilliseconds(floor.milliseconds)) ms"
        )
        let backend = FirecrackerBackend(
            configuration: .init(
                installation: installation,
                spec: spec,
                storeDirectory: store,
                workDirectory: vms + "/work"
            ),
            logger: logger
        )
        var configuration = PoolConfiguration(warmTarget: warm, maximumVMs: size)
        configuration.refillConcurrency = 2
        let pool = SnapshotPool(backend: backend, configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            do {
                for round in 1...rounds {
                    let (spawns, cpu) = try await rawBurst(size: size, warm: warm, from: snapshot, tag: "raw-\(round)")
                    for spawn in spawns { result.raw.record(spawn) }
                    result.rawCPUPerSpawn.append(cpu.inMilliseconds / Double(size))
                    let (poolSpawns, poolCPU) = try await poolBurst(size: size, warm: warm, from: pool)
                    for spawn in poolSpawns { result.pool.record(spawn) }
                    result.poolCPUPerSpawn.append(poolCPU.inMilliseconds / Double(size))
                    progress(
                        "round \(round): raw p95 \(Self.p95(spawns)) ms, pool p95 \(Self.p95(poolSpawns)) ms; CPU of "
                            + "the burst raw \(formatMilliseconds(cpu.inMilliseconds)) ms, pool "
                            + "\(formatMilliseconds(poolCPU.inMilliseconds)) ms (floor × cores: "
                            + "\(formatMilliseconds(floor.milliseconds * Double(floor.cores))) ms)"
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

    private var vms: String { vmRoot ?? workRoot }

    private static func p95(_ spawns: [Duration]) -> String {
        let sorted = spawns.map(\.inMilliseconds).sorted()
        return formatMilliseconds(
            sorted.isEmpty ? nil : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.95))]
        )
    }

    /// `warm` clones restored paused beforehand are resumed, and `size − warm` more restored and resumed, all
    /// at one instant from tasks of their own; returns each spawn and the CPU the burst took. Every clone is
    /// destroyed whatever happens.
    private func rawBurst(
        size: Int,
        warm: Int,
        from snapshot: GoldenSnapshot,
        tag: String
    ) async throws -> ([Duration], Duration) {
        let clones = Clones()
        do {
            for index in 0..<warm {
                clones.add(try await restore(index, from: snapshot, tag: tag))
            }
            try await quiesce()
            let warmPIDs = clones.all.map(\.vmm.pid)
            let before = Self.cpu(warmPIDs)
            let start = ContinuousClock.now
            let spawns = try await withThrowingTaskGroup(of: Duration.self) { group in
                for clone in clones.all {
                    group.addTask {
                        start.duration(to: try await clone.resume(deadline: start + .seconds(10)).observedAt)
                    }
                }
                for index in warm..<size {
                    group.addTask {
                        let clone = try await restore(index, from: snapshot, tag: tag)
                        clones.add(clone)
                        return start.duration(to: try await clone.resume(deadline: start + .seconds(10)).observedAt)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let cpu = Self.cpu(clones.all.map(\.vmm.pid)) - before
            await clones.destroyAll()
            return (spawns, cpu)
        } catch {
            await clones.destroyAll()
            throw error
        }
    }

    private func restore(_ index: Int, from snapshot: GoldenSnapshot, tag: String) async throws -> ClonedVM {
        try await ClonedVM.restore(
            from: snapshot,
            installation: installation,
            workingDirectory: "\(vms)/raw/\(tag)-\(index)",
            id: "\(tag)-\(index)",
            options: ClonedVM.RestoreOptions(
                logger: logger
            )
        )
    }

    /// Fills the pool to `warm`, then acquires `size` VMs at one instant; returns each spawn and the CPU the
    /// burst took (the warm VMMs' since the instant, the on-demand ones' whole lives, and this process's).
    private func poolBurst(
        size: Int,
        warm: Int,
        from pool: SnapshotPool<FirecrackerBackend, ContinuousClock>
    ) async throws -> ([Duration], Duration) {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let stats = await pool.statistics()
            if stats.warm >= warm, stats.restoring == 0 { break }
            guard ContinuousClock.now < deadline else {
                throw PoolError(.deadline, "the pool did not fill to \(warm) warm VMs within 60 s")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        try await quiesce()
        let warmPIDs = await pool.inventory().compactMap(\.pid)
        let before = Self.cpu(warmPIDs)
        let start = ContinuousClock.now
        let leases = try await withThrowingTaskGroup(of: Lease.self) { group in
            for _ in 0..<size { group.addTask { try await pool.acquire(timeout: .seconds(10)) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let cpu = Self.cpu(leases.compactMap(\.pid)) - before
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

/// The clones of a raw burst, added from its tasks as they are restored.
private final class Clones: Sendable {
    private let list = SendableBox<[ClonedVM]>([])

    var all: [ClonedVM] { list.value }

    func add(_ clone: ClonedVM) {
        list.update { $0.append(clone) }
    }

    func destroyAll() async {
        for clone in all { await clone.destroy() }
        list.update { $0.removeAll() }
    }
}
