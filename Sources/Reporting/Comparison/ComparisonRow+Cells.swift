/// The cells of a row as the text and Markdown tables print them, so both say the same thing.
extension ComparisonRow {
    static let columns = [
        "scenario", "phase", "metric", "n base", "n cand", "mean base", "mean cand", "change", "noise", "p",
        "p95 base", "p95 cand", "Δp95 [CI]", "verdict",
    ]

    /// Names left, numbers right, the verdict left.
    static let alignments: [TextTable.Alignment] = [
        .left, .left, .left, .right, .right, .right, .right, .right, .right, .right, .right, .right, .right, .left,
    ]

    var cells: [String] {
        [
            scenario, phase, metric, Self.count(base), Self.count(candidate), formatMilliseconds(base.mean),
            formatMilliseconds(candidate.mean), Self.percent(meanChange),
            noiseThreshold.map { "±" + formatMilliseconds($0 * 100, decimals: 1) + " %" } ?? "–",
            Self.probability(pValue),
            formatMilliseconds(base.p95), formatMilliseconds(candidate.p95), Self.interval(p95Change),
            verdict.rawValue,
        ]
    }

    /// A subsampled side shows how many of its samples were tested.
    private static func count(_ side: SideSummary) -> String {
        side.tested < side.samples ? "\(side.samples) (\(side.tested))" : String(side.samples)
    }

    static func percent(_ fraction: Double?) -> String {
        guard let fraction else { return "–" }
        return signed(fraction * 100, decimals: 1) + " %"
    }

    /// p-values to 4 decimals: the smallest a 10 000-resample test can give is 1/10 001.
    private static func probability(_ value: Double) -> String {
        formatMilliseconds(value, decimals: 4)
    }

    private static func interval(_ interval: ConfidenceInterval) -> String {
        "\(signed(interval.estimate)) [\(signed(interval.lower)), \(signed(interval.upper))]"
    }

    /// A change with its sign; one that rounds to zero has none.
    private static func signed(_ value: Double, decimals: Int = 2) -> String {
        let text = formatMilliseconds(abs(value), decimals: decimals)
        guard text.contains(where: { "123456789".contains($0) }) else { return text }
        return (value < 0 ? "-" : "+") + text
    }
}

extension ComparisonReport {
    /// "2 regressed, 0 improved, 57 within noise".
    var tally: String {
        ComparisonVerdict.allCases.map { "\(count(of: $0)) \($0.rawValue)" }.joined(separator: ", ")
    }

    /// The statistics used, in one sentence.
    var method: String {
        "two-sided permutation test of the mean (\(settings.resamples) resamples, significant below p "
            + "\(settings.significance)), noise threshold \(plainPercent(settings.noiseThreshold)) "
            + "of the base mean and at least \(settings.minimumChangeMilliseconds) ms, \(plainPercent(settings.confidenceLevel)) bootstrap interval "
            + "of the p95 change (\(settings.bootstrapResamples) resamples), seed \(settings.seed); times in ms"
    }

    /// "5 %", "99 %", "2.5 %": as few decimals as the value needs.
    private func plainPercent(_ fraction: Double) -> String {
        let value = (fraction * 1000).rounded() / 10
        return (value == value.rounded() ? String(Int(value)) : String(value)) + " %"
    }

    /// "3 reports (smoke, burst, steady)".
    static func describe(_ runs: [ComparedRun]) -> String {
        var scenarios: [String] = []
        for run in runs where !scenarios.contains(run.scenario) { scenarios.append(run.scenario) }
        let noun = runs.count == 1 ? "report" : "reports"
        return "\(runs.count) \(noun) (\(scenarios.joined(separator: ", ")))"
    }

    /// "smoke `restore_ms p95 < 20`: now failing (passed 1 of 1 base runs, 0 of 2 candidate runs)".
    static func describe(_ change: GateChange) -> String {
        "\(change.scenario) `\(change.expression)`: \(change.direction.rawValue) (passed \(change.basePassed) of "
            + "\(change.baseRuns) base runs, \(change.candidatePassed) of \(change.candidateRuns) candidate runs)"
    }
}
