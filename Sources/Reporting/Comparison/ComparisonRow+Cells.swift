/// The cells of a row as the text and Markdown tables print them, so both say the same thing.
extension ComparisonRow {
    static let columns = [
        "scenario", "phase", "metric", "stat", "runs", "base", "cand", "change [95 % CI]", "rel", "p", "q",
        "verdict",
    ]

    /// How many cells a row has.
    package static var columnCount: Int { columns.count }

    /// Names left, numbers right, the verdict left.
    static let alignments: [TextTable.Alignment] = [
        .left, .left, .left, .left, .right, .right, .right, .right, .right, .right, .right, .left,
    ]

    var cells: [String] {
        [
            scenario, phase, metric, statistic, "\(base.runs)/\(candidate.runs)", formatMilliseconds(base.mean),
            formatMilliseconds(candidate.mean), Self.interval(change), Self.percent(relativeChange),
            Self.probability(pValue), Self.probability(adjustedPValue),
            verdict.rawValue + (decides ? "" : " (reported)"),
        ]
    }

    static func percent(_ fraction: Double?) -> String {
        guard let fraction else { return "–" }
        return signed(fraction * 100, decimals: 1) + " %"
    }

    /// p-values to 4 decimals: with 5 runs a side the smallest is 2/252 = 0.0079.
    private static func probability(_ value: Double) -> String {
        formatMilliseconds(value, decimals: 4)
    }

    private static func interval(_ interval: ConfidenceInterval) -> String {
        "\(signed(interval.estimate)) [\(signed(interval.lower)), \(signed(interval.upper))]"
    }

    /// A change with its sign; one that rounds to zero has none.
    static func signed(_ value: Double, decimals: Int = 2) -> String {
        let text = formatMilliseconds(abs(value), decimals: decimals)
        guard text.contains(where: { "123456789".contains($0) }) else { return text }
        return (value < 0 ? "-" : "+") + text
    }
}

extension ComparisonReport {
    /// "decided: 2 regressed, 0 improved, 4 within noise; reported: …".
    var tally: String {
        func counts(decided: Bool) -> String {
            ComparisonVerdict.allCases.compactMap { verdict in
                let count = rows.filter { $0.decides == decided && $0.verdict == verdict }.count
                return count > 0 || verdict != .notEnoughRuns ? "\(count) \(verdict.rawValue)" : nil
            }.joined(separator: ", ")
        }
        return "\(outcome.rawValue.uppercased()) — decided rows: \(counts(decided: true)); reported rows: "
            + counts(decided: false)
    }

    /// The statistics used, in one sentence.
    var method: String {
        "the run is the unit: each run's mean and p95 per metric; two-sided permutation test over the runs "
            + "(exact), Benjamini–Hochberg false-discovery level \(plainPercent(settings.falseDiscoveryLevel)) "
            + "over the decided rows (gated and headline metrics, overall), and a change must exceed "
            + "\(plainPercent(settings.noiseThreshold)) of the base and \(settings.minimumChangeMilliseconds) ms; "
            + "\(plainPercent(settings.confidenceLevel)) bootstrap intervals over runs "
            + "(\(settings.bootstrapResamples) resamples), seed \(settings.seed); at least \(settings.minimumRuns) "
            + "runs a side to decide; times in ms"
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
