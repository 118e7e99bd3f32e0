import Foundation
import Glibc
import HostSystem
package import Logging
package import MicroVM
import SystemPackage

/// A VM restored from a golden snapshot in a Firecracker process of its own, in its own working directory.
///
/// It is restored paused; ``resume(deadline:)`` runs it and waits for the guest's readiness line, which
/// carries the VM generation id Firecracker wrote on this restore, so the proof names *this* clone.
/// Every clone must end in ``destroy()``.
///
/// ```swift
/// let clone = try await ClonedVM.restore(from: snapshot, installation: installation, workingDirectory: dir, id: "c1")
/// let proof = try await clone.resume(deadline: .now + .seconds(1))
/// print(proof.token, clone.timings.total)
/// await clone.destroy()
/// ```
///
/// A snapshot with a network interface names its host TAP device; restore each clone in a network namespace
/// of its own that holds a TAP of that name (`launcher: ["/usr/sbin/ip", "netns", "exec", "snb-1234-0"]`), or
/// rename it with `networkOverrides`.
package final class ClonedVM: Sendable {
    /// The clone's Firecracker process.
    package let vmm: VMMProcess
    /// The snapshot it came from.
    package let snapshot: GoldenSnapshot
    /// The server of its guest memory's page faults, when restored with ``MemorySource/pageServer(_:)``.
    package let pageServer: PageFaultServer?
    private let stageTimings: SendableBox<StageTimings>
    /// The connection to the guest's agent opened after the resume, kept for the clone's life (readiness, then
    /// work), as an orchestrator keeps it for a sandbox's session.
    private let agentConnection = SendableBox<AgentConnection?>(nil)

    private init(vmm: VMMProcess, snapshot: GoldenSnapshot, timings: StageTimings, pageServer: PageFaultServer?) {
        self.vmm = vmm
        self.snapshot = snapshot
        self.pageServer = pageServer
        self.stageTimings = SendableBox(timings)
    }

    /// Where a clone's guest memory comes from.
    package enum MemorySource: Sendable {
        /// Firecracker maps the snapshot's memory file privately: each page faults in from the page cache.
        case file
        /// snapbench serves each page fault through Firecracker's UFFD backend (``PageFaultServer``).
        case pageServer(PageServing)
    }

    /// How a clone's page server serves it.
    package struct PageServing: Sendable {
        /// The snapshot's memory file, mapped once for every clone.
        package var memory: SnapshotMemoryMap
        /// Pages copied in before any fault (a recorded working set, or ``PageSet/all(pageCount:)``).
        package var prefetch: PageSet?
        /// Keep the set of pages this clone's faults bring in.
        package var record: Bool
        /// Pages of the aligned block a 4 KiB fault fills in (see ``GuestMemory/faultAroundPages``).
        package var faultAroundPages: Int

        package init(
            memory: SnapshotMemoryMap,
            prefetch: PageSet? = nil,
            record: Bool = false,
            faultAroundPages: Int = GuestMemory.defaultFaultAroundPages
        ) {
            self.memory = memory
            self.prefetch = prefetch
            self.record = record
            self.faultAroundPages = faultAroundPages
        }
    }

    /// The stages measured so far.
    package var timings: StageTimings { stageTimings.value }

    /// What a deliberately slower build adds to every restore, inside its timed load: 5 ms in a build made with
    /// `-Xswiftc -DSNAPBENCH_REGRESSION_DRILL` (the regression drill `compare`'s error rates are measured
    /// against), else none.
    package static let regressionDrill: Duration? = {
        #if SNAPBENCH_REGRESSION_DRILL
        .milliseconds(5)
        #else
        nil
        #endif
    }()

    /// Hooks for tests and fault injection, called at fixed points of a restore.
    package struct Hooks: Sendable {
        /// Called after the process is up and before `PUT /snapshot/load` is sent.
        package var beforeLoad: @Sendable (VMMProcess) async throws -> Void
        /// Called once `PUT /snapshot/load` has answered or failed.
        package var afterLoad: @Sendable (VMMProcess) -> Void
        /// For tests of the gates: the regression drill without a drill build (``ClonedVM/regressionDrill``).
        package var regressionDrill: Duration?

        package init(
            beforeLoad: @escaping @Sendable (VMMProcess) async throws -> Void = { _ in },
            afterLoad: @escaping @Sendable (VMMProcess) -> Void = { _ in }
        ) {
            self.beforeLoad = beforeLoad
            self.afterLoad = afterLoad
        }

        /// These hooks with a regression drill of `drill` (none when `nil`).
        package func drilled(_ drill: Duration?) -> Hooks {
            var hooks = self
            hooks.regressionDrill = drill
            return hooks
        }
    }

    /// How a clone is restored beyond its snapshot and place: where its process runs, how long the load may
    /// take, where its memory comes from, hooks, a process started ahead.
    ///
    /// ```swift
    /// let options = ClonedVM.RestoreOptions(launcher: slot.launcher, loadTimeout: .seconds(5))
    /// let clone = try await ClonedVM.restore(from: snapshot, installation: fc, workingDirectory: dir, id: "c1",
    ///                                        options: options)
    /// ```
    package struct RestoreOptions: Sendable {
        /// TAP devices to use instead of the snapshot's.
        package var networkOverrides: [NetworkOverride]?
        /// A command prefix Firecracker runs under (``VMMConfiguration/launcher``), e.g.
        /// `["/usr/sbin/ip", "netns", "exec", "snb-1234-0"]` to restore into a network namespace that holds the
        /// snapshot's TAP name.
        package var launcher: [String]
        /// Run through the jailer.
        package var jail: JailerOptions?
        /// How long `PUT /snapshot/load` may take.
        package var loadTimeout: Duration
        /// Where guest memory comes from: the file (Firecracker maps it) or a page server of snapbench's.
        package var memory: MemorySource
        /// Test and fault-injection hooks.
        package var hooks: Hooks
        /// A Firecracker process started ahead of need with ``processConfiguration(installation:
        /// workingDirectory:id:launcher:jail:)`` and no VM loaded yet; the restore takes it over (and destroys it
        /// on failure) instead of starting one, so its start is not on this restore's path. Its start is still
        /// recorded as `processStart`, with ``StageTimings/processStartedAhead`` set.
        package var process: VMMProcess?
        /// Where to log.
        package var logger: Logger

        package init(
            networkOverrides: [NetworkOverride]? = nil,
            launcher: [String] = [],
            jail: JailerOptions? = nil,
            loadTimeout: Duration = .seconds(10),
            memory: MemorySource = .file,
            hooks: Hooks = Hooks(),
            process: VMMProcess? = nil,
            logger: Logger = Logger(label: "snapbench.firecracker")
        ) {
            self.networkOverrides = networkOverrides
            self.launcher = launcher
            self.jail = jail
            self.loadTimeout = loadTimeout
            self.memory = memory
            self.hooks = hooks
            self.process = process
            self.logger = logger
        }
    }

    /// Starts a Firecracker process in `workingDirectory` and loads the snapshot into it, paused.
    ///
    /// - Parameters:
    ///   - snapshot: the golden snapshot (its files are checked to exist first).
    ///   - installation: the Firecracker binary.
    ///   - workingDirectory: a directory of this clone's own (created, and removed by `destroy()`).
    ///   - id: the VM's `--id`.
    ///   - options: the rest (``RestoreOptions``).
    /// - Returns: the paused clone, with `processStart` and `load` timed.
    /// - Throws: `FirecrackerError`: `.snapshotMissing` (a file is gone), `.snapshotInvalid` (Firecracker
    ///   refused the snapshot), `.processExited` (the VMM died during the load), `.timeout`, or a launch
    ///   error. Nothing is left running or on disk.
    package static func restore(
        from snapshot: GoldenSnapshot,
        installation: FirecrackerInstallation,
        workingDirectory: String,
        id: String,
        options: RestoreOptions = RestoreOptions()
    ) async throws -> ClonedVM {
        do {
            try checkRestorable(snapshot, options: options)
        } catch {
            await options.process?.destroy()
            throw error
        }
        let launched = ContinuousClock.now
        let vmm: VMMProcess
        if let process = options.process {
            vmm = process
        } else {
            let configuration = processConfiguration(
                installation: installation,
                workingDirectory: workingDirectory,
                id: id,
                launcher: options.launcher,
                jail: options.jail
            )
            vmm = try await VMMProcess.launch(configuration, logger: options.logger)
        }
        var server: PageFaultServer?
        do {
            let settingUp = ContinuousClock.now
            try await options.hooks.beforeLoad(vmm)
            let (statePath, memoryPath) = try provideFiles(of: snapshot, to: vmm, jail: options.jail)
            var backend = MemoryBackend(backendType: .file, backendPath: memoryPath)
            if case .pageServer(let serving) = options.memory {
                // Listening before the load: the load itself faults (Firecracker writes the VMGenID page).
                server = try pageServer(serving, for: vmm)
                backend = MemoryBackend(backendType: .uffd, backendPath: vmm.workingDirectory + "/uffd.sock")
            }
            let parameters = SnapshotLoadParameters(
                snapshotPath: statePath,
                memBackend: backend,
                resumeVm: false,
                networkOverrides: options.networkOverrides
            )
            let started = ContinuousClock.now
            try await timedLoad(parameters, into: vmm, options: options)
            let load = started.duration(to: .now)
            options.hooks.afterLoad(vmm)
            // A prefetch completes before the clone counts as restored: the pages are there when it runs.
            await server?.prefetched()
            return ClonedVM(
                vmm: vmm,
                snapshot: snapshot,
                timings: StageTimings(
                    processStart: vmm.startupDuration,
                    load: load,
                    setUp: settingUp.duration(to: started),
                    startedAt: launched,
                    processStartedAhead: options.process != nil
                ),
                pageServer: server
            )
        } catch {
            await vmm.destroy()
            await server?.stop()
            throw error
        }
    }

    /// Refuses what cannot be restored before any process starts: missing files, a memory source the
    /// snapshot or the jail does not allow.
    private static func checkRestorable(_ snapshot: GoldenSnapshot, options: RestoreOptions) throws {
        try snapshot.checkFilesPresent()
        if case .pageServer = options.memory, options.jail != nil {
            throw FirecrackerError(.workspace, "a jailed clone cannot be served by snapbench's page server yet")
        }
        if case .file = options.memory, snapshot.manifest.spec.hugePages == true {
            throw FirecrackerError(
                .workspace,
                "a snapshot of huge-page guest memory restores only through userfaultfd (vm.memory_backend: uffd)"
            )
        }
    }

    /// Gives the clone the files its load reads: the state and memory files (linked into a jail), its data
    /// drives, and drives the snapshot names by relative paths. Returns the state and memory paths as its VMM
    /// sees them.
    private static func provideFiles(
        of snapshot: GoldenSnapshot,
        to vmm: VMMProcess,
        jail: JailerOptions?
    ) throws -> (state: String, memory: String) {
        var paths = (state: snapshot.statePath, memory: snapshot.memoryPath)
        if let jail {
            paths = try linkIntoJail(snapshot, root: vmm.workingDirectory, jail: jail)
        }
        if let drives = snapshot.manifest.spec.blockDevices {
            try DriveImages.provide(drives, from: snapshot.directory, into: vmm.workingDirectory, jail: jail)
        }
        // Drives a snapshot names by relative paths (one another tool made): given to this clone as its own,
        // from beside the state file, so no two clones write one file.
        try DriveImages.provide(
            snapshot.manifest.spec.drives.filter { !$0.pathOnHost.hasPrefix("/") },
            from: snapshot.directory,
            into: vmm.workingDirectory,
            jail: jail
        )
        return paths
    }

    /// A page server for `vmm`'s guest memory, on `uffd.sock` in its directory.
    private static func pageServer(_ serving: PageServing, for vmm: VMMProcess) throws -> PageFaultServer {
        try PageFaultServer(
            socketPath: vmm.workingDirectory + "/uffd.sock",
            memory: serving.memory,
            prefetch: serving.prefetch,
            record: serving.record,
            faultAroundPages: serving.faultAroundPages
        ) { [vmm] _ in
            // A vCPU waits forever for a page that cannot be served: the VM must stop.
            try? vmm.send(signal: SIGKILL)
        }
    }

    /// The load as `restore_ms` times it, with the regression drill's delay inside it when one is set; the
    /// after-load hook runs on failure too.
    private static func timedLoad(
        _ parameters: SnapshotLoadParameters,
        into vmm: VMMProcess,
        options: RestoreOptions
    ) async throws {
        do {
            if let drill = options.hooks.regressionDrill ?? Self.regressionDrill {
                // A deliberate regression inside the timed load, for checking that the gates and `compare`
                // call a real one a regression.
                try await Task.sleep(for: drill)
            }
            try await loadSnapshot(parameters, into: vmm, timeout: options.loadTimeout)
        } catch {
            options.hooks.afterLoad(vmm)
            throw error
        }
    }

    /// How a clone's Firecracker process is started: plain in `workingDirectory`, or through the jailer.
    ///
    /// ```swift
    /// let configuration = ClonedVM.processConfiguration(installation: fc, workingDirectory: dir, id: "standby-1")
    /// let process = try await VMMProcess.launch(configuration)  // later: ClonedVM.restore(…, options: .init(process: process))
    /// ```
    package static func processConfiguration(
        installation: FirecrackerInstallation,
        workingDirectory: String,
        id: String,
        launcher: [String] = [],
        jail: JailerOptions? = nil
    ) -> VMMConfiguration {
        var configuration =
            jail.map { VMMConfiguration.jailed(firecracker: installation.firecrackerPath, id: id, jail: $0) }
            ?? VMMConfiguration(binary: installation.firecrackerPath, workingDirectory: workingDirectory, id: id)
        configuration.launcher = launcher
        return configuration
    }

    /// Resumes the clone and waits for the guest's readiness line.
    ///
    /// - Parameter deadline: when to give up waiting for the line.
    /// - Returns: the guest's token and when it was seen; `resume` and `readiness` are added to ``timings``.
    /// - Throws: `FirecrackerError`: `.guestNotReady` at the deadline, `.processExited` when the VMM dies,
    ///   an API error when the resume is refused.
    @discardableResult
    package func resume(deadline: ContinuousClock.Instant) async throws -> ReadinessProof {
        let started = ContinuousClock.now
        do {
            // The request shares the caller's deadline: a frozen VMM (SIGSTOP) never answers, and the pool
            // must move on to another VM rather than wait out the client's default timeout.
            try await vmm.api.setState(.resumed, timeout: max(.milliseconds(1), started.duration(to: deadline)))
        } catch let error as FirecrackerError where error.code == .connectionClosed || error.code == .timeout {
            throw await explain(error, during: "PATCH /vm (resume)")
        }
        let resumed = ContinuousClock.now
        if let agent = snapshot.manifest.spec.readiness.agent {
            let exchange = try await ask(agent, agent.request, expecting: agent.expect, deadline: deadline)
            stageTimings.update {
                $0.resume = started.duration(to: resumed)
                $0.readiness = resumed.duration(to: exchange.replied)
                $0.vsockConnect = exchange.started.duration(to: exchange.connected)
                $0.agentReply = exchange.agentReply
            }
            return ReadinessProof(token: exchange.reply, observedAt: exchange.replied)
        }
        let line = try await vmm.serial.waitForLine(
            startingWith: snapshot.manifest.spec.readiness.resumePrefix,
            deadline: deadline,
            abortIf: exitedError(vmm)
        )
        stageTimings.update {
            $0.resume = started.duration(to: resumed)
            $0.readiness = resumed.duration(to: line.observedAt)
        }
        return ReadinessProof(token: line.text, observedAt: line.observedAt)
    }

    /// The path of this clone's vsock device socket for `agent`, as the host reaches it.
    package func agentSocketPath(_ agent: AgentProbe) -> String {
        agent.socket.hasPrefix("/") ? agent.socket : vmm.workingDirectory + "/" + agent.socket
    }

    /// One request to the clone's agent; the reply must start with `expect`. The first opens the connection (after
    /// the resume: a restore reset every earlier one), later ones reuse it while it stays open.
    ///
    /// ```swift
    /// let exchange = try await clone.ask(.builtIn, "touch 16", expecting: "W", deadline: .now + .seconds(5))
    /// ```
    ///
    /// - Throws: ``FirecrackerError`` `.agentRefused`, `.agentReset`, `.agentTimeout`, `.agentProtocol` from the
    ///   channel, `.agentMismatch` for a reply that does not start with `expect`, and `.processExited` when the
    ///   VMM died meanwhile.
    package func ask(
        _ agent: AgentProbe,
        _ request: String,
        expecting expect: String,
        deadline: ContinuousClock.Instant
    ) async throws -> AgentChannel.Exchange {
        let exchange: AgentChannel.Exchange
        do {
            if let open = agentConnection.value, open.isOpen {
                exchange = try await open.ask(request, deadline: deadline)
            } else {
                // The request rides with the connect: the agent finds it waiting when it accepts.
                let (connection, reply) = try await AgentChannel.open(
                    socketPath: agentSocketPath(agent),
                    port: agent.port,
                    asking: request,
                    deadline: deadline
                )
                var previous: AgentConnection?
                agentConnection.update { current in
                    previous = current
                    current = connection
                }
                previous?.close()
                exchange = reply
            }
        } catch let error as FirecrackerError {
            agentConnection.value?.close()
            if let exit = vmm.exit {
                throw FirecrackerError(
                    .processExited,
                    "the VMM \(exit) while the host asked its agent",
                    underlying: error
                )
            }
            throw error
        }
        guard exchange.reply.hasPrefix(expect) else {
            throw FirecrackerError(
                .agentMismatch,
                "the agent answered `\(exchange.reply.prefix(80))` to `\(request)`, not a reply starting with `\(expect)`"
            )
        }
        return exchange
    }

    /// Waits for the guest's report of its first work after the resume, when its spec has it do some
    /// (`ReadinessProbe.workPrefix`, the built-in guest with `touch=`); with readiness over the agent's channel,
    /// asks the agent for it (``AgentProbe/workRequest``) and reads its reply.
    ///
    /// ```swift
    /// let proof = try await clone.resume(deadline: .now + .seconds(1))
    /// let work = try await clone.waitForWork(deadline: .now + .seconds(5))  // e.g. W48213/0
    /// ```
    ///
    /// - Returns: the report, or `nil` when the guest does no such work.
    /// - Throws: `FirecrackerError(.guestNotReady)` at the deadline or for a line that is no report,
    ///   `.processExited` when the VMM dies.
    package func waitForWork(deadline: ContinuousClock.Instant) async throws -> WorkReport? {
        if let agent = snapshot.manifest.spec.readiness.agent {
            guard let request = agent.workRequest else { return nil }
            let exchange = try await ask(agent, request, expecting: agent.workExpect ?? "", deadline: deadline)
            guard let report = WorkReport(line: exchange.reply, observedAt: exchange.replied) else {
                throw FirecrackerError(.agentMismatch, "the agent's work report is malformed: \(exchange.reply)")
            }
            return report
        }
        guard let prefix = snapshot.manifest.spec.readiness.workPrefix,
            snapshot.manifest.spec.bootArgs.split(separator: " ").contains(where: {
                $0.hasPrefix("touch=") && $0 != "touch=0"
            })
        else { return nil }
        let line = try await vmm.serial.waitForLine(startingWith: prefix, deadline: deadline, abortIf: exitedError(vmm))
        guard let report = WorkReport(line: line.text, observedAt: line.observedAt) else {
            throw FirecrackerError(.guestNotReady, "the guest's work report is malformed: \(line.text)")
        }
        return report
    }

    /// Pauses the clone (`PATCH /vm {state: Paused}`).
    package func pause() async throws {
        try await vmm.api.setState(.paused)
    }

    /// Asks Firecracker to flush its metrics and records its own load latency in ``timings``.
    ///
    /// Call it after the latency-critical stages: the flush itself costs a request.
    /// - Returns: the metrics read back.
    @discardableResult
    package func collectFirecrackerMetrics() async throws -> FirecrackerMetrics? {
        try await vmm.api.perform(InstanceAction(.flushMetrics))
        let metrics = try FirecrackerMetrics.latest(inFile: vmm.metricsPath)
        if let micros = metrics?.loadSnapshotMicroseconds {
            stageTimings.update { $0.firecrackerLoad = .microseconds(micros) }
        }
        return metrics
    }

    /// Asks Firecracker to flush its metrics and records only its load latency in ``timings``, read from the
    /// file without decoding it (``FirecrackerMetrics/latestLoadSnapshotMicroseconds(inFile:)``): what the
    /// pool does at the release of every clone restored on demand, so it costs a burst as little as it can.
    ///
    /// - Returns: the latency recorded, in µs; `nil` when Firecracker wrote none.
    @discardableResult
    package func collectFirecrackerLoad() async throws -> UInt64? {
        try await vmm.api.perform(InstanceAction(.flushMetrics))
        let micros = FirecrackerMetrics.latestLoadSnapshotMicroseconds(inFile: vmm.metricsPath)
        if let micros { stageTimings.update { $0.firecrackerLoad = .microseconds(micros) } }
        return micros
    }

    /// Stops the VMM, reaps it and removes the working directory (unless told not to, for leak-check tests).
    package func destroy(removingWorkspace: Bool = true) async {
        await vmm.destroy(removingWorkspace: removingWorkspace)
        // After the VMM: closed first, the connection would set the guest and Firecracker to work on its shutdown.
        agentConnection.value?.close()
        await pageServer?.stop()
    }

    /// Hard-links the snapshot's files into a jail's root (a chrooted VMM sees nothing else) and lets the
    /// jail's group read them; returns the paths as the VMM sees them.
    private static func linkIntoJail(
        _ snapshot: GoldenSnapshot,
        root: String,
        jail: JailerOptions
    ) throws
        -> (state: String, memory: String)
    {
        for (source, name) in [(snapshot.statePath, "vm.state"), (snapshot.memoryPath, "vm.mem")] {
            try jail.link(source, into: root + "/" + name)
        }
        return ("/vm.state", "/vm.mem")
    }

    private static func loadSnapshot(
        _ parameters: SnapshotLoadParameters,
        into vmm: VMMProcess,
        timeout: Duration
    )
        async throws
    {
        do {
            try await vmm.api.loadSnapshot(parameters, timeout: timeout)
        } catch let error as FirecrackerError where error.code == .apiFault {
            throw FirecrackerError(
                .snapshotInvalid,
                "Firecracker refused the snapshot \(parameters.snapshotPath)",
                faultMessage: error.faultMessage,
                httpStatus: error.httpStatus
            )
        } catch let error as FirecrackerError where error.code == .connectionClosed {
            throw await Self.explain(error, vmm: vmm, during: "PUT /snapshot/load")
        }
    }

    private func explain(_ error: FirecrackerError, during request: String) async -> FirecrackerError {
        await Self.explain(error, vmm: vmm, during: request)
    }

    /// Turns a dropped connection, or a request that timed out, into `.processExited` when the VMM has ended or
    /// is ending.
    ///
    /// Decided from the process, not from a window of time: the kernel closes a dying VMM's connection only
    /// after it has marked the process exiting, so such a VMM is always found ending here, and its exit is then
    /// awaited: its supervisor records it as soon as the kernel reports it, and the bound only keeps a
    /// supervisor that never reports from holding the caller. A VMM that is not ending (one that merely dropped
    /// the connection, or a frozen one whose request timed out) keeps the original error at once.
    private static func explain(
        _ error: FirecrackerError,
        vmm: VMMProcess,
        during request: String
    ) async
        -> FirecrackerError
    {
        guard vmm.isEnding, let exit = await vmm.waitForExit(within: .seconds(10)) else { return error }
        return FirecrackerError(
            .processExited,
            "the VMM \(exit) during \(request); \(vmm.diagnostics())",
            underlying: error
        )
    }
}
