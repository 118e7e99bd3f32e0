package import Firecracker
import Foundation
import Glibc
import HostSystem
package import Logging
package import MicroVM
import Synchronization

/// Restores real Firecracker clones of a golden snapshot, each in its own process and working directory.
///
/// All of a pool's VM directories live under one pool directory marked with the owner's pid, so a later
/// pool can reclaim what a killed one left: its VMMs (found by their working directory, never by name
/// alone) and its files.
///
/// ```swift
/// let backend = FirecrackerBackend(configuration: .init(
///     installation: installation,
///     spec: .builtInGuest(imagePath: guest),
///     storeDirectory: "/var/lib/snapbench/snapshots",
///     workDirectory: "/run/snapbench"
/// ))
/// ```
package struct FirecrackerBackend: VMBackend {
    /// Where and what the backend restores.
    package struct Configuration: Sendable {
        /// The Firecracker binary.
        package var installation: FirecrackerInstallation
        /// What the golden VM is.
        package var spec: VMSpec
        /// Where golden snapshots are kept (they outlive the pool).
        package var storeDirectory: String
        /// Where pool directories (one per pool, holding one directory per VM) are made.
        package var workDirectory: String
        /// Golden snapshots older than this are rebuilt.
        package var maximumSnapshotAge: Duration?
        /// How long `PUT /snapshot/load` may take.
        package var loadTimeout: Duration = .seconds(10)
        /// Network namespaces holding the snapshot's TAP devices, one per clone; `nil` when the spec has no
        /// network interfaces. The golden VM is built in the first slot.
        package var networkSlots: NetworkSlotPool?
        /// The memory cgroup every clone's VMM is placed in (before its load, so its memory is charged there).
        package var cgroup: MemoryCgroup?
        /// Where snapshot builds, verifications and quarantines are recorded.
        package var audit: AuditLog?
        /// Run every clone through the jailer (chroot, unprivileged uid/gid); its chroot base must be on the
        /// snapshot store's filesystem (snapshot files are hard-linked into each jail).
        package var jail: JailerOptions?
        /// How clones get their guest memory: Firecracker's file mapping or snapbench's page server, with
        /// prefetch and page-cache state.
        package var memory = GuestMemory()
        /// Firecracker processes kept started ahead of need for on-demand restores (``VMMStandby``); 0 starts
        /// each one's process on its request path. With network slots each holds a slot of its own, started in
        /// its namespace: give the slot pool this many more slots.
        package var standbyProcesses = 0
        /// How a clone's load comes before everything else on the CPUs (``LoadPriority``): by default raised to
        /// nice -10 while it loads where this process may (root, `CAP_SYS_NICE`), else every VMM lowered to
        /// nice 10 once loaded.
        package var loadPriority = LoadPriority.automatic
        /// A snapshot another tool made, restored as it is instead of one built from ``spec``
        /// (``GoldenSnapshot/external(state:memory:spec:installation:)``).
        package var externalSnapshot: GoldenSnapshot?
        /// Where each VM's teardown is verified and recorded.
        package var teardown: TeardownLedger?
        /// For tests of the gates only: time added to every restore inside its timed load, as the regression
        /// drill build adds (``ClonedVM/regressionDrill``).
        package var regressionDrill: Duration?
        /// For tests of the load priority only: called with each VMM once its load answered, before its
        /// priority goes back.
        package var loadAnswered: (@Sendable (VMMProcess) -> Void)?
        /// For tests of the leak check only: VMs whose teardown skips removing their directory.
        package var skipsCleanup: (@Sendable (String) -> Bool)?

        package init(installation: FirecrackerInstallation, spec: VMSpec, storeDirectory: String, workDirectory: String)
        {
            self.installation = installation
            self.spec = spec
            self.storeDirectory = storeDirectory
            self.workDirectory = workDirectory
        }
    }

    /// The first part of a pool directory's name, `pool-<pid>-<random>`: its owner tag's kind. A directory of
    /// this kind in the work directory whose owner has ended is removed, with the VMMs working in it, by the
    /// next backend's ``reclaimOrphans()``.
    package static let poolDirectoryKind = "pool"

    /// Name of the marker file in a pool directory.
    package static let poolMarker = ".snapbench-pool"

    package var kind: BackendKind { .firecracker }
    /// The configuration.
    package let configuration: Configuration
    /// The golden snapshots.
    package let store: SnapshotStore
    /// This pool's directory (VM directories are made inside it).
    package let poolDirectory: String
    private let logger: Logger
    let memoryServing: GuestMemoryServing
    /// Processes started ahead for on-demand restores; `nil` with ``Configuration/standbyProcesses`` 0.
    package let standby: VMMStandby?
    /// The network slot each process of the standby started in.
    let standbySlots: StandbySlots
    /// ``Configuration/loadPriority`` as this process may apply it, resolved once.
    package let resolvedLoadPriority: LoadPriority

    package init(configuration: Configuration, logger: Logger = Logger(label: "snapbench.backend")) {
        self.configuration = configuration
        self.logger = logger
        self.store = SnapshotStore(
            directory: configuration.storeDirectory,
            installation: configuration.installation,
            spec: configuration.spec,
            maximumAge: configuration.maximumSnapshotAge,
            launcher: configuration.networkSlots?.slots.first?.launcher ?? [],
            audit: configuration.audit,
            external: configuration.externalSnapshot,
            logger: logger
        )
        self.poolDirectory =
            configuration.workDirectory + "/"
            + OwnerTag(kind: OrphanReclaimer.kind).name(String(UUID().uuidString.prefix(8)))
        self.memoryServing = GuestMemoryServing(memory: configuration.memory)
        self.resolvedLoadPriority = configuration.loadPriority.resolved
        let poolDirectory = self.poolDirectory
        let standbySlots = StandbySlots()
        self.standbySlots = standbySlots
        let slots = configuration.networkSlots
        self.standby =
            configuration.standbyProcesses > 0
            ? VMMStandby(
                target: configuration.standbyProcesses,
                logger: logger,
                discarded: { process in
                    if let slot = standbySlots.remove(process.pid), let slots { await Self.release(slot, to: slots) }
                },
                launch: { id in
                    // With network slots, a process started ahead starts in a slot of its own and holds it until a
                    // restore takes both.
                    let slot = try await slots?.acquire()
                    let placement = Self.placement(in: slot, jail: configuration.jail)
                    do {
                        let process = try await VMMProcess.launch(
                            ClonedVM.processConfiguration(
                                installation: configuration.installation,
                                workingDirectory: poolDirectory + "/" + id,
                                id: id,
                                launcher: placement.launcher,
                                jail: placement.jail
                            ),
                            logger: logger
                        )
                        if let slot { standbySlots.insert(slot, for: process.pid) }
                        return process
                    } catch {
                        if let slot, let slots { await Self.release(slot, to: slots) }
                        throw error
                    }
                }
            ) : nil
    }

    /// The pages the first clone faulted in during its lease, with `memory.prefetch` `recorded`, once it
    /// has ended; later clones prefetch them.
    package var recordedWorkingSet: PageSet? { memoryServing.recorded }

    package func prepare() async throws {
        do {
            try FileManager.default.createDirectory(atPath: poolDirectory, withIntermediateDirectories: true)
            try Data("pid=\(getpid())\n".utf8).write(to: URL(fileURLWithPath: poolDirectory + "/" + Self.poolMarker))
        } catch {
            throw FirecrackerError(.workspace, "cannot create the pool directory \(poolDirectory)", underlying: error)
        }
        _ = try await store.current()
        standby?.start()
    }

    /// The standby's process ids, for memory sampling: processes of the pool that hold no VM.
    package func standbyProcessIDs() -> [Int32] { standby?.processIDs ?? [] }

    /// Reclaims a killed predecessor's VMMs and pool directories, its network namespaces (`snb-<pid>-…`) and
    /// its empty memory cgroups (`snapbench-<pid>-…`): each names its owner's pid, and only dead owners' are
    /// touched.
    package func reclaimOrphans() async -> Int {
        var reclaimed = await OrphanReclaimer(
            workDirectory: configuration.workDirectory,
            logger: logger,
            jailBase: configuration.jail?.chrootBase
        )
        .reclaim()
        if configuration.networkSlots != nil {
            reclaimed += (try? await NetworkSlotPool.reclaimOrphans(logger: logger))?.count ?? 0
        }
        if configuration.cgroup != nil || configuration.jail?.cgroup != nil {
            reclaimed += await MemoryCgroup.reclaimOrphans(logger: logger).count
        }
        if reclaimed > 0 {
            configuration.audit?.record(.orphanReclaimed, ["count": String(reclaimed)])
        }
        return reclaimed
    }

    package func restore(id: String) async throws -> FirecrackerVM {
        standby?.restoreBegan()
        defer { standby?.restoreEnded() }
        let snapshot = try await store.current()
        // On-demand restores only: a warm refill is off every request's path, and would only empty the standby.
        let process = id.hasPrefix("warm-") ? nil : await standby?.take()
        // A process started ahead brings the slot it started in.
        var slot = process.flatMap { standbySlots.remove($0.pid) }
        if slot == nil { slot = try await configuration.networkSlots?.acquire() }
        do {
            return try await restore(id: id, snapshot: snapshot, slot: slot, process: process)
        } catch let error as FirecrackerError where process != nil && error.code == .processExited {
            // A standby process can die between its check and its load; that costs this request a process start,
            // not its VM. Its slot went back with it.
            standby?.noteDiedAtLoad()
            let fresh = try await configuration.networkSlots?.acquire()
            return try await restore(id: id, snapshot: snapshot, slot: fresh, process: nil)
        }
    }

    private func restore(
        id: String,
        snapshot: GoldenSnapshot,
        slot: NetworkSlot?,
        process: VMMProcess?
    ) async throws -> FirecrackerVM {
        let cgroup = configuration.cgroup
        let priority = resolvedLoadPriority
        do {
            let memory: ClonedVM.MemorySource
            do {
                memory = try memoryServing.source(for: snapshot)
            } catch {
                await process?.destroy()
                throw error
            }
            let placement = Self.placement(in: slot, jail: configuration.jail)
            let clone = try await ClonedVM.restore(
                from: snapshot,
                installation: configuration.installation,
                workingDirectory: poolDirectory + "/" + id,
                id: id,
                options: ClonedVM.RestoreOptions(
                    launcher: placement.launcher,
                    jail: placement.jail,
                    loadTimeout: configuration.loadTimeout,
                    memory: memory,
                    hooks: ClonedVM.Hooks(
                        beforeLoad: { [priority] vmm in
                            try cgroup?.add(pid: vmm.pid)
                            if let niceness = priority.beforeLoad {
                                ProcessPriority.set(niceness, allThreadsOf: vmm.pid)
                            }
                            if let slice = priority.sliceWhileLoading {
                                ThreadSlice.request(slice, allThreadsOf: vmm.pid)
                            }
                        },
                        afterLoad: { [priority, observe = configuration.loadAnswered] vmm in
                            observe?(vmm)
                            // Every thread, the vCPU thread the load started among them (it inherited the load's).
                            if let niceness = priority.afterLoad {
                                ProcessPriority.set(niceness, allThreadsOf: vmm.pid)
                            }
                            if priority.sliceWhileLoading != nil { ThreadSlice.request(nil, allThreadsOf: vmm.pid) }
                        }
                    ).drilled(configuration.regressionDrill),
                    process: process,
                    logger: logger
                )
            )
            if id.hasPrefix("warm-") {
                // Off the caller's path (a background refill), so Firecracker's own load metric costs no one a
                // request on the hot path; on-demand restores skip it.
                _ = try? await clone.collectFirecrackerLoad()
            }
            return FirecrackerVM(
                id: id,
                clone: clone,
                slot: slot,
                slots: configuration.networkSlots,
                ledger: configuration.teardown,
                skipsCleanup: configuration.skipsCleanup?(id) ?? false,
                memoryServing: memoryServing
            )
        } catch {
            if let slot, let slots = configuration.networkSlots { await Self.release(slot, to: slots) }
            if isSnapshotFailure(error) {
                // Here, where the failed snapshot is known: restores that started before a rebuild must not
                // quarantine the rebuilt one when they fail later.
                await store.quarantine(reason: "\(error)", directory: snapshot.directory)
            }
            throw error
        }
    }

    /// How a VMM starts in `slot`: under `ip netns exec`, or, jailed, through the jailer's own `--netns` (`ip netns
    /// exec` mounts a sysfs of the namespace over `/sys`, hiding the cgroup hierarchies the jailer needs).
    static func placement(in slot: NetworkSlot?, jail: JailerOptions?) -> (launcher: [String], jail: JailerOptions?) {
        guard var jail else { return (slot?.launcher ?? [], nil) }
        jail.networkNamespace = slot.map { NetworkSlotPool.namespacePath($0.namespace) }
        return ([], jail)
    }

    /// Returns a slot even from a cancelled task (a refill stopped by shutdown): releasing runs `ip`, which a
    /// cancelled task would not run, and the slot would be retired.
    static func release(_ slot: NetworkSlot, to slots: NetworkSlotPool) async {
        await Task { try? await slots.release(slot) }.value
    }

    package func isSnapshotFailure(_ error: any Error) -> Bool {
        guard let error = error as? FirecrackerError else { return false }
        return error.code == .snapshotInvalid || error.code == .snapshotMissing
    }

    /// Nothing left to do: ``restore(id:)`` quarantined the snapshot that failed when it failed.
    package func snapshotFailed(_ error: any Error) async {}

    /// The agent's failures, typed: an acquire whose VMs' agents never answered ends as `agent_timeout`, not as
    /// a bare deadline.
    package func readinessOutcome(of error: any Error) -> PoolError.Code? {
        switch (error as? FirecrackerError)?.code {
        case .agentTimeout?: .agentTimeout
        case .agentRefused?: .agentRefused
        case .agentReset?: .agentReset
        case .agentMismatch?: .agentMismatch
        case .agentProtocol?: .agentProtocol
        default: nil
        }
    }

    /// Destroys the standby's processes, then removes the pool directory. Anything in it besides the marker is
    /// a VM's leftover, recorded in the teardown ledger before it goes: a leak check that ran after this removal
    /// would see nothing.
    package func shutdown() async {
        await standby?.shutdown()
        let leftovers =
            (try? FileManager.default.contentsOfDirectory(atPath: poolDirectory))?
            .filter { $0 != Self.poolMarker }.sorted() ?? []
        if !leftovers.isEmpty {
            configuration.teardown?.record(
                vm: "pool",
                problems: ["the pool directory still held \(leftovers.count) entries: \(leftovers.prefix(5))"]
            )
        }
        try? FileManager.default.removeItem(atPath: poolDirectory)
    }
}

