/// Decides a gate from what a run measured: exactly for counts, maxima and other figures without sampling
/// error, and with ``ConfidenceBounds`` for rates and percentiles, so a gate passes only when its whole bound
/// is on the passing side, fails only when its whole bound is on the failing side, and is *inconclusive*
/// otherwise.
///
/// ```swift
/// let gate = try Gate(parsing: "late_starts rate < 0.05")
/// let result = GateDecision.rate(gate, events: 1, trials: 200)
/// result.outcome  // .pass: 1 of 200 has a 95 % upper bound of 2.3 %
/// ```
package enum GateDecision {
    /// A gate on a figure without sampling error (a count, a maximum, a slope…).
    package static func exact(_ gate: Gate, value: Double) -> GateResult {
        let passed = gate.passes(value)
        guard value.isFinite else {
            // Infinite: a fault never reacted to, or never recovered from; JSON has no infinity to store.
            return GateResult(
                expression: gate.expression,
                gate: gate,
                measured: nil,
                passed: passed,
                status: passed ? .pass : .fail,
                reason: passed ? nil : "never happened in the run: counts as infinitely long"
            )
        }
        return GateResult(
            expression: gate.expression,
            gate: gate,
            measured: value,
            passed: passed,
            status: passed ? .pass : .fail,
            reason: passed
                ? nil
                : "measured \(formatNumber(value)), needs \(gate.comparison.rawValue) \(Gate.format(gate.threshold))"
        )
    }

    /// A `rate` gate: `events` of `trials` acquires, decided with Wilson bounds.
    package static func rate(_ gate: Gate, events: Int, trials: Int) -> GateResult {
        let value = trials > 0 ? Double(events) / Double(trials) : 0
        guard let (lower, upper) = ConfidenceBounds.wilson(events: events, trials: trials) else {
            return GateResult(
                expression: gate.expression,
                gate: gate,
                measured: nil,
                passed: false,
                status: .inconclusive,
                reason: "no acquire was scheduled, so no rate was measured"
            )
        }
        let bounds = GateBounds(
            lower: lower,
            upper: upper,
            level: ConfidenceBounds.level,
            method: "wilson",
            samples: trials
        )
        let detail = "\(events) of \(trials) (\(percent(value))); 95 % bounds \(percent(lower))–\(percent(upper))"
        return bounded(gate, value: value, lower: lower, upper: upper, bounds: bounds, detail: detail)
    }

    /// A percentile gate on a recorded distribution, decided with order-statistic bounds; with `divisor`, on
    /// the distribution divided by it (a ratio to a reference the run measured, such as a burst's floor).
    package static func percentile(
        _ gate: Gate,
        spectrum: Spectrum?,
        dividedBy divisor: Double = 1,
        unit: String = " ms"
    ) -> GateResult {
        guard let percentile = gate.statistic.percentile else { preconditionFailure("not a percentile: \(gate)") }
        guard let spectrum, spectrum.count > 0 else {
            return GateResult(
                expression: gate.expression,
                gate: gate,
                measured: nil,
                passed: false,
                status: .inconclusive,
                reason: "no \(gate.metric.rawValue) was measured in this run"
            )
        }
        let value = (spectrum.value(of: gate.statistic) ?? 0) / divisor
        guard let distribution = spectrum.distribution else {
            // A report from before recorded distributions: only the point estimate is known.
            return exact(gate, value: value)
        }
        let n = distribution.totalCount
        let ranks = ConfidenceBounds.quantileRanks(percentile: percentile, samples: n)
        let lower = ranks.lower.flatMap(distribution.value(atRank:)).map { $0 / divisor }
        let upper = ranks.upper.flatMap(distribution.value(atRank:)).map { $0 / divisor }
        let bounds = GateBounds(
            lower: lower,
            upper: upper,
            level: ConfidenceBounds.level,
            method: "order statistics",
            samples: n
        )
        let range = "\(lower.map { formatNumber($0) } ?? "–")…\(upper.map { formatNumber($0) } ?? "∞")\(unit)"
        let detail = "\(gate.statistic.rawValue) \(formatNumber(value))\(unit) of \(n) samples; 95 % bounds \(range)"
        return bounded(gate, value: value, lower: lower, upper: upper, bounds: bounds, detail: detail)
    }

    private static func bounded(
        _ gate: Gate,
        value: Double,
        lower: Double?,
        upper: Double?,
        bounds: GateBounds,
        detail: String
    ) -> GateResult {
        let status: GateStatus
        switch gate.comparison {
        case .less, .lessOrEqual:
            if let upper, gate.passes(upper) {
                status = .pass
            } else if let lower, !gate.passes(lower) {
                status = .fail
            } else {
                status = .inconclusive
            }
        case .greater, .greaterOrEqual:
            if let lower, gate.passes(lower) {
                status = .pass
            } else if let upper, !gate.passes(upper) {
                status = .fail
            } else {
                status = .inconclusive
            }
        case .equal:
            status = gate.passes(value) ? .pass : .fail
        }
        let reason: String
        switch status {
        case .pass: reason = detail
        case .fail: reason = "\(detail): the whole bound is on the failing side of \(Gate.format(gate.threshold))"
        case .inconclusive, .disturbed, .hostBound:
            reason = "\(detail): the bound straddles \(Gate.format(gate.threshold)); more samples would decide it"
        }
        return GateResult(
            expression: gate.expression,
            gate: gate,
            measured: value,
            passed: status == .pass,
            status: status,
            bounds: bounds,
            reason: reason
        )
    }

    private static func percent(_ fraction: Double) -> String {
        formatNumber(fraction * 100) + " %"
    }
}

