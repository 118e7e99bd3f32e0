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
        let outcome = report.outcome.rawValue.uppercased()
        out.beginPage(title: "snapbench compare · \(outcome)", css: Self.css)
        header(outcome)
        summary()
        charts()
        rows()
        gatesAndNotes()
        runs()
        out.endPage(
            footer: "Written by snapbench compare (comparison format v\(report.schemaVersion)). Charts are inline SVG."
        )
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
        let style =
            switch report.outcome {
            case .regressed: "verdict fail"
            case .inconclusive: "verdict inconclusive"
            case .noRegression: "verdict pass"
            }
        out.element("span", class: style, text: outcome)
        out.append(text: " \(report.rows.filter(\.decides).count) decided rows, \(report.rows.count) in all")
        out.close("p")
        out.open("p", class: "tally")
        for verdict in ComparisonVerdict.allCases {
            out.element(
                "span",
                class: Self.style(verdict),
                text: "\(report.count(of: verdict, decidedOnly: true)) \(verdict.rawValue)"
            )
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
            text: "The run is the unit: each run gives one value per metric and statistic (its mean, its p95). A "
                + "decided row REGRESSED (or IMPROVED) when, after the false-discovery correction over the decided "
                + "rows, its permutation test is a discovery and the change is larger than both thresholds; a row "
                + "with too few runs a side is NOT DECIDED, and the comparison is then inconclusive. Larger "
                + "latencies are worse."
        )
        var table = HTMLTable(["setting", "value"])
        let rows: [(String, String)] = [
            ("unit", "one value per run: its mean, its p95"),
            ("test", "two-sided permutation test over the runs' values (every split counted)"),
            (
                "false discoveries",
                "Benjamini–Hochberg at \(formatNumber(settings.falseDiscoveryLevel * 100)) % over the decided rows; "
                    + "the reported rows are corrected apart"
            ),
            ("decided rows", "overall, for the metrics the scenario's gates name and the headline spawn and restore"),
            ("noise threshold", "\(formatNumber(settings.noiseThreshold * 100)) % of the base"),
            ("minimum change", "\(formatNumber(settings.minimumChangeMilliseconds)) ms"),
            ("runs needed", "at least \(settings.minimumRuns) a side"),
            (
                "intervals",
                "\(formatNumber(settings.confidenceLevel * 100)) % percentile bootstrap over runs, "
                    + "\(settings.bootstrapResamples) resamples; the estimate is the same statistic on the runs"
            ),
            ("seed", String(settings.seed)),
        ]
        for (name, value) in rows { table.append([name, value]) }
        table.render(into: &out)
    }

    private mutating func charts() {
        out.element("h2", text: "Changes")
        out.open("div", class: "chart-stack")
        let decided = report.rows.filter(\.decides)
        figure(
            "Decided rows",
            ComparisonCharts.changes(report, rows: decided, title: "Decided rows: relative change"),
            note: "Dots: the change of the mean of the run values, in percent of the base; bars: its bootstrap "
                + "interval over runs. The grey band is the noise threshold.",
            missing: "No decided row has a base above zero."
        )
        figure(
            "Every row",
            ComparisonCharts.changes(report, rows: report.rows, title: "Every row: relative change"),
            note: "The reported rows too (phases, stages, harness figures); they do not set the outcome.",
            missing: "No row has a base above zero."
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
            table.append(
                cells,
                rowClass: row.verdict == .regressed || row.verdict == .improved ? Self.style(row.verdict) : nil
            )
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
        case .withinNoise, .notEnoughRuns: "noise"
        }
    }
}
