package import Firecracker
import Foundation
import HostSystem
package import Logging
import MicroVM

/// The CPU one spawn costs when it runs alone on this host: the reference a burst's floor is built from.
///
/// Each sample restores one clone of the golden snapshot and resumes it, one VM at a time, and reads the CPU
/// its VMM's threads and this process spent (`schedstat` and `CLOCK_PROCESS_CPUTIME_ID`, kernel time on their
/// behalf included): an on-demand spawn is process start → readiness, a warm spawn only resume → readiness.
/// One clone is restored and thrown away first, so that no sample pays for cold caches. For a pool whose
/// processes are started ahead (`pool.standby_vmms`), an on-demand spawn is counted from the process's API
/// socket up, as its requests see it.
///
/// ```swift
/// let costs = try await SpawnCostProbe(installation: fc, snapshot: golden, workDirectory: "/tmp/cost")
///     .measure(samples: 5)
/// print(costs.warmMilliseconds, costs.onDemandMilliseconds)  // e.g. 1.9 9.4
/// ```
package struct SpawnCostProbe: Sendable {
    /// What the probe measured: the CPU of each sample, in ms.
    package struct Costs: Sendable, Equatable {
        /// Resume → readiness, per sample.
        package var warm: [Double] = []
        /// Process start → readiness, per sample.
        package var onDemand: [Double] = []
        /// How many of the samples were taken between a run's bursts (the rest before its load).
        package var betweenBursts = 0
        /// snapbench's own part of each on-demand sample (the rest is its VMM's): what the harness and the
        /// pool cost a spawn, apart from Firecracker. Empty where it was not measured apart.
        package var ownOnDemand: [Double] = []

        package init(warm: [Double] = [], onDemand: [Double] = [], betweenBursts: Int = 0, ownOnDemand: [Double] = []) {
            self.warm = warm
            self.onDemand = onDemand
            self.betweenBursts = betweenBursts
            self.ownOnDemand = ownOnDemand
        }

        /// These samples and `later`'s, taken between bursts.
        ///
        /// ```swift
        /// let costs = before.adding(betweenBursts: gap)  // gap's samples counted in `betweenBursts`
        /// ```
        package func adding(betweenBursts later: Costs) -> Costs {
            Costs(
                warm: warm + later.warm,
                onDemand: onDemand + later.onDemand,
                betweenBursts: betweenBursts + later.warm.count,
                ownOnDemand: ownOnDemand + later.ownOnDemand
            )
        }

        /// The median CPU of one warm spawn, in ms.
        package var warmMilliseconds: Double { Self.median(warm) }
        /// The median CPU of one on-demand spawn, in ms.
        package var onDemandMilliseconds: Double { Self.median(onDemand) }
        /// The median of snapbench's own CPU in one on-demand spawn, in ms; `nil` when it was not measured apart.
        package var ownOnDemandMilliseconds: Double? { ownOnDemand.isEmpty ? nil : Self.median(ownOnDemand) }
        /// The median CPU of one on-demand spawn before the load, and between bursts (`nil` when none was), in ms:
        /// how far the host moved while the run ran.
        package var onDemandMillisecondsApart: (beforeLoad: Double, betweenBursts: Double?) {
            let before = onDemand.count - betweenBursts
            return (
                Self.median(Array(onDemand.prefix(before))),
                betweenBursts > 0 ? Self.median(Array(onDemand.suffix(betweenBursts))) : nil
            )
        }

        static func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return 0 }
            let middle = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        }
    }

    package var installation: FirecrackerInstallation
    package var snapshot: GoldenSnapshot
    /// The clones' working directories go below it (removed at the end).
    package var workDirectory: String
    /// Count an on-demand spawn from its process's API socket up (its process was started ahead of need).
    package var processStartedAhead: Bool
    package var logger: Logger

    package init(
        installation: FirecrackerInstallation,
        snapshot: GoldenSnapshot,
        workDirectory: String,
        processStartedAhead: Bool = false,
        logger: Logger = Logger(label: "snapbench.spawn-cost")
    ) {
        self.installation = installation
        self.snapshot = snapshot
        self.workDirectory = workDirectory
        self.processStartedAhead = processStartedAhead
        self.logger = logger
    }

    /// Restores and resumes `samples` clones one at a time (after one thrown away) and returns their costs.
    ///
    /// - Throws: the first restore or readiness failure; every clone is destroyed whatever happens.
    package func measure(samples: Int) async throws -> Costs {
        defer { try? FileManager.default.removeItem(atPath: workDirectory) }
        var costs = Costs()
        for index in 0...samples {
            let spawn = try await sample(index)
            guard index > 0 else { continue }
            costs.warm.append(spawn.warm.inMilliseconds)
            costs.onDemand.append(spawn.onDemand.inMilliseconds)
            costs.ownOnDemand.append(spawn.ownOnDemand.inMilliseconds)
        }
        return costs
    }

    /// One clone, with nothing thrown away first: between a run's bursts, when the caches are warm from the burst.
    ///
    /// - Throws: its restore or readiness failure; the clone is destroyed and its directory removed whatever happens.
    package func measureOne(_ index: Int) async throws -> Costs {
        defer { try? FileManager.default.removeItem(atPath: workDirectory) }
        let spawn = try await sample(index)
        return Costs(
            warm: [spawn.warm.inMilliseconds],
            onDemand: [spawn.onDemand.inMilliseconds],
            ownOnDemand: [spawn.ownOnDemand.inMilliseconds]
        )
    }

    /// One clone: the CPU of its resume → readiness, of its whole spawn, and snapbench's own part of the latter.
    private func sample(_ index: Int) async throws -> (warm: Duration, onDemand: Duration, ownOnDemand: Duration) {
        try Task.checkCancellation()
        let ownAtStart = SendableBox(CPURuntime.ownProcess())
        let vmmAtStart = SendableBox(Duration.zero)
        let startedAhead = processStartedAhead
        let clone = try await ClonedVM.restore(
            from: snapshot,
            installation: installation,
            workingDirectory: "\(workDirectory)/cost-\(index)",
            id: "cost-\(index)",
            options: ClonedVM.RestoreOptions(
                hooks: ClonedVM.Hooks { vmm in
                    // The process is up: with processes started ahead, an on-demand spawn's CPU starts here.
                    guard startedAhead else { return }
                    vmmAtStart.update { $0 = CPURuntime.process(vmm.pid) ?? .zero }
                    ownAtStart.update { $0 = CPURuntime.ownProcess() }
                },
                logger: logger
            )
        )
        do {
            let pid = clone.vmm.pid
            let vmmRestored = CPURuntime.process(pid) ?? .zero
            let ownRestored = CPURuntime.ownProcess()
            _ = try await clone.resume(deadline: .now + .seconds(5))
            let vmmReady = CPURuntime.process(pid) ?? .zero
            let ownReady = CPURuntime.ownProcess()
            await clone.destroy()
            let warm = (vmmReady - vmmRestored) + (ownReady - ownRestored)
            let own = ownReady - ownAtStart.value
            return (warm, (vmmReady - vmmAtStart.value) + own, own)
        } catch {
            await clone.destroy()
            throw error
        }
    }
}