/// Whether a gate can be decided from the samples a scenario plans to collect, checked before a run starts.
///
/// ```swift
/// GatePlan.problem(try Gate(parsing: "late_starts rate < 0.01"), plannedAcquires: 40)
/// // "cannot pass with 40 acquires: even 0 of 40 leaves the rate's 95 % upper bound at 6.3 % (≥ 0.01); …"
/// ```
package enum GatePlan {
    /// Why `gate` cannot be decided from `plannedAcquires` measured acquires, or `nil` when it can (or when the
    /// count cannot be planned, e.g. closed-loop workers).
    package static func problem(_ gate: Gate, plannedAcquires: Int?) -> String? {
        guard let n = plannedAcquires else { return nil }
        if gate.statistic == .rate, gate.comparison.wantsSmaller {
            let needed = ConfidenceBounds.trialsForRateBelow(gate.threshold)
            guard n < needed, let bounds = ConfidenceBounds.wilson(events: 0, trials: n) else { return nil }
            return "cannot pass with \(n) measured acquires: even 0 of \(n) leaves the rate's 95 % upper bound at "
                + "\(formatNumber(bounds.upper * 100)) % (not below \(Gate.format(gate.threshold))); it needs at least "
                + "\(needed) acquires, or a threshold above \(formatNumber(bounds.upper))"
        }
        if let percentile = gate.statistic.percentile, gate.metric.kind == .latency || gate.metric.kind == .ratio,
            gate.comparison.wantsSmaller,
            gate.metric.plannedPerAcquire
        {
            let needed = ConfidenceBounds.samplesForUpperBound(percentile: percentile)
            guard n < needed else { return nil }
            return "cannot pass with \(n) measured acquires: the \(gate.statistic.rawValue) of \(n) samples has no "
                + "95 % upper bound (even the largest sample is not one); it needs at least \(needed) samples, or a "
                + "lower percentile"
        }
        return nil
    }

    /// What deciding `gate` takes, in samples, when that can be said before a run: a rate below a threshold
    /// needs enough acquires for 0 events to pass, an upper percentile enough samples for an upper bound.
    ///
    /// ```swift
    /// GatePlan.samplesNeeded(try Gate(parsing: "late_starts rate < 0.01"))  // "≥ 268 measured acquires …"
    /// ```
    package static func samplesNeeded(_ gate: Gate) -> String? {
        if gate.statistic == .rate, gate.comparison.wantsSmaller {
            return "≥ \(ConfidenceBounds.trialsForRateBelow(gate.threshold)) measured acquires (to pass with none)"
        }
        if let percentile = gate.statistic.percentile, gate.metric.kind == .latency || gate.metric.kind == .ratio,
            gate.comparison.wantsSmaller
        {
            return
                "≥ \(ConfidenceBounds.samplesForUpperBound(percentile: percentile)) samples (for its 95 % upper bound)"
        }
        return nil
    }
}

extension Metric {
    /// Whether it gets one sample per measured acquire (served or not), so a scenario's schedule plans its
    /// sample count; the split metrics (warm, on demand) get an unknown share.
    var plannedPerAcquire: Bool {
        switch self {
        case .spawnWarm, .spawnOnDemand: false
        default: kind == .latency || kind == .ratio
        }
    }
}
