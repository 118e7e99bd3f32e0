import Foundation

/// A plain-text table with aligned columns, for terminals and logs.
///
/// ```swift
/// var table = TextTable(columns: ["stage", "p50 ms"], alignments: [.left, .right])
/// table.append(["load", "12.40"])
/// print(table.render())
/// ```
package struct TextTable: Sendable, Equatable {
    /// How a column's cells line up.
    package enum Alignment: Sendable, Equatable {
        case left
        case right
    }

    /// Column headers.
    package var columns: [String]
    /// One alignment per column.
    package var alignments: [Alignment]
    /// The rows, each with one cell per column.
    package private(set) var rows: [[String]] = []

    /// Creates an empty table; columns without an alignment are left-aligned.
    package init(columns: [String], alignments: [Alignment] = []) {
        self.columns = columns
        self.alignments = (0..<columns.count).map { $0 < alignments.count ? alignments[$0] : .left }
    }

    /// Appends a row; missing cells are empty, extra cells are dropped.
    package mutating func append(_ row: [String]) {
        rows.append((0..<columns.count).map { $0 < row.count ? row[$0] : "" })
    }

    /// The table as lines of text: header, a rule, then the rows.
    package func render() -> String {
        let widths = columns.indices.map { column in
            ([columns[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - cells[column].count)
                return alignments[column] == .left ? cells[column] + padding : padding + cells[column]
            }
            .joined(separator: "  ")
            .trimmingTrailingSpaces()
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(columns), rule] + rows.map(line)).joined(separator: "\n")
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}

/// Formats a millisecond figure with a fixed number of decimals, or "–" when absent.
///
/// ```swift
/// formatMilliseconds(12.345)  // "12.35"
/// ```
package func formatMilliseconds(_ value: Double?, decimals: Int = 2) -> String {
    guard let value else { return "–" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if let dot = text.firstIndex(of: ".") {
        let have = text.distance(from: dot, to: text.endIndex) - 1
        if have < decimals { text += String(repeating: "0", count: decimals - have) }
    } else if decimals > 0 {
        text += "." + String(repeating: "0", count: decimals)
    }
    return text
}

/// A number with up to three decimals and no trailing zeros: "50", "2.5", "0.125"; one decimal from 100 up.
///
/// ```swift
/// formatNumber(2.5)      // "2.5"
/// formatNumber(1234.56)  // "1234.6"
/// ```
package func formatNumber(_ value: Double) -> String {
    guard value.isFinite else { return value > 0 ? "∞" : value < 0 ? "-∞" : "NaN" }
    var text = String(format: abs(value) >= 100 ? "%.1f" : "%.3f", value)
    while text.contains("."), text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}
