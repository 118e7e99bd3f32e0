extension Trend {
    /// A self-contained page: per host class, the metric over its runs (an SVG line with a point per run),
    /// each change point as a rule at its first run, and a table of the changes with their commit ranges.
    ///
    /// ```swift
    /// try trend.html().write(toFile: "history.html", atomically: true, encoding: .utf8)
    /// ```
    package func html() -> String {
        var out = MarkupBuilder()
        out.beginPage(title: "snapbench history: \(title)")
        out.element("h1", text: "snapbench history: \(title)")
        if hosts.isEmpty {
            out.element("p", class: "lead", text: "No runs recorded for this scenario and metric.")
        }
        for host in hosts {
            out.element("h2", text: "\(host.hostClass) (\(host.points.count) runs)")
            out.append(markup: chart(host).svg())
            if host.changes.isEmpty {
                out.element("p", text: "No change point found.")
            } else {
                var table = HTMLTable(
                    ["run", "before", "after", "change", "p", "between commits"],
                    numeric: [0, 1, 2, 3, 4]
                )
                for change in host.changes {
                    table.append([
                        "\(change.index)", formatNumber(change.meanBefore) + " " + unit,
                        formatNumber(change.meanAfter) + " " + unit,
                        (change.relative >= 0 ? "+" : "") + formatNumber(change.relative) + " %",
                        formatNumber(change.pValue), change.commitRange,
                    ])
                }
                table.render(into: &out)
            }
        }
        if !method.isEmpty { out.element("p", class: "lead", text: method) }
        out.endPage(footer: "Written by snapbench history.")
        return out.text
    }

    private func chart(_ host: Host) -> Chart {
        let values = host.points.map(\.value)
        let lower = min(0, values.min() ?? 0)
        let upper = max(values.max() ?? 1, lower + 1) * 1.1
        var chart = Chart(
            title: "\(metric) \(statistic) per run",
            x: .linear(0, Double(max(host.points.count - 1, 1)), integer: true),
            y: .linear(lower, upper),
            xTitle: "run (oldest first)",
            yTitle: "\(metric) \(statistic)\(unit.isEmpty ? "" : " (\(unit))")"
        )
        chart.series = [
            Chart.Series(
                name: "\(statistic) of each run",
                color: 0,
                points: values.enumerated().map { (x: Double($0.offset), y: $0.element) }
            )
        ]
        chart.rules = host.changes.map { change in
            Chart.Rule(
                axis: .x,
                value: Double(change.index) - 0.5,
                label: "change: \(change.commitRange)",
                labelAtTop: true
            )
        }
        return chart
    }
}
