import Foundation

/// The charts of a comparison: one row of the comparison per category, top to bottom in row order.
enum ComparisonCharts {
    /// How a row's change of the mean is coloured: by verdict, and by significance when within noise.
    enum Shade: CaseIterable {
        case regressed
        case improved
        case significantSmall
        case notSignificant

        var color: Int {
            switch self {
            case .regressed: Chart.targetColor
            case .improved: 2
            case .significantSmall: 0
            case .notSignificant: Chart.neutralColor
            }
        }

        func name(_ settings: ComparisonSettings) -> String {
            switch self {
            case .regressed: "regressed"
            case .improved: "improved"
            case .significantSmall: "significant, below the thresholds"
            case .notSignificant: "not significant (p ≥ \(formatNumber(settings.significance)))"
            }
        }

        init(_ row: ComparisonRow, settings: ComparisonSettings) {
            switch row.verdict {
            case .regressed: self = .regressed
            case .improved: self = .improved
            case .withinNoise: self = row.pValue < settings.significance ? .significantSmall : .notSignificant
            }
        }
    }

    /// "smoke · overall · restore".
    static func label(_ row: ComparisonRow) -> String { "\(row.scenario) · \(row.phase) · \(row.metric)" }

    /// Relative change of each row's mean as a horizontal bar, coloured by verdict and significance, over the
    /// shaded ±noise threshold. `nil` without rows.
    static func meanChange(_ report: ComparisonReport) -> Chart? {
        guard !report.rows.isEmpty else { return nil }
        let threshold = report.settings.noiseThreshold * 100
        let changes = report.rows.compactMap(\.meanChange).map { $0 * 100 }
        var bars: [Chart.Bar] = []
        for (index, row) in report.rows.enumerated() {
            guard let change = row.meanChange else { continue }
            bars.append(
                Chart.Bar(
                    x0: 0,
                    x1: change * 100,
                    y0: Double(index) - 0.35,
                    y1: Double(index) + 0.35,
                    color: Shade(row, settings: report.settings).color,
                    tooltip: "\(label(row)): mean \(formatMilliseconds(row.base.mean)) → "
                        + "\(formatMilliseconds(row.candidate.mean)) ms (\(ComparisonRow.percent(row.meanChange))), "
                        + "p = \(formatMilliseconds(row.pValue, decimals: 4)), \(row.verdict.rawValue)"
                )
            )
        }
        // Rows judged by a wider threshold (the spread between a side's runs) show it as a grey whisker.
        let widened = report.rows.enumerated().compactMap { index, row -> Chart.Interval? in
            guard let own = row.noiseThreshold, own > report.settings.noiseThreshold else { return nil }
            return Chart.Interval(
                y: Double(index),
                lower: -own * 100,
                upper: own * 100,
                estimate: 0,
                color: Chart.neutralColor,
                tooltip: "\(label(row)): noise threshold ±\(formatNumber(own * 100)) % (the spread between runs)"
            )
        }
        let reach = widened.map(\.upper).max() ?? 0
        var chart = Chart(
            title: "Relative change of the mean",
            x: .linear(
                Swift.min(changes.min() ?? 0, -threshold * 1.5, -reach, 0),
                Swift.max(changes.max() ?? 0, threshold * 1.5, reach, 0)
            ),
            y: .categories(report.rows.map(label)),
            xTitle: "change of the mean (% of the base mean)",
            yTitle: "scenario · phase · metric",
            bars: bars,
            barKeys: Shade.allCases.map { Chart.Key(name: $0.name(report.settings), color: $0.color) },
            height: height(rows: report.rows.count)
        )
        chart.bands = [
            Chart.Band(from: -threshold, to: threshold, label: "±\(formatNumber(threshold)) %")
        ]
        chart.bandName = "noise threshold"
        chart.neutralBands = true
        chart.intervals = widened
        chart.width = 900
        return chart
    }

    /// Each row's p95 change with its bootstrap confidence interval, in percent of the base p95: red where
    /// the whole interval is above zero, green where it is below, grey where it includes zero. `nil` when
    /// no row has a base p95 above zero.
    static func p95Change(_ report: ComparisonReport) -> Chart? {
        let level = formatNumber((report.rows.first?.p95Change.level ?? report.settings.confidenceLevel) * 100)
        var intervals: [Chart.Interval] = []
        for (index, row) in report.rows.enumerated() where row.base.p95 > 0 {
            let scale = 100 / row.base.p95
            let interval = row.p95Change
            let color =
                interval.lower > 0 ? Chart.targetColor : interval.upper < 0 ? 2 : Chart.neutralColor
            intervals.append(
                Chart.Interval(
                    y: Double(index),
                    lower: interval.lower * scale,
                    upper: interval.upper * scale,
                    estimate: interval.estimate * scale,
                    color: color,
                    tooltip: "\(label(row)): p95 \(formatMilliseconds(row.base.p95)) → "
                        + "\(formatMilliseconds(row.candidate.p95)) ms, change \(formatMilliseconds(interval.estimate)) "
                        + "ms, \(level) % CI [\(formatMilliseconds(interval.lower)), "
                        + "\(formatMilliseconds(interval.upper))] ms"
                )
            )
        }
        guard !intervals.isEmpty else { return nil }
        // The axis follows the estimates: a metric with a tiny base p95 (dispatch lag) has an interval of
        // hundreds of percent that would squeeze every other row into a few pixels; such ends are cut.
        let reach = Swift.max(10, 3 * (intervals.map { abs($0.estimate) }.max() ?? 0))
        let values = intervals.flatMap { [$0.lower, $0.upper] }
        var chart = Chart(
            title: "Change of p95 with its confidence interval",
            x: .linear(
                Swift.max(-reach, Swift.min(values.min() ?? 0, -1)),
                Swift.min(reach, Swift.max(values.max() ?? 0, 1))
            ),
            y: .categories(report.rows.map(label)),
            xTitle: "change of p95 (% of the base p95; bars: \(level) % bootstrap CI)",
            yTitle: "scenario · phase · metric",
            barKeys: [
                Chart.Key(name: "higher (CI above 0)", color: Chart.targetColor),
                Chart.Key(name: "lower (CI below 0)", color: 2),
                Chart.Key(name: "CI includes 0", color: Chart.neutralColor),
            ],
            rules: [Chart.Rule(axis: .x, value: 0, label: "", color: 6)],
            height: height(rows: report.rows.count)
        )
        chart.intervals = intervals
        chart.width = 900
        return chart
    }

    private static func height(rows: Int) -> Double { 110 + Double(rows) * 22 }
}
