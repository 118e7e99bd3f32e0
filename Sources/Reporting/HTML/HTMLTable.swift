/// A table for the HTML report: header cells, then rows of escaped cells; numeric columns align right.
struct HTMLTable {
    struct Cell {
        var text: String
        var numeric = false
        var style: String?
        /// Set in `<code>`: expressions and paths.
        var code = false
    }

    var headers: [Cell]
    var rows: [[Cell]] = []
    /// A class per row (`nil`: none), e.g. to colour a row by its verdict.
    var rowClasses: [String?] = []

    init(_ headers: [String], numeric: Set<Int> = []) {
        self.headers = headers.enumerated().map { Cell(text: $0.element, numeric: numeric.contains($0.offset)) }
    }

    mutating func append(_ cells: [Cell], rowClass: String? = nil) {
        rows.append(cells)
        rowClasses.append(rowClass)
    }

    /// Appends plain cells, aligned like their headers.
    mutating func append(_ texts: [String]) {
        append(texts.enumerated().map { Cell(text: $0.element, numeric: headers[$0.offset].numeric) })
    }

    func render(into out: inout MarkupBuilder) {
        out.open("table")
        out.open("thead")
        out.open("tr")
        for header in headers { out.element("th", class: header.numeric ? "num" : nil, text: header.text) }
        out.close("tr")
        out.close("thead")
        out.open("tbody")
        for (row, rowClass) in zip(rows, rowClasses) {
            out.open("tr", class: rowClass)
            for cell in row {
                let classes = [cell.numeric ? "num" : nil, cell.style].compactMap { $0 }.joined(separator: " ")
                if cell.code {
                    out.open("td", class: classes.isEmpty ? nil : classes)
                    out.element("code", text: cell.text)
                    out.close("td")
                } else {
                    out.element("td", class: classes.isEmpty ? nil : classes, text: cell.text)
                }
            }
            out.close("tr")
            out.newline()
        }
        out.close("tbody")
        out.close("table")
        out.newline()
    }
}
