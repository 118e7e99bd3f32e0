import Reporting

/// Judges the absolute targets of a burst against the host's own floor, measured in the same run.
///
/// A burst scenario judges what the pool controls by ratios to floors (`restore_floor_ratio`,
/// `spawn_floor_ratio`) and keeps the absolute targets (`restore_ms p95 < 20`, `spawn_ms p95 < 50`) where the
/// floor leaves room for them. The floor leaves no room for a target when the floor times the allowance its
/// ratio gate grants the pool reaches the target: then a pool within its allowance may still miss it, and the
/// host's speed that hour decides. Such a target that did not pass while its ratio gate passed is
/// ``GateStatus/hostBound``: never a pass, never a plain failure, with the floor's figures in its reason.
///
/// ```swift
/// // floor p95 17.2 ms × 1.25 allowed = 21.5 ms ≥ 20: `restore_ms p95 < 20` measured 20.4 is host-bound
/// let judged = HostBound(restoreFloor: floor, burstFloorMilliseconds: 34).judge(results)
/// ```
struct HostBound {
    let restoreFloor: RestoreFloor?
    let burstFloorMilliseconds: Double?

    func judge(_ results: [GateResult]) -> [GateResult] {
        results.map { judge($0, among: results) }
    }

    private func judge(_ result: GateResult, among results: [GateResult]) -> GateResult {
        guard let gate = result.gate, result.outcome == .fail || result.outcome == .inconclusive,
            gate.comparison.wantsSmaller,
            let (ratioMetric, floor, floorText) = self.floor(for: gate)
        else { return result }
        let ratioGates = results.filter { candidate in
            guard let ratioGate = candidate.gate, ratioGate.metric == ratioMetric else { return false }
            return ratioGate.comparison.wantsSmaller
        }
        let allowance = ratioGates.first { $0.outcome == .pass || $0.outcome == .disturbed }
        guard let allowance, let ratio = allowance.gate?.threshold, floor * ratio >= gate.threshold else {
            return undecidedRatio(result, gate: gate, floor: floor, floorText: floorText, ratioGates: ratioGates)
        }
        var judged = result
        judged.status = .hostBound
        judged.passed = false
        // Host-bound is its own answer: the flag is for gates left inconclusive.
        judged.undecidedByHost = nil
        judged.reason =
            "host-bound: \(floorText) \(formatNumber(floor)) ms; `\(allowance.expression)` passed, and "
            + "\(formatNumber(ratio))× the floor is \(formatNumber(floor * ratio)) ms, not below "
            + "\(Gate.format(gate.threshold)): this host's own floor leaves the target no room, so the host decided "
            + "it, not the pool (\(result.outcome.rawValue): \(result.reason ?? "no reason given"))"
        return judged
    }

    /// A target the floor leaves no room for, whose ratio gate could not be decided: whether the pool kept within
    /// its allowance is open, so whether the host or the pool missed the target is open too. It is inconclusive,
    /// for the ratio's reason (and, when the host left the ratio open, the host's), never a plain failure.
    private func undecidedRatio(
        _ result: GateResult,
        gate: Gate,
        floor: Double,
        floorText: String,
        ratioGates: [GateResult]
    ) -> GateResult {
        guard let open = ratioGates.first(where: { $0.outcome == .inconclusive }),
            let ratio = open.gate?.threshold, floor * ratio >= gate.threshold
        else { return result }
        var judged = result
        judged.status = .inconclusive
        judged.passed = false
        judged.undecidedByHost = open.undecidedByHost
        judged.disturbance = open.disturbance
        judged.reason =
            "\(floorText) \(formatNumber(floor)) ms, and \(formatNumber(ratio))× the floor is "
            + "\(formatNumber(floor * ratio)) ms, not below \(Gate.format(gate.threshold)): the target is the host's "
            + "unless the pool exceeded its allowance, and `\(open.expression)` could not be decided "
            + "(\(result.outcome.rawValue): \(result.reason ?? "no reason given"))"
        return judged
    }

    /// The ratio gate that judges `gate`'s metric against a floor, the floor's value for its statistic, and what
    /// the floor is.
    private func floor(for gate: Gate) -> (Metric, Double, String)? {
        switch gate.metric {
        case .restore:
            guard let restoreFloor, let value = restoreFloor.value(of: gate.statistic) else { return nil }
            return (
                .restoreFloorRatio, value,
                "the restore floor (\(restoreFloor.concurrency) loads at once with nothing else running, "
                    + "\(restoreFloor.rounds) rounds) measured \(gate.statistic.rawValue)"
            )
        case .spawn, .outcome:
            guard let burstFloorMilliseconds else { return nil }
            return (.spawnFloorRatio, burstFloorMilliseconds, "the burst's CPU-bound floor is")
        default:
            return nil
        }
    }
}
