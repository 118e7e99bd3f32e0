import Foundation

extension RunReport {
    /// The report as one self-contained HTML page: inline CSS and SVG charts, no scripts, no network.
    ///
    /// Verdict and gates come first, then latency spectra and histograms against their targets, the stage
    /// breakdown, the timeline of pool state, memory and throughput with fault windows shaded, each fault
    /// (applied or not, its targets, effect and the figures measured around it), outcomes,
    /// the leak check, the environment and the definitions of every measurement. A simulated run is
    /// marked at the top.
    ///
    /// ```swift
    /// let report = try RunReport.readJSON(from: "Reports/smoke.json")
    /// try report.html().write(toFile: "Reports/smoke.html", atomically: true, encoding: .utf8)
    /// ```
    package func html() -> String {
        var page = HTMLReportPage(report: self)
        return page.render()
    }
}

/// Builds the page section by section; each section is a method so the order reads like the page.
struct HTMLReportPage {
    let report: RunReport
    var out = MarkupBuilder()

    init(report: RunReport) {
        self.report = report
    }

    mutating func render() -> String {
        out.beginPage(title: "snapbench · \(report.scenario) · \(report.verdict.rawValue.uppercased())")
        header()
        gates()
        latency()
        timeline()
        faults()
        outcomes()
        leakCheck()
        environment()
        definitions()
        out.endPage(footer: "Written by snapbench (report schema v\(report.schemaVersion)). Charts are inline SVG.")
        return out.text
    }

    // MARK: - Top

    private mutating func header() {
        out.open("header")
        out.element("h1", text: "snapbench · \(report.scenario)")
        out.element("p", class: "lead", text: report.description)
        out.open("p")
        out.element("span", class: "verdict \(report.verdict.rawValue)", text: report.verdict.rawValue.uppercased())
        out.append(text: " " + verdictExplanation)
        out.element(
            "span",
            class: "backend",
            text: "backend: \(report.environment.backend)"
                + (report.environment.firecrackerVersion.map { " \($0)" } ?? "")
        )
        out.close("p")
        out.element(
            "p",
            class: "lead",
            text: "Started \(ISO8601DateFormatter().string(from: report.startedAt)) · ran "
                + String(format: "%.1f s", report.durationSeconds) + " on \(report.environment.hostname)"
                + " (\(report.environment.cpuCount) cores, KVM \(report.environment.kvmFlavour))"
        )
        if !report.isFirecracker {
            out.element(
                "div",
                class: "banner",
                text: "\(report.environment.backend.uppercased()) BACKEND: no Firecracker VM ran in this run. "
                    + "Its latencies are invented by a stand-in for the VMM and measure no build: not valid for a CI "
                    + "gate, and it can never pass a sign-off."
            )
        }
        if report.signOff == true {
            out.element("p", class: "lead", text: "Release sign-off: only real Firecracker may pass it.")
        }
        out.close("header")
        out.newline()
    }

    private var verdictExplanation: String {
        let failed = report.gates.filter { $0.outcome == .fail }.count
        let open = report.gates.filter { $0.outcome == .inconclusive }.count
        let disturbed = report.gates.filter { $0.outcome == .disturbed }.count
        let note = disturbed > 0 ? "; \(disturbed) judged without a host disturbance" : ""
        switch report.verdict {
        case .pass: return "every gate passed (\(report.gates.count))" + note
        case .fail: return "\(failed) of \(report.gates.count) gates failed" + note
        case .inconclusive: return "\(open) of \(report.gates.count) gates could not be decided from the samples" + note
        case .hostBound:
            let bound = report.gates.filter { $0.outcome == .hostBound }.count
            return
                "\(bound) of \(report.gates.count) absolute targets out of this host's reach (host-bound); every gate "
                + "the pool controls passed" + note
        case .incomplete: return "the run could not complete"
        }
    }

    private mutating func gates() {
        out.element("h2", text: "Gates")
        guard !report.gates.isEmpty else {
            out.element("p", class: "empty", text: "This scenario has no gates.")
            return
        }
        var table = HTMLTable(["gate", "measured", "95 % bounds", "result", "reason"], numeric: [1])
        for gate in report.gates {
            let bounds = gate.bounds.map { bounds in
                "\(bounds.lower.map(formatNumber) ?? "–") … \(bounds.upper.map(formatNumber) ?? "∞") (n \(bounds.samples))"
            }
            let (label, style) =
                switch gate.outcome {
                case .pass: ("PASS", "pass")
                case .fail: ("FAIL", "fail")
                case .inconclusive: ("INCONCLUSIVE", "fail")
                case .disturbed: ("PASS (disturbed)", "pass")
                case .hostBound: ("HOST-BOUND", "fail")
                }
            table.append([
                HTMLTable.Cell(text: gate.expression, code: true),
                HTMLTable.Cell(text: gate.measured.map(formatNumber) ?? "–", numeric: true),
                HTMLTable.Cell(text: bounds ?? ""),
                HTMLTable.Cell(text: label, style: style),
                HTMLTable.Cell(text: [gate.reason, gate.disturbance].compactMap { $0 }.joined(separator: " — ")),
            ])
        }
        table.render(into: &out)
        floors()
        disturbances()
    }

    /// The host's own floors the burst gates were judged against, measured at the start of the run.
    private mutating func floors() {
        guard let lines = report.floorSummary, !lines.isEmpty else { return }
        out.element("h3", text: "This host's floors, measured in this run")
        out.open("ul")
        for line in lines { out.element("li", text: line) }
        out.close("ul")
        out.newline()
    }

    /// The windows in which the host, not the run, limited what was measured.
    private mutating func disturbances() {
        guard let disturbances = report.disturbances, !disturbances.isEmpty else { return }
        out.element(
            "p",
            class: "problems",
            text: "The host was disturbed \(disturbances.count) time(s) (shaded amber on the timeline); gates on "
                + "per-acquire figures that failed were judged again without the acquires it touched:"
        )
        var table = HTMLTable(["window (s)", "evidence"])
        for disturbance in disturbances {
            table.append([
                "\(formatNumber(disturbance.start)) – \(formatNumber(disturbance.end))",
                disturbance.evidence.joined(separator: "; "),
            ])
        }
        table.render(into: &out)
    }

    // MARK: - Figures

    /// A captioned chart, or a note saying why there is none.
    mutating func figure(_ title: String, _ chart: Chart?, note: String? = nil, missing: String) {
        out.open("figure")
        out.element("figcaption", text: title)
        if let chart {
            out.append(markup: chart.svg())
        } else {
            out.element("p", class: "empty", text: missing)
        }
        if let note { out.element("p", class: "note", text: note) }
        out.close("figure")
        out.newline()
    }
}
