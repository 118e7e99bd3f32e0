import Foundation

/// Builds the comparison page section by section, in the order a reader wants: the outcome, how it was
/// decided, the charts, every row, then the gates, notes and the runs compared.
struct ComparisonPage {
    let report: ComparisonReport
    var out = MarkupBuilder()

    init(report: ComparisonReport) {
        self.report = report
    }

    mutating func render() -> String {
        let outcome = report.hasRegression ? "REGRESSED" : "NO REGRESSION"
        out.append(markup: "<!DOCTYPE html>\n")
        out.open("html", ["lang": "en"])
        out.open("head")
        out.element("meta", ["charset": "utf-8"])
        out.element("meta", ["name": "viewport", "content": "width=device-width, initial-scale=1"])
        out.element("title", text: "snapbench compare · \(outcome)")
        out.open("style")
        out.append(markup: "\n" + HTMLStyle.css + "\n" + Self.css + "\n")
        out.close("style")
        out.close("head")
        out.newline()
        out.open("body")
        header(outcome)
        summary()
        charts()
        rows()
        gatesAndNotes()
        runs()
        out.element(
            "p",
            class: "lead",
            text: "Written by snapbench compare (comparison format v\(report.schemaVersion)). Charts are inline SVG."
        )
        out.close("body")
        out.close("html")
        out.newline()
        return out.text
    }

    /// Verdict colours of the row table.
    static let css = """
        tr.regressed td { background: #fdecea; } tr.improved td { background: #e6f4ea; }
        td.noise { color: var(--muted); }
        td.num, td.noise, td.regressed, td.improved { white-space: nowrap; }
        .tally span { display: inline-block; margin-right: 10px; font-weight: 600; }
        .tally .regressed { color: var(--fail); } .tally .improved { color: var(--pass); }
        .tally .noise { color: var(--muted); }
        li.fail { color: var(--fail); font-weight: 600; } li.pass { color: var(--pass); }
        .chart-stack { display: grid; grid-template-columns: 1fr; gap: 16px; max-width: 1100px; }
        @media print { tr.regressed td, tr.improved td { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
        """

    private mutating func header(_ outcome: String) {
        out.open("header")
        out.element("h1", text: "snapbench compare")
        out.open("p")
        out.element("span", class: report.hasRegression ? "verdict fail" : "verdict pass", text: outcome)
        out.append(text: " \(report.rows.count) rows compared")
        out.close("p")
        out.open("p", class: "tally")
        for verdict in ComparisonVerdict.allCases {
            out.element("span", class: Self.style(verdict), text: "\(report.count(of: verdict)) \(verdict.rawValue)")
        }
        out.close("p")
        out.element("p", class: "lead", text: "Base: \(ComparisonReport.describe(report.base)).")
        out.element("p", class: "lead", text: "Candidate: \(ComparisonReport.describe(report.candidate)).")
        out.close("header")
        out.newline()
    }

    private mutating func summary() {
        let settings = report.settings
        out.element("h2", text: "How it was decided")
        out.element(
            "p",
            class: "lead",
            text: "A row REGRESSED (or IMPROVED) when the change of its mean is significant and larger than both "
                + "thresholds; otherwise it is WITHIN NOISE. Larger latencies are worse."
        )
        let subsampled = report.rows.filter {
            $0.base.tested < $0.base.samples || $0.candidate.tested < $0.candidate.samples
        }.count
        var table = HTMLTable(["setting", "value"])
        let rows: [(String, String)] = [
            ("test of the mean", "two-sided permutation test, \(settings.resamples) resamples"),
            ("significant when", "p < \(formatNumber(settings.significance))"),
            (
                "noise threshold",
                "\(formatNumber(settings.noiseThreshold * 100)) % of the base mean, or per row the spread between "
                    + "a side's run means when that is wider"
            ),
            ("minimum change", "\(formatNumber(settings.minimumChangeMilliseconds)) ms"),
            (
                "p95 change",
                "\(formatNumber(settings.confidenceLevel * 100)) % percentile-bootstrap interval, "
                    + "\(settings.bootstrapResamples) resamples"
            ),
            (
                "subsampling",
                "at most \(settings.maximumSamplesPerSide) samples a side are tested; \(subsampled) of "
                    + "\(report.rows.count) rows were subsampled (means and p95s use every sample)"
            ),
            ("seed", String(settings.seed)),
        ]
        for (name, value) in rows { table.append([name, value]) }
        table.render(into: &out)
    }

