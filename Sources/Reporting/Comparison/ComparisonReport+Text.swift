extension ComparisonReport {
    /// The comparison for a terminal: what was compared and how, the decided rows and the reported rows that
    /// changed (every row with `all`), the gates that changed outcome, the notes, and the tally.
    ///
    /// ```swift
    /// print(comparison.renderText())           // changed rows only
    /// print(comparison.renderText(all: true))  // every row
    /// ```
    package func renderText(all: Bool = false) -> String {
        var lines = [
            "base:      \(Self.describe(base))",
            "candidate: \(Self.describe(candidate))",
            "method:    \(method)",
            "",
        ]
        let shown = all ? rows : rows.filter { $0.decides || $0.verdict != .withinNoise }
        if shown.isEmpty {
            lines.append("No metric changed beyond the noise: every one of \(rows.count) rows is within noise.")
        } else {
            var table = TextTable(columns: ComparisonRow.columns, alignments: ComparisonRow.alignments)
            for row in shown { table.append(row.cells) }
            lines.append(table.render())
            let hidden = rows.count - shown.count
            if hidden > 0 { lines.append("\(hidden) more reported rows within noise (--all lists them).") }
        }
        if !gateChanges.isEmpty {
            lines.append("")
            lines.append("gates:")
            lines += gateChanges.map { "  - " + Self.describe($0) }
        }
        if !notes.isEmpty {
            lines.append("")
            lines.append("notes:")
            lines += notes.map { "  - " + $0 }
        }
        lines.append("")
        lines.append("result: \(tally)")
        return lines.joined(separator: "\n")
    }
}
