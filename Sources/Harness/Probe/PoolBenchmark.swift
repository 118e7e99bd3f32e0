package import Firecracker
import Foundation
package import Logging
import MicroVM
package import SnapshotPool

/// Measures the pool against the raw floor in one run: warm acquires against raw resume + readiness,
/// on-demand acquires against raw restores from nothing, and the pool's memory across many leases.
///
/// ```swift
/// let result = try await PoolBenchmark(installation: installation, guestPath: guest, workRoot: "/tmp/pb")
///     .run(samples: 30, leases: 1000)
/// print(result.warmAcquire.summary.p95 ?? 0)
/// ```
package struct PoolBenchmark: Sendable {
    /// What a benchmark measured.
    package struct Result: Sendable {
        /// Raw clones (no pool), restored paused in batches of 4 and then resumed: resume + readiness.
        package var rawResumeReadiness = LatencyHistogram()
        /// Raw clones (no pool): process start + load + resume + readiness.
        package var rawSpawn = LatencyHistogram()
        /// Pool acquires that were warm hits (the pool full before each).
        package var warmAcquire = LatencyHistogram()
        /// The same warm leases' own resume + readiness stages: what the VM took, without the pool around it.
        package var warmStages = LatencyHistogram()
        /// Pool acquires with no warm VM (warm target 0).
        package var onDemandAcquire = LatencyHistogram()
        /// jemalloc `allocated` before and after the lease loop, with the pool idle and full both times; `nil`
        /// when it could not be read.
        package var allocatedBefore: UInt64?
        /// See ``allocatedBefore``.
        package var allocatedAfter: UInt64?
        /// Leases in the loop.
        package var leases = 0
        /// The pool's counters after the loop.
        package var counters = PoolStatistics.Counters()
    }

    package var installation: FirecrackerInstallation
    package var guestPath: String
    package var workRoot: String
    /// Where the VMs' own directories go (a tmpfs is best); `nil` means below ``workRoot``.
    package var vmRoot: String?
    package var workingSetMiB = 16
    package var logger = Logger(label: "snapbench.pool-bench")

    private var vms: String { vmRoot ?? workRoot }

    package init(installation: FirecrackerInstallation, guestPath: String, workRoot: String) {
        self.installation = installation
        self.guestPath = guestPath
        self.workRoot = workRoot
    }

    /// Runs the three measurements in turn.
    ///
    /// - Parameters:
    ///   - samples: clones per latency measurement.
    ///   - leases: leases in the memory loop.
    ///   - progress: a line per finished stage.
    package func run(samples: Int, leases: Int, progress: @Sendable (String) -> Void = { _ in }) async throws -> Result
    {
        var result = Result()
        let spec = VMSpec.builtInGuest(imagePath: guestPath, workingSetMiB: workingSetMiB)
        let store = workRoot + "/store"
        let snapshotStore = SnapshotStore(directory: store, installation: installation, spec: spec, logger: logger)
        let snapshot = try await snapshotStore.current()
        let raw = try await RestoreProbe(installation: installation, snapshot: snapshot, workRoot: vms + "/raw")
            .run(runs: samples)
        result.rawSpawn = raw.spawn
        result.rawResumeReadiness = try await rawWarmResumes(snapshot: snapshot, samples: samples)
        progress("raw: \(samples) clones from nothing, \(samples) paused clones resumed")

        try await withPool(spec: spec, store: store, configuration: PoolConfiguration(warmTarget: 4, maximumVMs: 8)) {
            pool in
            for _ in 0..<samples {
                try await waitUntilFull(pool, warm: 4)
                let lease = try await pool.acquire()
                if lease.path == .warm {
                    result.warmAcquire.record(lease.timings.acquire)
                    result.warmStages.record(
                        (lease.timings.stages.resume ?? .zero) + (lease.timings.stages.readiness ?? .zero)
                    )
                }
                await pool.release(lease)
            }
        }
        progress("warm: \(result.warmAcquire.count) acquires")

        try await withPool(spec: spec, store: store, configuration: PoolConfiguration(warmTarget: 0, maximumVMs: 2)) {
            pool in
            for _ in 0..<samples {
                let lease = try await pool.acquire()
                result.onDemandAcquire.record(lease.timings.acquire)
                await pool.release(lease)
            }
        }
        progress("on-demand: \(result.onDemandAcquire.count) acquires")

        let jemalloc = Jemalloc()
        try await withPool(spec: spec, store: store, configuration: PoolConfiguration(warmTarget: 4, maximumVMs: 8)) {
            pool in
            // Warm up every code path once, so the comparison sees steady state, not first-use caches.
            for _ in 0..<20 { await pool.release(try await pool.acquire()) }
            try await waitUntilFull(pool, warm: 4)
            result.allocatedBefore = jemalloc?.statistics()?.allocated
            for index in 0..<leases {
                await pool.release(try await pool.acquire(timeout: .seconds(10)))
                if (index + 1) % 250 == 0 { progress("memory loop: \(index + 1)/\(leases) leases") }
            }
            try await waitUntilFull(pool, warm: 4)
            result.allocatedAfter = jemalloc?.statistics()?.allocated
            result.leases = leases
            result.counters = await pool.statistics().counters
        }
        return result
    }

    /// The warm path without a pool: batches of 4 clones restored paused, then resumed one by one, as a pool
    /// would hand them out; wall time from the resume request to the readiness line.
    private func rawWarmResumes(snapshot: GoldenSnapshot, samples: Int) async throws -> LatencyHistogram {
        var histogram = LatencyHistogram()
        var index = 0
        while histogram.count < samples {
            var batch: [ClonedVM] = []
            do {
                for _ in 0..<min(4, samples - histogram.count) {
                    index += 1
                    batch.append(
                        try await ClonedVM.restore(
                            from: snapshot,
                            installation: installation,
                            workingDirectory: "\(vms)/raw-warm/\(index)",
                            id: "raw-warm-\(index)",
                            options: ClonedVM.RestoreOptions(
                                logger: logger
                            )
                        )
                    )
                }
                for clone in batch {
                    let started = ContinuousClock.now
                    let proof = try await clone.resume(deadline: .now + .seconds(2))
                    histogram.record(started.duration(to: proof.observedAt))
                    await clone.destroy()
                }
            } catch {
                for clone in batch { await clone.destroy() }
                throw error
            }
        }
        return histogram
    }

    private func withPool(
        spec: VMSpec,
        store: String,
        configuration: PoolConfiguration,
        _ body: (SnapshotPool<FirecrackerBackend, ContinuousClock>) async throws -> Void
    ) async throws {
        let backend = FirecrackerBackend(
            configuration: .init(
                installation: installation,
                spec: spec,
                storeDirectory: store,
                workDirectory: vms + "/work"
            ),
            logger: logger
        )
        let pool = SnapshotPool(backend: backend, configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            do {
                try await body(pool)
            } catch {
                await pool.shutdown()
                throw error
            }
            await pool.shutdown()
            try await group.waitForAll()
        }
    }

    private func waitUntilFull(_ pool: SnapshotPool<FirecrackerBackend, ContinuousClock>, warm: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let stats = await pool.statistics()
            if stats.warm >= warm, stats.restoring == 0 { return }
            guard ContinuousClock.now < deadline else {
                throw PoolError(.deadline, "the pool did not refill to \(warm) warm VMs within 10 s")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}
