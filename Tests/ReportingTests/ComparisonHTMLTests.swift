import Foundation
import FoundationXML
import Reporting
import TestSupport
import Testing

@Suite("Comparison HTML")
struct ComparisonHTMLTests {
    static func parse(_ html: String) throws -> XMLDocument {
        try XMLDocument(xmlString: html.replacingOccurrences(of: "<!DOCTYPE html>", with: ""), options: [])
    }

    static func strings(_ node: XMLNode, _ xpath: String) throws -> [String] {
        try node.nodes(forXPath: xpath).compactMap(\.stringValue)
    }

    /// An attribute by XPath: `XMLElement.attribute(forName:)` finds none on elements in the SVG namespace.
    static func attribute(_ node: XMLNode, _ name: String) -> String? {
        (try? node.nodes(forXPath: "@" + name))?.first?.stringValue
    }

    @Test("the outcome and the decided rows' tally come first; how the verdicts were decided follows")
    func summary() throws {
        let document = try Self.parse(ComparisonFixture.report().html())
        #expect(try Self.strings(document, "//h1") == ["snapbench compare"])
        #expect(try Self.strings(document, "//span[@class='verdict fail']") == ["REGRESSED"])
        #expect(
            try Self.strings(document, "//p[@class='tally']/span")
                == ["1 regressed", "1 improved", "1 within noise", "1 not enough runs to decide"]
        )
        #expect(
            try Self.strings(document, "//h2") == [
                "How it was decided", "Changes", "Every row", "Gates that changed outcome", "Notes", "Runs compared",
            ]
        )
        let settings = try Self.strings(document, "//h2[.='How it was decided']/following-sibling::table[1]//td")
        let pairs = Dictionary(
            uniqueKeysWithValues: stride(from: 0, to: settings.count, by: 2).map { (settings[$0], settings[$0 + 1]) }
        )
        #expect(pairs["unit"] == "one value per run: its mean, its p95")
        #expect(pairs["false discoveries"]?.hasPrefix("Benjamini–Hochberg at 5 %") == true)
        #expect(pairs["runs needed"] == "at least 4 a side")
        #expect(pairs["noise threshold"] == "5 % of the base")
        #expect(pairs["seed"] == "1")
    }

    @Test("every row is in the table, coloured by its verdict; reported rows say so")
    func rows() throws {
        let document = try Self.parse(ComparisonFixture.report().html())
        let rows = try document.nodes(forXPath: "//h2[.='Every row']/following-sibling::table[1]/tbody/tr")
        try #require(rows.count == 6)
        #expect(rows.map { Self.attribute($0, "class") } == ["regressed", "improved", nil, nil, nil, nil])
        let first = try Self.strings(rows[0], "td")
        #expect(first.prefix(5) == ["smoke", "overall", "restore", "mean", "5/5"])
        #expect(first.last == "regressed")
        #expect(try Self.strings(rows[3], "td").last == "within noise (reported)")
        #expect(try Self.strings(rows[5], "td").last == "not enough runs to decide")
        let headers = try Self.strings(document, "//h2[.='Every row']/following-sibling::table[1]//th")
        #expect(headers.last == "verdict" && headers.count == ComparisonRow.columnCount)
    }

    @Test("the change charts: an interval per row with a base above zero, coloured by verdict, over the noise band")
    func charts() throws {
        let document = try Self.parse(ComparisonFixture.report().html())
        #expect(try Self.strings(document, "//figcaption") == ["Decided rows", "Every row"])
        let svgs = try document.nodes(forXPath: "//*[local-name()='svg']")
        try #require(svgs.count == 2)
        let decided = try svgs[0].nodes(forXPath: "*[local-name()='g'][@class='interval']")
        // Four decided rows: regressed, improved, within noise, not enough runs.
        try #require(decided.count == 4)
        #expect(decided.map { Self.attribute($0, "stroke") } == ["#c62828", "#009e73", "#9aa0a6", "#9aa0a6"])
        let title = try decided[0].nodes(forXPath: "*[local-name()='title']").first?.stringValue ?? ""
        #expect(title.hasPrefix("smoke · overall · restore · mean: 12.00 → 17.00 ms over 5/5 runs"))
        #expect(title.hasSuffix("q = 0.0200, regressed"))
        // Every row but the one with a base of 0 has an interval.
        #expect(try svgs[1].nodes(forXPath: "*[local-name()='g'][@class='interval']").count == 5)
        #expect(try svgs[0].nodes(forXPath: "*[local-name()='rect'][@class='band neutral']").count == 2)
        #expect(try Self.strings(svgs[0], "*[local-name()='text'][@class='band-label neutral']") == ["±5 %"])
    }

    @Test("gates, notes and runs are listed, with their text escaped")
    func listsAndEscaping() throws {
        let html = ComparisonFixture.report().html()
        #expect(html.contains("&lt;b&gt;1&lt;/b&gt;"))
        #expect(!html.contains("<b>"))
        let document = try Self.parse(html)
        #expect(
            try Self.strings(document, "//li[@class='fail']")
                == ["smoke `restore_ms p95 < 20`: now failing (passed 1 of 1 base runs, 0 of 1 candidate runs)"]
        )
        let runs = try document.nodes(forXPath: "//h2[.='Runs compared']/following-sibling::table[1]/tbody/tr")
        try #require(runs.count == 4)
        #expect(try Self.strings(runs[0], "td")[1] == "base/<smoke>.json")
        #expect(try Self.strings(runs[2], "td").last == "fail")
    }

    @Test("no regression and inconclusive say so; the page needs nothing from the network")
    func outcomes() throws {
        let calm = ComparisonFixture.report(rows: ComparisonFixture.rows.filter { $0.verdict == .withinNoise })
        #expect(try Self.strings(try Self.parse(calm.html()), "//span[@class='verdict pass']") == ["NO REGRESSION"])
        let open = ComparisonFixture.report(rows: ComparisonFixture.rows.filter { $0.verdict != .regressed })
        #expect(
            try Self.strings(try Self.parse(open.html()), "//span[@class='verdict inconclusive']") == ["INCONCLUSIVE"]
        )
        let html = ComparisonFixture.report().html()
        let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!withoutNamespace.contains("http://") && !withoutNamespace.contains("https://"))
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("src="))
        #expect(html.contains("@media print"))
    }

    @Test("nothing to chart: notes in place of charts and rows")
    func empty() throws {
        let html = ComparisonFixture.report(rows: []).html()
        #expect(html.contains("No decided row has a base above zero."))
        #expect(html.contains("Nothing was compared."))
        #expect(try Self.parse(html).nodes(forXPath: "//*[local-name()='svg']").isEmpty)
    }

    @Test("writeHTML creates the directory and writes the page")
    func write() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("compare-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nested/compare.html").path
        try ComparisonFixture.report().writeHTML(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == ComparisonFixture.report().html())
    }
}
