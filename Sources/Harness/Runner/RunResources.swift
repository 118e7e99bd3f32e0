import Firecracker
import Foundation
import Glibc
import HostSystem
import Logging
import Reporting
import Scenarios
import SnapshotPool

/// Everything one run holds on one backend — the backend, its memory cgroup, its own filesystem, the audit log,
/// what faults may act on, the ledger of VM teardowns — made before the load and released after the drain.
struct RunResources<Backend: VMBackend>: Sendable {
    let backend: Backend
    let installation: FirecrackerInstallation?
    let cgroup: MemoryCgroup?
    let poolDirectory: String?
    let filesystem: SizeLimitedFilesystem?
    let audit: RunAuditLog
    let teardown: TeardownLedger
    /// The clones' network namespaces, jails and jail cgroups, when the scenario has them.
    var isolation = RunIsolation()
    /// Snapshot quarantines so far.
    let quarantines: @Sendable () async -> Int
    /// What faults act on, given the pool.
    let surface: @Sendable (SnapshotPool<Backend, ContinuousClock>) -> FaultSurface
    /// Measures the CPU of one warm and one on-demand spawn alone (before the pool starts); `nil` where spawns
    /// use no CPU of this host (the simulated backend).
    var spawnCosts: (@Sendable () async throws -> SpawnCostProbe.Costs)? = nil
    /// Measures one spawn alone between a run's bursts (its caches warm from the burst): the floor then covers
    /// the same minutes as the bursts it judges; `nil` where spawns use no CPU of this host.
    var spawnCostBetweenBursts: (@Sendable (_ index: Int) async throws -> SpawnCostProbe.Costs)? = nil
    /// Measures the host's own floor for a burst's restores (that many loads at once, nothing else running);
    /// `nil` where restores use no CPU of this host.
    var restoreFloor: (@Sendable (_ concurrency: Int) async throws -> RestoreFloor)? = nil
    /// Measures the floor of the guest's first work (the re-touch with every page present); `nil` where no guest
    /// of this host runs.
    var workFloor: (@Sendable (_ touchMiB: Int) async throws -> WorkFloor)? = nil

    /// Unmounts the filesystem, removes the cgroup and closes the audit log; returns what could not be released.
    func release() async -> [String] {
        var problems: [String] = await isolation.release()
        filesystem?.unmount()
        if let cgroup {
            do throws(MemoryCgroupError) {
                try cgroup.destroy(killingProcesses: true)
            } catch {
                problems.append("the run's memory cgroup could not be removed: \(error)")
            }
        }
        audit.close()
        return problems
    }
}

