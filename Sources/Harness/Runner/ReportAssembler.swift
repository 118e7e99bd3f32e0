import Firecracker
import Foundation
import HostSystem
import Reporting
import Scenarios
import SnapshotPool

/// Turns a run's outcome into its report: the gates (the scenario's, the command line's, and the nothing-lost
/// checks every run gets), the verdict, the environment and the definitions of every measurement.
struct ReportAssembler: Sendable {
    let scenario: Scenario
    let options: ScenarioRunner.Options
    let outcome: RunOutcome
    let leakCheck: LeakCheck
    let backend: BackendKind
    let installation: FirecrackerInstallation?
    let auditPath: String
    let quarantines: Int
    let signOff: Bool

    func assemble() async -> RunReport {
        let faultRecords = FaultAnalyzer(occurrences: outcome.occurrences, log: outcome.log, loadEnd: outcome.loadEnd)
            .records()
        let accounting = Accounting(
            phases: outcome.phases,
            counters: outcome.counters,
            leasedAfterLoad: outcome.leasedAfterLoad,
            deadAtHandout: outcome.log.deadAtHandout,
            leakProblems: leakCheck.problems,
            audit: Accounting.AuditFigures(
                path: auditPath,
                shedEvents: outcome.log.shedEvents,
                quarantines: quarantines
            )
        )
        var figures = GateEvaluator.Figures(
            overall: outcome.overall,
            undisturbed: outcome.undisturbed,
            timeline: outcome.timeline,
            measuredStart: outcome.measuredStart,
            loadEnd: outcome.loadEnd,
            counters: outcome.counters.since(outcome.countersAtMeasuredStart),
            leaks: leakCheck.problems.count
        )
        figures.additional = accounting.figures.merging(FaultAnalyzer.figures(faultRecords)) { first, _ in first }
        figures.additional[.allocatedPerLease] = leakCheck.allocatedBytesPerLease
        figures.additional[.deviceCheckFailures] = Double(outcome.deviceChecks.failed)
        figures.disturbances = outcome.disturbances
        figures.bursts = outcome.bursts
        figures.undisturbedBursts = outcome.undisturbedBursts
        let burstFloor = self.burstFloor()
        figures.burstFloorMilliseconds = burstFloor?.milliseconds
        figures.burstFloorProblem = outcome.spawnCostProblem
        figures.restoreFloor = outcome.restoreFloor
        figures.restoreFloorProblem = outcome.restoreFloorProblem
        figures.workFloor = outcome.workFloor
        figures.workFloorProblem = outcome.workFloorProblem
        var gates = GateEvaluator(figures: figures).evaluate(scenario.gates + options.extraGates)
        if outcome.failure == nil {
            gates += accounting.gates()
            if scenario.devices.hasDevices, backend == .firecracker { gates.append(deviceGate()) }
        }
        let verdict: Verdict
        if let failure = outcome.failure {
            gates.append(
                GateResult(
                    expression: "run completes",
                    measured: nil,
                    passed: false,
                    status: .fail,
                    reason: "\(failure)"
                )
            )
            verdict = .incomplete
        } else if backend == .simulated, signOff {
            gates.append(
                GateResult(
                    expression: "backend is firecracker",
                    measured: nil,
                    passed: false,
                    status: .fail,
                    reason: "a simulated run can never pass a sign-off gate"
                )
            )
            verdict = .fail
        } else {
            verdict = Self.verdict(of: gates)
        }
        let host = HostInfo.current()
        return RunReport(
            scenario: scenario.name,
            description: scenario.description,
            startedAt: outcome.startedAt,
            durationSeconds: outcome.duration.inSeconds,
            environment: EnvironmentInfo(
                hostname: host.hostname,
                kernel: host.kernelRelease,
                cpuModel: host.cpuModel,
                cpuCount: host.cpuCount,
                memoryBytes: host.memoryBytes,
                kvmFlavour: host.kvmFlavour,
                backend: backend.rawValue,
                firecrackerVersion: installation?.version,
                firecrackerSHA256: installation?.sha256,
                allocator: Jemalloc.description,
                commit: options.commit
            ),
            definitions: Self.definitions,
            phases: outcome.phases,
            overall: outcome.overall,
            timeline: outcome.timeline,
            faults: faultRecords,
            leakCheck: leakCheck,
            gates: gates,
            verdict: verdict,
            signOff: signOff,
            disturbances: outcome.disturbances,
            undisturbed: outcome.undisturbed,
            audit: accounting.anchor,
            burstFloor: burstFloor,
            restoreFloor: outcome.restoreFloor,
            workFloor: outcome.workFloor,
            hedging: scenario.pool.configuration.hedging.enabled
                ? HedgingSummary(
                    fired: figures.counters.hedges,
                    won: figures.counters.hedgesWon,
                    wasted: figures.counters.hedgesWasted,
                    restores: figures.counters.hedgeRestores,
                    acquires: outcome.overall.scheduled
                ) : nil,
            devices: deviceReport()
        )
    }

    /// The floor of the measured bursts: their served warm hits and on-demand spawns per burst (of the burst
    /// phases alone), at the costs measured before the pool started and between the bursts.
    private func burstFloor() -> BurstFloor? {
        guard let costs = outcome.spawnCosts, let bursts = scenario.measuredBursts, bursts > 0 else { return nil }
        let served = outcome.bursts ?? outcome.overall
        return BurstFloor(
            warmSpawnCPUMilliseconds: costs.warmMilliseconds,
            onDemandSpawnCPUMilliseconds: costs.onDemandMilliseconds,
            samples: costs.warm.count,
            samplesBetweenBursts: costs.betweenBursts,
            onDemandApart: costs.onDemandMillisecondsApart,
            ownOnDemandMilliseconds: costs.ownOnDemandMilliseconds,
            cores: ProcessInfo.processInfo.activeProcessorCount,
            warmHitsPerBurst: Double(served.latency(.spawnWarm)?.count ?? 0) / Double(bursts),
            onDemandPerBurst: Double(served.latency(.spawnOnDemand)?.count ?? 0) / Double(bursts)
        )
    }

    /// Fail when a gate failed; inconclusive when none failed but one could not be decided; host-bound when
    /// neither, but an absolute target was out of the host's reach; pass otherwise (a `disturbed` gate passed
    /// on the acquires the disturbance did not touch).
    static func verdict(of gates: [GateResult]) -> Verdict {
        if gates.contains(where: { $0.outcome == .fail }) { return .fail }
        if gates.contains(where: { $0.outcome == .inconclusive }) { return .inconclusive }
        if gates.contains(where: { $0.outcome == .hostBound }) { return .hostBound }
        return .pass
    }

    /// Every metric's definition, as the report states it, and the terms it uses.
    static let definitions: [String: String] = {
        var definitions = Dictionary(uniqueKeysWithValues: Metric.allCases.map { ($0.rawValue, $0.definition) })
        definitions["disturbance"] =
            "a sample interval (200 ms) in which the hypervisor stole at least 20 % of a CPU, processes outside the "
            + "run used at least 50 % of one, a real-time thread (heartbeat, dispatcher) woke at least 10 ms late, or "
            + "an arrival started more than 1 ms late while the hypervisor stole at least that much CPU; "
            + "acquires exposed to it, or within 1 s after it, are left out of the undisturbed figures"
        definitions["gate bounds"] =
            "rates: one-sided 95 % Wilson bounds; percentiles: distribution-free one-sided 95 % order-statistic "
            + "bounds; a gate passes when its bound is on the passing side, fails when the opposite bound is on the "
            + "failing side, and is inconclusive otherwise"
        return definitions
    }()
}
