import Foundation

extension ComparisonReport {
    /// The comparison as Markdown for a CI job to post: the tally as a heading, the changed rows, every row
    /// folded in a `<details>` block, gate changes and notes.
    ///
    /// ```swift
    /// try comparison.renderMarkdown().write(toFile: "compare.md", atomically: true, encoding: .utf8)
    /// ```
    package func renderMarkdown() -> String {
        var lines = [
            "### snapbench compare: \(tally)",
            "",
            "Base: \(Self.escape(Self.describe(base))). Candidate: \(Self.escape(Self.describe(candidate))).",
            "Method: \(Self.escape(method)).",
            "",
        ]
        let shown = rows.filter { $0.decides || $0.verdict != .withinNoise }
        if shown.isEmpty {
            lines.append("No metric changed beyond the noise.")
        } else {
            lines += Self.table(shown)
        }
        lines += ["", "<details><summary>All \(rows.count) rows</summary>", ""]
        lines += Self.table(rows)
        lines += ["", "</details>"]
        if !gateChanges.isEmpty {
            lines += ["", "**Gates that changed outcome**", ""]
            lines += gateChanges.map { "- " + Self.describe($0) }
        }
        if !notes.isEmpty {
            lines += ["", "**Notes**", ""]
            lines += notes.map { "- " + Self.escape($0) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func table(_ rows: [ComparisonRow]) -> [String] {
        let header = "| " + ComparisonRow.columns.joined(separator: " | ") + " |"
        let rule =
            "|" + ComparisonRow.alignments.map { $0 == .right ? "---:" : ":---" }.joined(separator: "|") + "|"
        return [header, rule]
            + rows.map { row in
                var cells = row.cells.map(escape)
                if row.verdict != .withinNoise { cells[cells.count - 1] = "**\(cells[cells.count - 1])**" }
                return "| " + cells.joined(separator: " | ") + " |"
            }
    }

    /// Pipes would split a cell, and angle brackets could open HTML tags.
    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "<", with: "&lt;")
    }
}
