import Firecracker
import Foundation
import Histogram
import HostSystem
import MicroVM
package import Reporting
import SnapshotPool
import Synchronization

/// Collects every outcome and latency of a run, per phase; safe to call from every lease's task.
///
/// Every scheduled acquire ends as exactly one outcome (`served` or an error code), so the outcome counts
/// reconcile with the schedule. Each acquire's figures arrive as one ``LeaseRecord`` when it has ended, and
/// wait until the timeline has been sampled past their end: then it is known whether a disturbance of the
/// host touched them. Every acquire goes into the run's statistics; a touched one also into the disturbed
/// statistics, kept only once a disturbance touched something, which are taken away from the run's to give the
/// undisturbed figures that a gate is judged on again when it failed during a disturbance. Waiting records are
/// the only per-acquire memory, a second's worth at most.
package final class RunRecorder: Sendable {
    struct PhaseData {
        var name: String
        var warmup: Bool
        var scheduled = 0
        var outcomes: [String: Int] = [:]
        var lateStarts = 0
        var histograms: [String: LatencyHistogram] = [:]

        /// A phase with a histogram for every latency metric already made (about 110 KiB each): made at the start,
        /// so a metric first seen late in a run (the first on-demand spawn, the first disturbance) allocates
        /// nothing then, and a step of bounded memory never reads as growth per lease.
        static func allocated(name: String, warmup: Bool) -> PhaseData {
            var data = PhaseData(name: name, warmup: warmup)
            for key in Metric.allCases.compactMap(\.latencyKey) { data.histograms[key] = LatencyHistogram() }
            return data
        }

        mutating func record(_ metric: Metric, _ value: Duration) {
            guard let key = metric.latencyKey else { return }
            histograms[key, default: LatencyHistogram()].record(value)
        }

        mutating func add(_ record: LeaseRecord) {
            if let lag = record.dispatchLag {
                self.record(.dispatchLag, lag)
                if lag > RunRecorder.lateStartThreshold { lateStarts += 1 }
            }
            self.record(.outcome, record.timeToOutcome)
            switch record.outcome {
            case .failed(let code, _):
                outcomes[code, default: 0] += 1
            case .served(let served):
                outcomes["served", default: 0] += 1
                self.record(.spawn, served.spawn)
                self.record(served.path == .warm ? .spawnWarm : .spawnOnDemand, served.spawn)
                self.record(.queueWait, served.queueWait)
                // What the harness adds to the pool's own acquire: dispatch, task start and hand-back.
                self.record(.harnessOverhead, served.spawn - served.acquire)
                let stages = served.stages
                // Restore, Firecracker's own load metric and process start: the same population, the VM of every
                // lease, read at its release.
                if let value = stages.load { self.record(.restore, value) }
                if let value = stages.firecrackerLoad { self.record(.firecrackerLoad, value) }
                if let value = stages.processStart { self.record(.processStart, value) }
                if let value = stages.setUp { self.record(.setUp, value) }
                if let value = stages.resume { self.record(.resume, value) }
                if let value = stages.readiness { self.record(.readiness, value) }
                if let value = stages.vsockConnect { self.record(.vsockConnect, value) }
                if let value = stages.agentReply { self.record(.agentReply, value) }
                if let work = served.work {
                    self.record(.firstWork, work.firstWork)
                    self.record(.workingSet, work.workingSet)
                    self.record(.workingSetGuest, work.guest)
                }
            }
        }

        /// These figures without those of `removed` (a subset of the same acquires).
        func subtracting(_ removed: PhaseData) -> PhaseData {
            var result = PhaseData(name: name, warmup: warmup)
            result.scheduled = scheduled - removed.scheduled
            result.lateStarts = lateStarts - removed.lateStarts
            result.outcomes = outcomes.merging(removed.outcomes.mapValues { -$0 }, uniquingKeysWith: +)
                .filter { $0.value > 0 }
            for (metric, histogram) in histograms {
                result.histograms[metric] = removed.histograms[metric].map(histogram.subtracting) ?? histogram
            }
            return result
        }

        func report() -> PhaseReport {
            PhaseReport(
                name: name,
                warmup: warmup,
                scheduled: scheduled,
                outcomes: outcomes,
                lateStarts: lateStarts,
                latencies: histograms.compactMapValues { $0.spectrum }
            )
        }
    }

    private struct State {
        var phases: [PhaseData] = []
        /// The acquires a disturbance touched, per phase; empty until one was.
        var disturbed: [Int: PhaseData] = [:]
        /// Each phase's disturbed statistics, made at its start and moved into `disturbed` when first touched.
        var spareDisturbed: [Int: PhaseData] = [:]
        var pending: [LeaseRecord] = []
        var excluded = 0
        var worstDispatchLag: Duration = .zero
        var served = 0
        var failed = 0
        /// Served acquires per phase, counted at once (the figures wait in `pending`).
        var servedByPhase: [Int] = []
        var deviceChecks = DeviceChecks()
    }

    /// Leased clones checked for their devices, and what was missing.
    package struct DeviceChecks: Sendable, Equatable {
        package var checked = 0
        package var failed = 0
        package var problems: [String] = []
    }

    /// Arrivals dispatched later than this after their intended instant count as late starts.
    package static let lateStartThreshold: Duration = .milliseconds(1)
    /// How long after a disturbance ends acquires still count as touched by it: the pool's own recovery from
    /// the host's stall (a warm set emptied meanwhile refills within this).
    package static let disturbanceMargin = 1.0

    private let state = Mutex(State())

    /// Where ended acquires are also shown live, when the run serves metrics.
    private let live: LiveMetrics?

    package init(live: LiveMetrics? = nil) {
        self.live = live
    }

    /// Notes one leased clone's device check: `problems` empty when it had every device.
    package func deviceChecked(problems: [String]) {
        state.withLock { state in
            state.deviceChecks.checked += 1
            guard !problems.isEmpty else { return }
            state.deviceChecks.failed += 1
            if state.deviceChecks.problems.count < DeviceReport.maximumProblems {
                state.deviceChecks.problems.append(problems.joined(separator: "; "))
            }
        }
    }

    /// The device checks so far.
    package var deviceChecks: DeviceChecks { state.withLock { $0.deviceChecks } }

    /// Starts a new phase; later records go to it.
    package func beginPhase(_ name: String, warmup: Bool) -> Int {
        state.withLock { state in
            state.phases.append(PhaseData.allocated(name: name, warmup: warmup))
            state.servedByPhase.append(0)
            state.spareDisturbed[state.phases.count - 1] = PhaseData.allocated(name: name, warmup: warmup)
            return state.phases.count - 1
        }
    }

    /// An acquire was scheduled (open loop) or attempted (closed loop); `lag` is dispatch − intended.
    package func scheduled(phase: Int, dispatchLag: Duration?) {
        state.withLock { state in
            state.phases[phase].scheduled += 1
            if let dispatchLag { state.worstDispatchLag = max(state.worstDispatchLag, dispatchLag) }
        }
    }

    /// An acquire has ended; its figures wait until the timeline covers its end.
    func record(_ record: LeaseRecord) {
        if let live {
            if case .served(let served) = record.outcome {
                live.acquireEnded(spawn: served.spawn, restore: served.stages.load)
            } else {
                live.acquireEnded(spawn: nil, restore: nil)
            }
        }
        state.withLock { state in
            if case .served = record.outcome {
                state.served += 1
                state.servedByPhase[record.phase] += 1
            } else {
                state.failed += 1
            }
            state.pending.append(record)
        }
    }

    /// Records every waiting acquire that ended by `time` (seconds since the start), now that the disturbances
    /// up to then are known.
    func settle(until time: Double, disturbances: [Disturbance]) {
        state.withLock { state in
            var waiting: [LeaseRecord] = []
            for record in state.pending {
                guard record.ended <= time else {
                    waiting.append(record)
                    continue
                }
                Self.file(record, into: &state, disturbances: disturbances)
            }
            state.pending = waiting
        }
    }

    /// Records every waiting acquire (the run has ended and its disturbances are final).
    func settleAll(disturbances: [Disturbance]) {
        settle(until: .infinity, disturbances: disturbances)
    }

    private static func file(_ record: LeaseRecord, into state: inout State, disturbances: [Disturbance]) {
        state.phases[record.phase].add(record)
        let touched = disturbances.contains { window in
            window.start <= record.ended && record.exposedFrom <= window.end + disturbanceMargin
        }
        if touched {
            state.excluded += 1
            let phase = state.phases[record.phase]
            if state.disturbed[record.phase] == nil {
                state.disturbed[record.phase] =
                    state.spareDisturbed.removeValue(forKey: record.phase)
                    ?? PhaseData(name: phase.name, warmup: phase.warmup)
            }
            state.disturbed[record.phase]?.scheduled += 1
            state.disturbed[record.phase]?.add(record)
        }
    }

    /// The worst dispatch lag since the previous call.
    func takeWorstDispatchLag() -> Duration {
        state.withLock { state in
            defer { state.worstDispatchLag = .zero }
            return state.worstDispatchLag
        }
    }

    /// Leases served so far (for progress and the timeline's throughput).
    package var servedCount: Int { state.withLock { $0.served } }

    /// Acquires left out of the undisturbed statistics.
    package var excludedCount: Int { state.withLock { $0.excluded } }

    /// The current spawn p95 of a phase, in milliseconds (for progress).
    package func spawnP95(phase: Int) -> Double? {
        guard let key = Metric.spawn.latencyKey else { return nil }
        return state.withLock { $0.phases[phase].histograms[key]?.percentile(95)?.inMilliseconds }
    }

    /// Outcomes so far: served and failed, over every phase.
    package var totals: (served: Int, failed: Int) {
        state.withLock { ($0.served, $0.failed) }
    }

    /// Served acquires of the measured phases so far.
    var measuredServed: Int {
        state.withLock { state in
            zip(state.phases, state.servedByPhase).filter { !$0.0.warmup }.map(\.1).reduce(0, +)
        }
    }

    /// The per-phase reports, the overall report of the measured (non-warm-up) phases, and the overall report
    /// without the acquires a disturbance touched (`nil` when none was); with `bursts`, the same two over the
    /// measured phases of those names alone.
    package func reports(bursts burstPhases: Set<String> = []) -> Reports {
        let (phases, disturbed, excluded) = state.withLock { ($0.phases, $0.disturbed, $0.excluded) }
        let undisturbed = phases.enumerated().map { index, phase in
            disturbed[index].map(phase.subtracting) ?? phase
        }
        let isBurst = { (phase: PhaseData) in burstPhases.contains(phase.name) }
        return Reports(
            phases: phases.map { $0.report() },
            overall: Self.overall(phases),
            undisturbed: excluded > 0 ? Self.overall(undisturbed) : nil,
            bursts: burstPhases.isEmpty ? nil : Self.overall(phases.filter(isBurst)),
            undisturbedBursts: burstPhases.isEmpty || excluded == 0 ? nil : Self.overall(undisturbed.filter(isBurst))
        )
    }

    /// What a run recorded, as its report and its gates read it.
    package struct Reports {
        /// Each phase, warm-up included.
        package var phases: [PhaseReport]
        /// The measured phases together.
        package var overall: PhaseReport
        /// ``overall`` without the acquires a disturbance touched, when one did.
        package var undisturbed: PhaseReport?
        /// The measured burst phases together, when asked for: what a burst's floors are compared with.
        package var bursts: PhaseReport?
        /// ``bursts`` without the acquires a disturbance touched, when one did.
        package var undisturbedBursts: PhaseReport?
    }

    private static func overall(_ phases: [PhaseData]) -> PhaseReport {
        var overall = PhaseData(name: "overall", warmup: false)
        for phase in phases where !phase.warmup {
            overall.scheduled += phase.scheduled
            overall.lateStarts += phase.lateStarts
            overall.outcomes.merge(phase.outcomes, uniquingKeysWith: +)
            for (metric, histogram) in phase.histograms {
                overall.histograms[metric, default: LatencyHistogram()].add(histogram)
            }
        }
        return overall.report()
    }
}
