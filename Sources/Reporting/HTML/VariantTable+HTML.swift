import Foundation

extension VariantTable {
    /// The variants side by side as one self-contained HTML page: the table, a chart of the guest's time to
    /// useful work per variant (when the guest did work) and of spawn, and a link to each variant's own report
    /// (`<scenario>.<variant>.html`, written beside it).
    ///
    /// ```swift
    /// let table = VariantTable(scenario: "memory-backends", reports: reports)
    /// try table.html().write(toFile: "Reports/memory-backends.html", atomically: true, encoding: .utf8)
    /// ```
    package func html() -> String {
        var out = MarkupBuilder()
        out.beginPage(title: "snapbench · \(scenario) · variants")
        out.open("header")
        out.element("h1", text: "\(scenario): variants side by side")
        if let description = rows.first?.report.description {
            out.element("p", class: "lead", text: description)
        }
        out.close("header")
        out.open("section")
        out.element("h2", text: "Side by side")
        let columns = self.columns
        let textColumns = hasDevices ? Set(columns.indices.filter { ["devices", "launch"].contains(columns[$0]) }) : []
        var table = HTMLTable(columns, numeric: Set(1..<(columns.count - 1)).subtracting(textColumns))
        for (cells, (_, report)) in zip(cells(), rows) {
            var row = cells.map { HTMLTable.Cell(text: $0) }
            for index in 1..<(row.count - 1) where !textColumns.contains(index) { row[index].numeric = true }
            row[row.count - 1].style = report.verdict.rawValue
            row[0].code = true
            table.append(row)
        }
        table.render(into: &out)
        out.element("p", class: "note", text: "Latencies in milliseconds. " + Self.memoryNote)
        out.close("section")
        let costs = costCells()
        if !costs.isEmpty {
            out.open("section")
            out.element("h2", text: "Cost over \(rows[0].variant)")
            var costTable = HTMLTable(costColumns, numeric: Set(1..<costColumns.count))
            for cells in costs {
                var row = cells.map { HTMLTable.Cell(text: $0) }
                for index in 1..<row.count { row[index].numeric = true }
                row[0].code = true
                costTable.append(row)
            }
            costTable.render(into: &out)
            out.element("p", class: "note", text: costNote)
            out.close("section")
        }
        for (title, chart) in [
            ("Time to useful work", chart(.workingSet, .firstWork, title: "Working set and first work by variant")),
            ("Spawn and restore", chart(.spawn, .restore, title: "Spawn and restore by variant")),
        ] {
            guard let chart else { continue }
            out.open("section")
            out.element("h2", text: title)
            out.open("figure")
            out.append(markup: chart.svg())
            out.close("figure")
            out.close("section")
        }
        out.open("section")
        out.element("h2", text: "Each variant's report")
        out.open("ul")
        for (variant, report) in rows {
            out.open("li")
            out.element("a", ["href": "\(report.scenario).html"], text: variant)
            out.append(text: " — \(report.verdict.rawValue), \(report.environment.backend) backend")
            out.close("li")
        }
        out.close("ul")
        out.close("section")
        out.endPage(footer: "Written by snapbench. Charts are inline SVG.")
        return out.text
    }

    /// p50 and p95 of two latencies per variant, as grouped horizontal bars; `nil` when no variant has either.
    func chart(_ first: Metric, _ second: Metric, title: String) -> Chart? {
        let measures: [(Metric, Statistic)] = [(first, .p50), (first, .p95), (second, .p50), (second, .p95)]
        let present = rows.filter { _, report in
            report.overall.latency(first) != nil || report.overall.latency(second) != nil
        }
        guard !present.isEmpty else { return nil }
        var bars: [Chart.Bar] = []
        var highest = 0.0
        let height = 0.8 / Double(measures.count)
        for (row, (variant, report)) in present.enumerated() {
            for (offset, (metric, statistic)) in measures.enumerated() {
                guard let value = report.overall.latency(metric)?.value(of: statistic) else { continue }
                highest = max(highest, value)
                let start = Double(row) - 0.4 + Double(offset) * height
                bars.append(
                    Chart.Bar(
                        x0: 0,
                        x1: value,
                        y0: start,
                        y1: start + height * 0.9,
                        color: offset,
                        tooltip:
                            "\(variant): \(metric.latencyKey ?? metric.rawValue) \(statistic) \(formatMilliseconds(value)) ms"
                    )
                )
            }
        }
        return Chart(
            title: title,
            x: .linear(0, highest),
            y: .categories(present.map(\.variant)),
            xTitle: "milliseconds",
            yTitle: "variant",
            bars: bars,
            barKeys: measures.enumerated().map {
                Chart.Key(name: "\($1.0.latencyKey ?? $1.0.rawValue) \($1.1.rawValue)", color: $0)
            },
            height: 90 + Double(present.count) * 44
        )
    }
}