    private mutating func charts() {
        out.element("h2", text: "Changes")
        out.open("div", class: "chart-stack")
        figure(
            "Change of the mean",
            ComparisonCharts.meanChange(report),
            note: "Bars: (candidate mean − base mean) / base mean. The grey band is the noise threshold; a grey "
                + "whisker on a row is that row's own, wider threshold: the spread between a side's runs.",
            missing: "No metric was measured on both sides."
        )
        figure(
            "Change of p95",
            ComparisonCharts.p95Change(report),
            note: "Dots: candidate p95 − base p95; bars: its bootstrap confidence interval; both in percent of "
                + "the base p95 (hover for milliseconds). An interval without a cap runs past the axis. "
                + "The dashed line is no change.",
            missing: "No metric has a base p95 above zero."
        )
        out.close("div")
    }

    private mutating func figure(_ title: String, _ chart: Chart?, note: String, missing: String) {
        out.open("figure")
        out.element("figcaption", text: title)
        if let chart {
            out.append(markup: chart.svg())
            out.element("p", class: "note", text: note)
        } else {
            out.element("p", class: "empty", text: missing)
        }
        out.close("figure")
        out.newline()
    }

    private mutating func rows() {
        out.element("h2", text: "Every row")
        guard !report.rows.isEmpty else {
            out.element("p", class: "empty", text: "Nothing was compared.")
            return
        }
        let numeric = Set(
            ComparisonRow.alignments.enumerated().filter { $0.element == .right }.map(\.offset)
        )
        var table = HTMLTable(ComparisonRow.columns, numeric: numeric)
        for row in report.rows {
            let cells = row.cells.enumerated().map { index, text in
                HTMLTable.Cell(
                    text: text,
                    numeric: numeric.contains(index),
                    style: index == ComparisonRow.columns.count - 1 ? Self.style(row.verdict) : nil
                )
            }
            table.append(cells, rowClass: row.verdict == .withinNoise ? nil : Self.style(row.verdict))
        }
        table.render(into: &out)
    }

    private mutating func gatesAndNotes() {
        if !report.gateChanges.isEmpty {
            out.element("h2", text: "Gates that changed outcome")
            out.open("ul")
            for change in report.gateChanges {
                out.element(
                    "li",
                    class: change.direction == .nowFailing ? "fail" : "pass",
                    text: ComparisonReport.describe(change)
                )
            }
            out.close("ul")
            out.newline()
        }
        if !report.notes.isEmpty {
            out.element("h2", text: "Notes")
            out.open("ul")
            for note in report.notes { out.element("li", text: note) }
            out.close("ul")
            out.newline()
        }
    }

    private mutating func runs() {
        out.element("h2", text: "Runs compared")
        var table = HTMLTable(["side", "source", "scenario", "started", "backend", "host", "commit", "verdict"])
        let formatter = ISO8601DateFormatter()
        for (side, runs) in [("base", report.base), ("candidate", report.candidate)] {
            for run in runs {
                table.append([
                    HTMLTable.Cell(text: side), HTMLTable.Cell(text: run.source, code: true),
                    HTMLTable.Cell(text: run.scenario), HTMLTable.Cell(text: formatter.string(from: run.startedAt)),
                    HTMLTable.Cell(text: run.backend, style: run.backend == "firecracker" ? nil : "fail"),
                    HTMLTable.Cell(text: run.hostname), HTMLTable.Cell(text: run.commit ?? "–"),
                    HTMLTable.Cell(text: run.verdict.rawValue, style: run.verdict == .pass ? "pass" : "fail"),
                ])
            }
        }
        table.render(into: &out)
    }

    static func style(_ verdict: ComparisonVerdict) -> String {
        switch verdict {
        case .regressed: "regressed"
        case .improved: "improved"
        case .withinNoise: "noise"
        }
    }
}
