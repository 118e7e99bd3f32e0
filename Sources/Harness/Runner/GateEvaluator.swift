import HostSystem
package import Reporting
package import SnapshotPool

/// Decides each gate against a finished run's figures: counts, maxima and slopes exactly, rates and
/// percentiles with confidence bounds (``GateDecision``). A gate on per-acquire figures that failed, or could
/// not be decided, while the host was disturbed is judged again on the acquires no disturbance touched: when
/// they pass it, the gate is `disturbed` (it lets the run pass, with the evidence); when they cannot decide it,
/// `inconclusive` (``GateResult/undecidedByHost`` says whether the whole run at their figures would have passed:
/// then only the host left it open); when they fail it, it fails — a stall never hides a regression that shows outside it.
///
/// Warm-up phases are left out of every gate alike: latencies and counts come from the measured phases, the
/// pool's counters from their start, memory from their samples.
///
/// ```swift
/// let results = GateEvaluator(figures: figures).evaluate(scenario.gates)
/// ```
package struct GateEvaluator: Sendable {
    /// What a run measured, as the gates read it.
    package struct Figures: Sendable {
        /// The measured phases together.
        package var overall: PhaseReport
        /// The same without the acquires a disturbance touched; `nil` when none was.
        package var undisturbed: PhaseReport?
        /// The measured burst phases alone, and without the disturbed acquires, in a scenario with other measured
        /// phases too: the floor ratios (`spawn_floor_ratio`, `restore_floor_ratio`) judge these, as their floors
        /// are of a burst. `nil`: they judge ``overall``.
        package var bursts: PhaseReport?
        package var undisturbedBursts: PhaseReport?

        /// What a gate on `metric` judges, and the same without the disturbed acquires.
        func judged(by metric: Metric) -> (measured: PhaseReport, undisturbed: PhaseReport?) {
            if metric == .spawnFloorRatio || metric == .restoreFloorRatio, let bursts {
                return (bursts, undisturbedBursts)
            }
            return (overall, undisturbed)
        }
        /// Memory samples of the measured phases.
        package var timeline: [TimelineSample]
        /// Seconds since the start at which the measured phases began and the load ended.
        package var measuredStart: Double?
        package var loadEnd: Double
        /// The pool's counters over the measured phases.
        package var counters: PoolStatistics.Counters
        /// Problems the leak check found.
        package var leaks: Int
        /// Figures measured besides these (accounting counts, fault timings, allocation slope).
        package var additional: [Metric: Double] = [:]
        /// The host's disturbances, for the evidence.
        package var disturbances: [Disturbance] = []
        /// The CPU-bound floor of one burst, in ms, when the scenario is bursts on real Firecracker; or why there
        /// is none.
        package var burstFloorMilliseconds: Double?
        package var burstFloorProblem: String?
        /// The host's own floor for the bursts' restores, when measured; or why there is none.
        package var restoreFloor: RestoreFloor?
        package var restoreFloorProblem: String?
        /// The floor of the guest's first work, when measured; or why there is none.
        package var workFloor: WorkFloor?
        package var workFloorProblem: String?

        package init(
            overall: PhaseReport,
            undisturbed: PhaseReport? = nil,
            timeline: [TimelineSample],
            measuredStart: Double? = 0,
            loadEnd: Double = .infinity,
            counters: PoolStatistics.Counters,
            leaks: Int
        ) {
            self.overall = overall
            self.undisturbed = undisturbed
            self.timeline = timeline
            self.measuredStart = measuredStart
            self.loadEnd = loadEnd
            self.counters = counters
            self.leaks = leaks
        }
    }

    package var figures: Figures

    package init(figures: Figures) {
        self.figures = figures
    }

    /// Evaluates every gate; an absolute target the host's own floor leaves no room for is `hostBound`
    /// (``HostBound``).
    package func evaluate(_ gates: [Gate]) -> [GateResult] {
        let results = gates.map { gate in
            let (measured, undisturbed) = figures.judged(by: gate.metric)
            let result = evaluate(gate, on: measured)
            guard result.outcome == .fail || result.outcome == .inconclusive, gate.metric.isPerAcquire,
                let undisturbed
            else { return result }
            return rejudge(gate, failed: result, measured: measured, undisturbed: undisturbed)
        }
        return HostBound(
            restoreFloor: figures.restoreFloor,
            burstFloorMilliseconds: figures.burstFloorMilliseconds
        )
        .judge(results)
    }

    /// A failed gate judged again on the acquires no disturbance touched.
    private func rejudge(
        _ gate: Gate,
        failed: GateResult,
        measured: PhaseReport,
        undisturbed: PhaseReport
    ) -> GateResult {
        let again = evaluate(gate, on: undisturbed)
        let excluded = measured.scheduled - undisturbed.scheduled
        let evidence = figures.disturbances.map {
            "\(formatNumber($0.start))–\(formatNumber($0.end)) s: \($0.evidence.joined(separator: ", "))"
        }.joined(separator: "; ")
        let context =
            "the host was disturbed (\(evidence)); without the \(excluded) acquires it touched: "
            + (again.measured.map { "measured \(formatNumber($0))" } ?? "not measured")
        var result = failed
        switch again.outcome {
        case .pass:
            result.status = .disturbed
            result.passed = true
            result.disturbance = context + " — passes"
        case .inconclusive:
            result.status = .inconclusive
            // Had the host left the touched acquires alone and they behaved as the others, would the whole run
            // have decided it? Then the host took the decision away; if not, the build is too close to call.
            // With none left there are no figures to scale: the host took the whole run.
            let byHost =
                undisturbed.scheduled == 0
                || evaluate(gate, on: undisturbed.scaled(to: measured.scheduled)).outcome == .pass
            result.undecidedByHost = byHost
            result.disturbance =
                context + " — cannot be decided from them: "
                + (undisturbed.scheduled == 0
                    ? "none is left, so the host left it open"
                    : byHost
                        ? "too few are left; all \(measured.scheduled) at their figures would pass, so the host left it "
                            + "open"
                        : "all \(measured.scheduled) at their figures would not decide it either; the build is close to "
                            + "the target")
        case .fail, .disturbed, .hostBound:
            result.status = .fail
            result.passed = false
            result.disturbance = context + " — fails without them too: a regression, not the host"
        }
        return result
    }

    /// One gate against one set of per-acquire figures (and the run's other figures).
    func evaluate(_ gate: Gate, on phase: PhaseReport) -> GateResult {
        let metric = gate.metric
        switch metric.kind {
        case .latency:
            let spectrum = phase.latency(metric)
            if gate.statistic.percentile != nil { return GateDecision.percentile(gate, spectrum: spectrum) }
            if gate.statistic == .count { return GateDecision.exact(gate, value: Double(spectrum?.count ?? 0)) }
            return decide(gate, spectrum?.value(of: gate.statistic))
        case .memory:
            return decide(gate, memory(metric, gate.statistic))
        case .allocation, .faultTiming:
            return decide(gate, figures.additional[metric])
        case .ratio:
            if metric == .restoreFloorRatio { return restoreFloorRatio(gate, restore: phase.latency(.restore)) }
            if metric == .workFloorRatio { return workFloorRatio(gate, work: phase.latency(.workingSetGuest)) }
            return floorRatio(gate, spawn: phase.latency(.spawn))
        case .count:
            let events = count(metric, in: phase)
            if gate.statistic == .rate {
                return GateDecision.rate(gate, events: events, trials: phase.scheduled)
            }
            return GateDecision.exact(gate, value: Double(events))
        }
    }

    /// `spawn_floor_ratio`: spawn divided by the burst's floor, with the spawn distribution's bounds.
    private func floorRatio(_ gate: Gate, spawn: Spectrum?) -> GateResult {
        guard let floor = figures.burstFloorMilliseconds, floor > 0 else {
            return unmeasured(gate, figures.burstFloorProblem ?? "no burst floor was measured in this run")
        }
        if gate.statistic.percentile != nil {
            return GateDecision.percentile(gate, spectrum: spawn, dividedBy: floor, unit: "×")
        }
        return decide(gate, spawn?.value(of: gate.statistic).map { $0 / floor })
    }

    /// `restore_floor_ratio`: restore divided by the same statistic of the burst's restore floor.
    private func restoreFloorRatio(_ gate: Gate, restore: Spectrum?) -> GateResult {
        guard let floor = figures.restoreFloor, let divisor = floor.value(of: gate.statistic), divisor > 0 else {
            return unmeasured(gate, figures.restoreFloorProblem ?? "no restore floor was measured in this run")
        }
        if gate.statistic.percentile != nil {
            return GateDecision.percentile(gate, spectrum: restore, dividedBy: divisor, unit: "×")
        }
        return decide(gate, restore?.value(of: gate.statistic).map { $0 / divisor })
    }

    /// `work_floor_ratio`: the guest's re-touch divided by the work floor.
    private func workFloorRatio(_ gate: Gate, work: Spectrum?) -> GateResult {
        guard let floor = figures.workFloor?.milliseconds, floor > 0 else {
            return unmeasured(gate, figures.workFloorProblem ?? "no work floor was measured in this run")
        }
        if gate.statistic.percentile != nil {
            return GateDecision.percentile(gate, spectrum: work, dividedBy: floor, unit: "×")
        }
        return decide(gate, work?.value(of: gate.statistic).map { $0 / floor })
    }

    private func decide(_ gate: Gate, _ value: Double?) -> GateResult {
        guard let value else { return unmeasured(gate, "no \(gate.metric.rawValue) was measured in this run") }
        return GateDecision.exact(gate, value: value)
    }

    /// A gate whose figure the run could not measure: it fails, saying why.
    private func unmeasured(_ gate: Gate, _ reason: String) -> GateResult {
        GateResult(expression: gate.expression, gate: gate, measured: nil, passed: false, status: .fail, reason: reason)
    }

    private func memory(_ metric: Metric, _ statistic: Statistic) -> Double? {
        let mib = 1_048_576.0
        let read: (TimelineSample) -> Double? = { sample in
            switch metric {
            case .poolResident: sample.jemallocResident.map { Double($0) / mib }
            case .poolAllocated: sample.jemallocAllocated.map { Double($0) / mib }
            case .processRSS: Double(sample.processRSS) / mib
            case .vmmPSS: Double(sample.vmmPSSSum) / mib
            case .vmmPSSPerWarmVM:
                sample.warmVMMCount.flatMap { count in
                    count > 0 ? sample.warmVMMPSSSum.map { Double($0) / Double(count) / mib } : nil
                }
            case .cgroupUsage: sample.cgroupUsage.map { Double($0) / mib }
            default: nil
            }
        }
        if statistic == .growth {
            return MemoryFigures.growth(
                figures.timeline,
                measuredStart: figures.measuredStart,
                loadEnd: figures.loadEnd,
                read
            )
        }
        let series = MemoryFigures.measured(
            figures.timeline,
            measuredStart: figures.measuredStart,
            loadEnd: figures.loadEnd
        )
        .compactMap(read)
        guard !series.isEmpty else { return nil }
        switch statistic {
        case .max: return series.max()
        case .min: return series.min()
        case .last: return series.last
        default: return series.reduce(0, +) / Double(series.count)
        }
    }

    private func count(_ metric: Metric, in phase: PhaseReport) -> Int {
        let counters = figures.counters
        switch metric {
        case .errors: return phase.errors
        case .lateStarts: return phase.lateStarts
        case .leases: return phase.served
        case .warmHits: return phase.latency(.spawnWarm)?.count ?? 0
        case .onDemand: return phase.latency(.spawnOnDemand)?.count ?? 0
        case .crashes: return counters.warmCrashes + counters.leasedCrashes
        case .readinessFailures: return counters.readinessFailures
        case .shed: return counters.shed
        case .hedges: return counters.hedges
        case .hedgesWon: return counters.hedgesWon
        case .hedgesWasted: return counters.hedgesWasted
        case .leaks: return figures.leaks
        default: return Int(figures.additional[metric] ?? 0)
        }
    }
}

extension PoolStatistics.Counters {
    /// The counts since `earlier` (the pool's counters only grow).
    func since(_ earlier: PoolStatistics.Counters) -> PoolStatistics.Counters {
        var delta = self
        delta.warmHits -= earlier.warmHits
        delta.onDemand -= earlier.onDemand
        delta.released -= earlier.released
        delta.warmCrashes -= earlier.warmCrashes
        delta.leasedCrashes -= earlier.leasedCrashes
        delta.readinessFailures -= earlier.readinessFailures
        delta.restoreFailures -= earlier.restoreFailures
        delta.shed -= earlier.shed
        delta.expired -= earlier.expired
        delta.hedges -= earlier.hedges
        delta.hedgesWon -= earlier.hedgesWon
        delta.hedgesWasted -= earlier.hedgesWasted
        delta.hedgeRestores -= earlier.hedgeRestores
        delta.failures = failures.merging(earlier.failures.mapValues { -$0 }, uniquingKeysWith: +)
            .filter { $0.value != 0 }
        return delta
    }
}