/// A real clone handed out by ``FirecrackerBackend``.
package final class FirecrackerVM: BackendVM {
    /// The clone.
    package let clone: ClonedVM
    /// The network slot it runs in, if any.
    package let slot: NetworkSlot?
    private let slots: NetworkSlotPool?
    private let ledger: TeardownLedger?
    private let skipsCleanup: Bool
    private let memoryServing: GuestMemoryServing?
    private let destroyed = SendableBox(false)
    private let resumed = SendableBox(false)
    /// The id the pool restored it under (its process may have been started under a standby's id).
    package let id: String

    init(
        id: String,
        clone: ClonedVM,
        slot: NetworkSlot?,
        slots: NetworkSlotPool?,
        ledger: TeardownLedger?,
        skipsCleanup: Bool,
        memoryServing: GuestMemoryServing? = nil
    ) {
        self.id = id
        self.clone = clone
        self.slot = slot
        self.slots = slots
        self.ledger = ledger
        self.skipsCleanup = skipsCleanup
        self.memoryServing = memoryServing
    }

    package var pid: Int32? { clone.vmm.pid }
    package var timings: StageTimings { clone.timings }
    package var isAlive: Bool { clone.vmm.exit == nil }
    package var goldenGeneration: GenerationID? { clone.snapshot.manifest.goldenGeneration }

    package func resume(timeout: Duration) async throws -> ReadinessProof {
        resumed.update { $0 = true }
        return try await clone.resume(deadline: .now + timeout)
    }

    package func waitForWork(timeout: Duration) async throws -> WorkReport? {
        try await clone.waitForWork(deadline: .now + timeout)
    }

    package func checkDevices() async -> [String]? {
        let spec = clone.snapshot.manifest.spec
        guard DeviceInspection.applies(to: spec) else { return nil }
        return await DeviceInspection(spec: spec, vmm: clone.vmm, slot: slot).problems()
    }

    package func collectTimings() async -> StageTimings {
        // Refilled VMs collected it when they were restored; on-demand ones collect it now, at release.
        if clone.timings.firecrackerLoad == nil, isAlive {
            _ = try? await clone.collectFirecrackerLoad()
        }
        return clone.timings
    }

    package func waitForExit() async -> String {
        "\(await clone.vmm.waitForExit())"
    }

    /// Stops the VMM, removes its directory (or jail), returns its network slot, then checks that each is
    /// really gone and records what was not in the teardown ledger.
    package func destroy() async {
        var first = false
        destroyed.update { done in
            first = !done
            done = true
        }
        guard first else { return }
        // With the File backend the working set is what the VMM has mapped, readable only while it runs.
        if resumed.value { memoryServing?.recordMappedPages(of: clone) }
        await clone.destroy(removingWorkspace: !skipsCleanup)
        // Only a clone that ran (was leased) recorded a working set; a warm one destroyed unused did not.
        if resumed.value { await memoryServing?.harvest(clone) }
        var problems: [String] = []
        if let slot, let slots {
            do {
                try await Task { try await slots.release(slot) }.value
            } catch {
                problems.append("network slot \(slot.namespace) not returned: \(error)")
            }
        }
        if clone.vmm.exit == nil { problems.append("VMM \(clone.vmm.pid) still running after its teardown") }
        let directory = clone.vmm.ownedDirectory
        if FileManager.default.fileExists(atPath: directory) { problems.append("\(directory) left behind") }
        ledger?.record(vm: id, problems: problems)
    }
}

/// The network slot each standby process started in, by pid: handed to the restore that takes the process, or
/// returned when the standby discards it.
final class StandbySlots: Sendable {
    private let slots = Mutex<[Int32: NetworkSlot]>([:])

    func insert(_ slot: NetworkSlot, for pid: Int32) { slots.withLock { $0[pid] = slot } }

    func remove(_ pid: Int32) -> NetworkSlot? { slots.withLock { $0.removeValue(forKey: pid) } }
}