extension RunResources where Backend == FirecrackerBackend {
    /// Resources for real Firecracker clones of the scenario's VM.
    static func firecracker(
        scenario: Scenario,
        options: ScenarioRunner.Options,
        installation: FirecrackerInstallation,
        spec: VMSpec,
        audit: RunAuditLog
    ) async throws -> RunResources {
        var filesystem: SizeLimitedFilesystem?
        var cgroup: MemoryCgroup?
        let storeDirectory = options.snapshotDirectory ?? options.workDirectory + "/snapshots"
        // A snapshot another tool made has the devices its state names; the scenario's are for VMs it builds.
        let external: GoldenSnapshot?
        if case .snapshot(let files) = scenario.vm {
            external = try GoldenSnapshot.external(
                state: files.state,
                memory: files.memory,
                spec: spec,
                installation: installation
            )
        } else {
            external = nil
        }
        let spec = external == nil ? scenario.devices.applied(to: spec) : spec
        let isolation = try await RunIsolation.make(
            for: scenario,
            spec: spec,
            installation: installation,
            storeDirectory: storeDirectory
        )
        do {
            if let size = scenario.pool.workFilesystemMiB {
                _ = await SizeLimitedFilesystem.reclaimOrphans(in: options.workDirectory, logger: options.logger)
                filesystem = try SizeLimitedFilesystem.mount(in: options.workDirectory, mebibytes: size)
            }
            if let limit = scenario.pool.cgroupLimitMiB {
                let created = try MemoryCgroup.create()
                cgroup = created
                try created.setLimit(bytes: UInt64(limit) * 1_048_576)
            }
        } catch {
            filesystem?.unmount()
            try? cgroup?.destroy(killingProcesses: true)
            _ = await isolation.release()
            throw error
        }
        let teardown = TeardownLedger()
        var configuration = FirecrackerBackend.Configuration(
            installation: installation,
            spec: spec,
            storeDirectory: storeDirectory,
            workDirectory: (filesystem?.path ?? options.vmDirectory ?? options.workDirectory) + "/vms"
        )
        configuration.networkSlots = isolation.networkSlots
        configuration.jail = isolation.jail
        configuration.audit = audit.log
        configuration.cgroup = cgroup
        configuration.teardown = teardown
        configuration.skipsCleanup = options.skipsCleanup
        configuration.regressionDrill = options.regressionDrill
        configuration.externalSnapshot = external
        configuration.memory = scenario.pool.memory
        configuration.standbyProcesses = scenario.pool.standbyProcesses
        let backend = FirecrackerBackend(configuration: configuration, logger: options.logger)
        let poolDirectory = backend.poolDirectory
        let store = backend.store
        let fixedCgroup = cgroup
        let fixedFilesystem = filesystem
        let costDirectory =
            configuration.workDirectory + "/" + OwnerTag(kind: FirecrackerBackend.poolDirectoryKind).name("spawn-cost")
        let floorDirectory =
            configuration.workDirectory + "/"
            + OwnerTag(kind: FirecrackerBackend.poolDirectoryKind).name("restore-floor")
        let workFloorDirectory =
            configuration.workDirectory + "/" + OwnerTag(kind: FirecrackerBackend.poolDirectoryKind).name("work-floor")
        let floorSpec = spec
        let isolated = isolation.networkSlots != nil || isolation.jail != nil
        let fileBacked = scenario.pool.memory.backend == .file && spec.blockDevices == nil
        let logger = options.logger
        let standbyProcesses = scenario.pool.standbyProcesses > 0
        let spawnCostProbe: @Sendable () async throws -> SpawnCostProbe = {
            if isolated {
                throw RunError(
                    .invalidRequest,
                    "the spawn-cost probe restores unjailed VMs without network namespaces, so a burst of "
                        + "clones with network interfaces or a jail has no floor"
                )
            }
            return SpawnCostProbe(
                installation: installation,
                snapshot: try await store.current(),
                workDirectory: costDirectory,
                processStartedAhead: standbyProcesses,
                logger: logger
            )
        }
        var resources = RunResources(
            backend: backend,
            installation: installation,
            cgroup: cgroup,
            poolDirectory: poolDirectory,
            filesystem: filesystem,
            audit: audit,
            teardown: teardown,
            quarantines: { await store.history.filter { if case .quarantined = $0 { true } else { false } }.count },
            surface: { pool in
                .firecracker(
                    pool: pool,
                    poolDirectory: poolDirectory,
                    store: store,
                    cgroup: fixedCgroup,
                    filesystem: fixedFilesystem
                )
            },
            spawnCosts: { try await spawnCostProbe().measure(samples: RunResources.spawnCostSamples) },
            spawnCostBetweenBursts: { index in try await spawnCostProbe().measureOne(index) },
            restoreFloor: { concurrency in
                guard !isolated, fileBacked else {
                    throw RunError(
                        .invalidRequest,
                        "the restore floor loads unjailed, File-backed clones without drives or network namespaces, "
                            + "so a burst of these clones has no restore floor"
                    )
                }
                return try await RestoreFloorProbe(
                    installation: installation,
                    snapshot: try await store.current(),
                    workDirectory: floorDirectory,
                    logger: logger
                )
                .measure(concurrency: concurrency, rounds: RunResources.restoreFloorRounds)
            },
            workFloor: { touchMiB in
                try await WorkFloorProbe(
                    installation: installation,
                    spec: floorSpec,
                    touchMiB: touchMiB,
                    workDirectory: workFloorDirectory,
                    logger: logger
                )
                .measure(samples: RunResources.workFloorSamples)
            }
        )
        resources.isolation = isolation
        return resources
    }
}

extension RunResources {
    /// Spawns measured alone for each cost of a burst's floor.
    static var spawnCostSamples: Int { 5 }
    /// Rounds of a burst's restore floor: 16 rounds of 12 loads give 192 samples, as many as the pool's own
    /// restores give its p95.
    static var restoreFloorRounds: Int { 16 }
    /// Clones of the work floor.
    static var workFloorSamples: Int { 5 }
}

extension RunResources where Backend == SimulatedBackend<ContinuousClock> {
    /// Resources for the simulated backend: latencies drawn from its distributions, no processes.
    static func simulated(scenario: Scenario, audit: RunAuditLog) -> RunResources {
        var latencies = SimulatedBackend<ContinuousClock>.Latencies()
        if case .builtInGuest(_, _, _, let touch?) = scenario.vm {
            // The File backend's cost per page touched after a restore, measured here (DESIGN.md).
            let median = Duration.nanoseconds(touch.mebibytes * 256 * 12_600)
            latencies.work = .logNormal(median: median, p95: median * 3 / 2)
        }
        let backend = SimulatedBackend(clock: ContinuousClock(), seed: scenario.seed, latencies: latencies)
        return RunResources(
            backend: backend,
            installation: nil,
            cgroup: nil,
            poolDirectory: nil,
            filesystem: nil,
            audit: audit,
            teardown: TeardownLedger(),
            quarantines: { backend.faults.snapshotFailuresReported },
            surface: { pool in .simulated(pool: pool) }
        )
    }
}

/// The run's audit log: at the path the caller chose, or a temporary file removed once the run is judged.
struct RunAuditLog: Sendable {
    let log: AuditLog
    let path: String
    let temporary: Bool

    init(path: String?, workDirectory: String) throws {
        temporary = path == nil
        self.path = path ?? "\(workDirectory)/audit-\(getpid())-\(UUID().uuidString.prefix(8)).jsonl"
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: self.path).deletingLastPathComponent().path,
            withIntermediateDirectories: true
        )
        try? FileManager.default.removeItem(atPath: self.path)
        log = try AuditLog(path: self.path)
    }

    func close() {
        log.close()
    }

    /// Removes a temporary log; a chosen one stays.
    func discard() {
        if temporary { try? FileManager.default.removeItem(atPath: path) }
    }
}
