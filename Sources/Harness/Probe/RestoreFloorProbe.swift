package import Firecracker
import Foundation
import HostSystem
package import Logging
package import Reporting

/// The host's own floor for a burst's restores: `concurrency` Firecracker processes started at one instant, each
/// loading the snapshot as soon as its API socket is up, with nothing else running — the shape of a burst's
/// on-demand restores without the pool, its priorities, its resumed guests or the load generator.
///
/// Each load is timed as `restore_ms` is (`PUT /snapshot/load` sent → response), through the plain API client,
/// so nothing of snapbench's restore path is in the floor. One round is thrown away first (cold caches).
///
/// ```swift
/// let floor = try await RestoreFloorProbe(installation: fc, snapshot: golden, workDirectory: "/tmp/floor")
///     .measure(concurrency: 12, rounds: 16)
/// print(floor.value(of: .p95) ?? 0)  // e.g. 15.7
/// ```
package struct RestoreFloorProbe: Sendable {
    package var installation: FirecrackerInstallation
    package var snapshot: GoldenSnapshot
    /// The processes' working directories go below it (removed at the end).
    package var workDirectory: String
    package var logger: Logger

    package init(
        installation: FirecrackerInstallation,
        snapshot: GoldenSnapshot,
        workDirectory: String,
        logger: Logger = Logger(label: "snapbench.restore-floor")
    ) {
        self.installation = installation
        self.snapshot = snapshot
        self.workDirectory = workDirectory
        self.logger = logger
    }

    /// Runs one round thrown away, then `rounds` rounds of `concurrency` loads at once.
    ///
    /// - Throws: the first launch or load failure; every process is destroyed whatever happens.
    package func measure(concurrency: Int, rounds: Int) async throws -> RestoreFloor {
        precondition(concurrency > 0 && rounds > 0, "a floor needs at least one load in one round")
        defer { try? FileManager.default.removeItem(atPath: workDirectory) }
        var loads = LatencyHistogram()
        for round in 0...rounds {
            let durations = try await self.round(round, concurrency: concurrency)
            guard round > 0 else { continue }
            for duration in durations { loads.record(duration) }
        }
        guard let spectrum = loads.spectrum else { preconditionFailure("rounds > 0 and concurrency > 0 record loads") }
        return RestoreFloor(concurrency: concurrency, rounds: rounds, loads: spectrum)
    }

    /// `concurrency` processes started at once, each loading as soon as it is up; returns each load's time.
    private func round(_ round: Int, concurrency: Int) async throws -> [Duration] {
        try Task.checkCancellation()
        let processes = LaunchedProcesses()
        do {
            let durations = try await withThrowingTaskGroup(of: Duration.self) { group in
                for index in 0..<concurrency {
                    group.addTask {
                        let id = "floor-\(round)-\(index)"
                        let vmm = try await VMMProcess.launch(
                            ClonedVM.processConfiguration(
                                installation: installation,
                                workingDirectory: "\(workDirectory)/\(id)",
                                id: id
                            ),
                            logger: logger
                        )
                        processes.add(vmm)
                        let parameters = SnapshotLoadParameters(
                            snapshotPath: snapshot.statePath,
                            memBackend: MemoryBackend(backendType: .file, backendPath: snapshot.memoryPath),
                            resumeVm: false
                        )
                        let started = ContinuousClock.now
                        try await vmm.api.loadSnapshot(parameters, timeout: .seconds(10))
                        return started.duration(to: .now)
                    }
                }
                return try await group.reduce(into: [Duration]()) { $0.append($1) }
            }
            await processes.destroyAll()
            return durations
        } catch {
            await processes.destroyAll()
            throw error
        }
    }
}

/// The processes of one round, added from its tasks as they come up.
private final class LaunchedProcesses: Sendable {
    private let list = SendableBox<[VMMProcess]>([])

    func add(_ process: VMMProcess) {
        list.update { $0.append(process) }
    }

    func destroyAll() async {
        let all = list.value
        list.update { $0.removeAll() }
        await withTaskGroup(of: Void.self) { group in
            for process in all { group.addTask { await process.destroy() } }
        }
    }
}
