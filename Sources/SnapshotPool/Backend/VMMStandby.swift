package import Firecracker
package import Logging
import Synchronization

/// Firecracker processes started ahead of need, API socket up and no VM loaded, for on-demand restores to take
/// over: the process start (fork, exec, Firecracker's own set-up: about 1.5 ms of CPU here) leaves the request
/// path and, in a burst, stops competing with the restores it would otherwise run beside.
///
/// The standby is refilled one process at a time and only while no restore is in flight, so that its own
/// launches never take CPU from the restores it exists to speed up. A process found dead when taken is
/// destroyed and the next one is tried; with none left, the restore starts its own process as before.
///
/// ```swift
/// let standby = VMMStandby(target: 12) { id in try await VMMProcess.launch(configuration(for: id)) }
/// standby.start()
/// let process = await standby.take()  // nil: start one yourself
/// await standby.shutdown()            // every process it still holds is destroyed
/// ```
package final class VMMStandby: Sendable {
    /// What the standby did, for the report.
    package struct Counters: Sendable, Equatable {
        /// Processes started.
        package var launched = 0
        /// Processes handed to a restore.
        package var taken = 0
        /// Restores that asked and found none ready.
        package var empty = 0
        /// Processes found dead when taken (killed or crashed while waiting), or dead by their load.
        package var foundDead = 0
        /// Launches that failed.
        package var launchFailures = 0
    }

    private struct State {
        var ready: [VMMProcess] = []
        var restoring = 0
        var stopped = false
        var next = 0
        var counters = Counters()
    }

    /// How many processes it keeps ready.
    package let target: Int
    private let state = Mutex(State())
    private let launch: @Sendable (String) async throws -> VMMProcess
    private let discarded: @Sendable (VMMProcess) async -> Void
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let filler = Mutex<Task<Void, Never>?>(nil)
    private let logger: Logger

    /// - Parameters:
    ///   - target: processes to keep ready.
    ///   - logger: where launch failures are logged.
    ///   - discarded: told of each process the standby destroyed itself (found dead, or held at shutdown), after
    ///     its destroy: what the launch gave it (a network namespace) can go back.
    ///   - launch: starts one process under the id given (`standby-<n>`, unique within this standby).
    package init(
        target: Int,
        logger: Logger = Logger(label: "snapbench.standby"),
        discarded: @escaping @Sendable (VMMProcess) async -> Void = { _ in },
        launch: @escaping @Sendable (String) async throws -> VMMProcess
    ) {
        self.target = max(0, target)
        self.launch = launch
        self.discarded = discarded
        self.logger = logger
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Starts filling (once no restore is in flight).
    package func start() {
        guard target > 0 else { return }
        filler.withLock { task in
            guard task == nil else { return }
            task = Task { [self] in await fill() }
        }
        wake.yield()
    }

    /// The oldest ready process still alive, or `nil` when none is ready.
    package func take() async -> VMMProcess? {
        while let process = state.withLock({ state -> VMMProcess? in
            guard !state.ready.isEmpty else {
                state.counters.empty += 1
                return nil
            }
            return state.ready.removeFirst()
        }) {
            if process.exit == nil {
                state.withLock { $0.counters.taken += 1 }
                return process
            }
            state.withLock { $0.counters.foundDead += 1 }
            logger.warning("a standby VMM died while waiting", metadata: ["vm.pid": "\(process.pid)"])
            await discard(process)
        }
        return nil
    }

    /// Counts a process that was alive when taken and dead at its load (the restore then started its own).
    package func noteDiedAtLoad() {
        state.withLock { $0.counters.foundDead += 1 }
    }

    /// Tells the standby a restore began: it does not launch while one is in flight.
    package func restoreBegan() {
        state.withLock { $0.restoring += 1 }
    }

    /// Tells the standby a restore ended; the last one to end lets it refill.
    package func restoreEnded() {
        let idle = state.withLock { state in
            state.restoring -= 1
            return state.restoring == 0
        }
        if idle { wake.yield() }
    }

    /// The process ids of the processes ready now.
    package var processIDs: [Int32] { state.withLock { $0.ready.map(\.pid) } }

    /// The processes ready now, oldest (the next handed out) first.
    ///
    /// For tests that kill one and must know when ``take()`` will see it dead: that is when
    /// ``VMMProcess/waitForExit()`` returns (its exit recorded), which comes after its pid has vanished.
    package var readyProcesses: [VMMProcess] { state.withLock { $0.ready } }

    /// What it did so far.
    package var counters: Counters { state.withLock { $0.counters } }

    /// Stops filling and destroys every process it holds; a launch under way is awaited and destroyed too.
    package func shutdown() async {
        let held = state.withLock { state in
            state.stopped = true
            defer { state.ready.removeAll() }
            return state.ready
        }
        wake.finish()
        await filler.withLock { $0 }?.value
        for process in held { await discard(process) }
    }

    private func fill() async {
        for await _ in wakes {
            while let id = nextLaunch() {
                do {
                    let process = try await launch(id)
                    let kept = state.withLock { state in
                        state.counters.launched += 1
                        guard !state.stopped else { return false }
                        state.ready.append(process)
                        return true
                    }
                    if !kept { await discard(process) }
                } catch {
                    state.withLock { $0.counters.launchFailures += 1 }
                    logger.warning("a standby VMM failed to start", metadata: ["error": "\(error)"])
                    // Tried again at the next idle moment, not in a loop against a failing launch.
                    break
                }
            }
        }
    }

    /// Destroys a process the standby holds, then tells its owner (what the launch gave it can go back).
    private func discard(_ process: VMMProcess) async {
        await process.destroy()
        await discarded(process)
    }

    /// The id of the next process to launch, when one is due now: not stopped, below target, no restore in
    /// flight.
    private func nextLaunch() -> String? {
        state.withLock { state in
            guard !state.stopped, state.restoring == 0, state.ready.count < target else { return nil }
            state.next += 1
            return "standby-\(state.next)"
        }
    }
}
