import Foundation

/// The charts of a comparison: one row of the comparison per category, top to bottom in row order.
enum ComparisonCharts {
    /// "smoke · overall · restore · p95".
    static func label(_ row: ComparisonRow) -> String {
        "\(row.scenario) · \(row.phase) · \(row.metric) · \(row.statistic)"
    }

    /// The colour of a verdict.
    static func color(_ verdict: ComparisonVerdict) -> Int {
        switch verdict {
        case .regressed: Chart.targetColor
        case .improved: 2
        case .withinNoise, .notEnoughRuns: Chart.neutralColor
        }
    }

    /// Each row's change relative to its base, with its bootstrap interval (runs resampled), coloured by verdict,
    /// over the shaded ±noise threshold. `nil` when no row has a base above zero.
    static func changes(_ report: ComparisonReport, rows: [ComparisonRow], title: String) -> Chart? {
        let threshold = report.settings.noiseThreshold * 100
        var intervals: [Chart.Interval] = []
        for (index, row) in rows.enumerated() where row.base.mean > 0 {
            let scale = 100 / row.base.mean
            intervals.append(
                Chart.Interval(
                    y: Double(index),
                    lower: row.change.lower * scale,
                    upper: row.change.upper * scale,
                    estimate: row.change.estimate * scale,
                    color: color(row.verdict),
                    tooltip: "\(label(row)): \(formatMilliseconds(row.base.mean)) → "
                        + "\(formatMilliseconds(row.candidate.mean)) ms over \(row.base.runs)/\(row.candidate.runs) "
                        + "runs (\(ComparisonRow.percent(row.relativeChange))), p = "
                        + "\(formatMilliseconds(row.pValue, decimals: 4)), q = "
                        + "\(formatMilliseconds(row.adjustedPValue, decimals: 4)), \(row.verdict.rawValue)"
                )
            )
        }
        guard !intervals.isEmpty else { return nil }
        // The axis follows the estimates: a metric with a tiny base (dispatch lag) has an interval of hundreds of
        // percent that would squeeze every other row into a few pixels; such ends are cut.
        let reach = Swift.max(threshold * 3, 3 * (intervals.map { abs($0.estimate) }.max() ?? 0))
        let values = intervals.flatMap { [$0.lower, $0.upper] }
        var chart = Chart(
            title: title,
            x: .linear(
                Swift.max(-reach, Swift.min(values.min() ?? 0, -threshold * 1.5)),
                Swift.min(reach, Swift.max(values.max() ?? 0, threshold * 1.5))
            ),
            y: .categories(rows.map(label)),
            xTitle: "change of the mean of the run values (% of the base; bars: "
                + "\(formatNumber(report.settings.confidenceLevel * 100)) % bootstrap interval over runs)",
            yTitle: "scenario · phase · metric · statistic",
            barKeys: [
                Chart.Key(name: "regressed", color: color(.regressed)),
                Chart.Key(name: "improved", color: color(.improved)),
                Chart.Key(name: "within noise / not decided", color: color(.withinNoise)),
            ],
            rules: [Chart.Rule(axis: .x, value: 0, label: "", color: 6)],
            height: 110 + Double(rows.count) * 22
        )
        chart.bands = [Chart.Band(from: -threshold, to: threshold, label: "±\(formatNumber(threshold)) %")]
        chart.bandName = "noise threshold"
        chart.neutralBands = true
        chart.intervals = intervals
        chart.width = 900
        return chart
    }
}
