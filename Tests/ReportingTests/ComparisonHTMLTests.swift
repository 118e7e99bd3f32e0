import Foundation
import FoundationXML
import Reporting
import Testing

@Suite("Comparison HTML")
struct ComparisonHTMLTests {
    @Test("a row judged by the spread between runs shows its own threshold as a whisker; others show none")
    func widenedThreshold() throws {
        var widened = ComparisonFixture.rows[0]
        widened.noiseThreshold = 0.3
        var plain = ComparisonFixture.rows[1]
        plain.noiseThreshold = 0.05
        let html = ComparisonFixture.report(rows: [widened, plain]).html()
        _ = try Self.parse(html)
        #expect(html.contains("noise threshold ±30 % (the spread between runs)"))
        #expect(html.components(separatedBy: "(the spread between runs)</title>").count - 1 == 1)
    }

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

    @Test("the outcome and the tally come first; how the verdicts were decided follows")
    func summary() throws {
        let document = try Self.parse(ComparisonFixture.report().html())
        #expect(try Self.strings(document, "//h1") == ["snapbench compare"])
        #expect(try Self.strings(document, "//span[@class='verdict fail']") == ["REGRESSED"])
        #expect(
            try Self.strings(document, "//p[@class='tally']/span")
                == ["1 regressed", "1 improved", "3 within noise"]
        )
        #expect(
            try Self.strings(document, "//h2") == [
                "How it was decided", "Changes", "Every row", "Gates that changed outcome", "Notes", "Runs compared",
            ]
        )
        let settings = try Self.strings(document, "//h2[.='How it was decided']/following-sibling::table[1]//td")
        let pairs = Dictionary(
            uniqueKeysWithValues: stride(from: 0, to: settings.count, by: 2).map {
                (settings[$0], settings[$0 + 1])
            }
        )
        #expect(pairs["test of the mean"] == "two-sided permutation test, 10000 resamples")
        #expect(pairs["significant when"] == "p < 0.01")
        #expect(
            pairs["noise threshold"]
                == "5 % of the base mean, or per row the spread between a side's run means when that is wider"
        )
        #expect(pairs["minimum change"] == "0.05 ms")
        #expect(pairs["p95 change"] == "99 % percentile-bootstrap interval, 2000 resamples")
        #expect(
            pairs["subsampling"]
                == "at most 2000 samples a side are tested; 1 of 5 rows were subsampled (means and p95s use every sample)"
        )
        #expect(pairs["seed"] == "1")
    }

    @Test("every row is in the table, coloured by its verdict")
    func rows() throws {
        let document = try Self.parse(ComparisonFixture.report().html())
        let rows = try document.nodes(forXPath: "//h2[.='Every row']/following-sibling::table[1]/tbody/tr")
        try #require(rows.count == 5)
        #expect(rows.map { Self.attribute($0, "class") } == ["regressed", "improved", nil, nil, nil])
        let verdicts = try rows.map { try $0.nodes(forXPath: "td[last()]").first.map { Self.attribute($0, "class") } }
        #expect(verdicts == ["regressed", "improved", "noise", "noise", "noise"])
        let first = try Self.strings(rows[0], "td")
        #expect(first.first == "smoke" && first[2] == "restore" && first[7] == "+41.7 %")
        // A subsampled side shows how many samples were tested.
        #expect(try Self.strings(rows[4], "td")[3] == "5000 (2000)")
        let headers = try Self.strings(document, "//h2[.='Every row']/following-sibling::table[1]//th")
        #expect(headers.last == "verdict" && headers.count == 14)
    }

    @Test("the mean chart: a bar per measurable row, coloured by verdict and significance, over the noise band")
    func meanChart() throws {
        let document = try Self.parse(ComparisonFixture.report().html())
        #expect(try Self.strings(document, "//figcaption") == ["Change of the mean", "Change of p95"])
        let svgs = try document.nodes(forXPath: "//*[local-name()='svg']")
        try #require(svgs.count == 2)
        let bars = try svgs[0].nodes(forXPath: "*[local-name()='rect'][*[local-name()='title']]")
        // dispatch_lag has a base mean of 0: no relative change to draw.
        try #require(bars.count == 4)
        #expect(bars.map { Self.attribute($0, "fill") } == ["#c62828", "#009e73", "#0072b2", "#9aa0a6"])
        #expect(
            try bars[0].nodes(forXPath: "*[local-name()='title']").first?.stringValue
                == "smoke · overall · restore: mean 12.00 → 17.00 ms (+41.7 %), p = 0.0001, regressed"
        )
        // The regressed bar grows right of zero, the improved one left of it.
        let zero = try #require(Self.tickX(svgs[0], "0"))
        #expect(Double(Self.attribute(bars[0], "x") ?? "") ?? 0 >= zero - 0.1)
        #expect(
            (Double(Self.attribute(bars[1], "x") ?? "") ?? 0) + (Double(Self.attribute(bars[1], "width") ?? "") ?? 0)
                <= zero + 0.1
        )
        #expect(try svgs[0].nodes(forXPath: "*[local-name()='rect'][@class='band neutral']").count == 2)
        #expect(try Self.strings(svgs[0], "*[local-name()='text'][@class='band-label neutral']") == ["±5 %"])
        let legend = try Self.strings(svgs[0], "*[local-name()='text'][not(@class)]")
        for name in [
            "regressed", "improved", "significant, below the thresholds", "not significant (p ≥ 0.01)",
            "noise threshold",
        ] {
            #expect(legend.contains(name), "legend lacks \(name)")
        }
        let categories = try Self.strings(svgs[0], "*[local-name()='text'][@text-anchor='end']")
        #expect(categories.contains("smoke · steady · dispatch_lag"))
    }

    @Test("the p95 chart: an error bar per row with a base p95, red when its interval is above zero")
    func p95Chart() throws {
        let document = try Self.parse(ComparisonFixture.report().html())
        let svg = try #require(try document.nodes(forXPath: "//*[local-name()='svg']").last)
        let intervals = try svg.nodes(forXPath: "*[local-name()='g'][@class='interval']")
        try #require(intervals.count == 4)
        #expect(intervals.map { Self.attribute($0, "stroke") } == ["#c62828", "#009e73", "#9aa0a6", "#9aa0a6"])
        for interval in intervals {
            #expect(try interval.nodes(forXPath: "*[local-name()='line']").count == 3)
            #expect(try interval.nodes(forXPath: "*[local-name()='circle']").count == 1)
        }
        #expect(
            try intervals[0].nodes(forXPath: "*[local-name()='title']").first?.stringValue
                == "smoke · overall · restore: p95 15.00 → 20.10 ms, change 5.10 ms, 99 % CI [4.60, 5.80] ms"
        )
        // In percent of the base p95: the estimate 5.1 / 15 = 34 % lies between the caps at 30.7 % and 38.7 %.
        let lines = try intervals[0].nodes(forXPath: "*[local-name()='line']")
        let caps = lines.dropFirst().compactMap { Double(Self.attribute($0, "x1") ?? "") }
        let dot = try #require(
            Double(Self.attribute(try intervals[0].nodes(forXPath: "*[local-name()='circle']")[0], "cx") ?? "")
        )
        #expect(caps.count == 2 && caps[0] < dot && dot < caps[1])
        // The dashed line at zero is unlabelled: a label would sit on the first row's marks.
        #expect(try svg.nodes(forXPath: "*[local-name()='line'][@class='rule']").count == 1)
        #expect(try svg.nodes(forXPath: "*[local-name()='text'][@class='rule-label']").isEmpty)
        #expect(
            try Self.strings(svg, "*[local-name()='text'][@class='axis-title']").first
                == "change of p95 (% of the base p95; bars: 99 % bootstrap CI)"
        )
    }

    @Test("the p95 axis follows the estimates; an interval far wider than them is cut and left open")
    func p95ClippedInterval() throws {
        let jittery = ComparisonFixture.row(
            "smoke",
            "overall",
            "dispatch_lag",
            base: ComparisonFixture.side(0.008, 0.01),
            candidate: ComparisonFixture.side(0.008, 0.01),
            p: 0.9,
            p95: (0, -0.05, 0.06),
            .withinNoise
        )
        let html = ComparisonFixture.report(rows: [ComparisonFixture.rows[0], jittery]).html()
        let svg = try #require(try Self.parse(html).nodes(forXPath: "//*[local-name()='svg']").last)
        let intervals = try svg.nodes(forXPath: "*[local-name()='g'][@class='interval']")
        try #require(intervals.count == 2)
        // The regressed row (+34 %) keeps both caps; the ±500 % interval has none.
        #expect(try intervals[0].nodes(forXPath: "*[local-name()='line']").count == 3)
        #expect(try intervals[1].nodes(forXPath: "*[local-name()='line']").count == 1)
        let ticks = try svg.nodes(forXPath: "*[local-name()='text'][@text-anchor='middle'][not(@class)]")
            .compactMap(\.stringValue).compactMap(Double.init)
        #expect((ticks.min() ?? 0) >= -150 && (ticks.max() ?? 0) <= 150, "\(ticks)")
    }

    @Test("gates, notes and runs are listed, with their text escaped")
    func listsAndEscaping() throws {
        let html = ComparisonFixture.report().html()
        #expect(html.contains("&lt;b&gt;5000&lt;/b&gt;"))
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

    @Test("no regression says so; the page needs nothing from the network")
    func calm() throws {
        let rows = ComparisonFixture.rows.filter { $0.verdict != .regressed }
        let html = ComparisonFixture.report(rows: rows).html()
        #expect(try Self.strings(try Self.parse(html), "//span[@class='verdict pass']") == ["NO REGRESSION"])
        let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!withoutNamespace.contains("http://") && !withoutNamespace.contains("https://"))
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("src="))
        #expect(html.contains("@media print"))
    }

    @Test("nothing to chart: notes in place of charts and rows")
    func empty() throws {
        let none = ComparisonFixture.report(rows: [])
        let html = none.html()
        #expect(html.contains("No metric was measured on both sides."))
        #expect(html.contains("No metric has a base p95 above zero."))
        #expect(html.contains("Nothing was compared."))
        #expect(try Self.parse(html).nodes(forXPath: "//*[local-name()='svg']").isEmpty)
        // Only a row without a base mean or p95: an axis of categories, but no interval to draw.
        let zero = ComparisonFixture.report(rows: [ComparisonFixture.rows[3]]).html()
        #expect(try Self.parse(zero).nodes(forXPath: "//*[local-name()='svg']").count == 1)
        #expect(zero.contains("No metric has a base p95 above zero."))
    }

    @Test("writeHTML creates the directory and writes the page")
    func write() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("compare-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nested/compare.html").path
        try ComparisonFixture.report().writeHTML(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == ComparisonFixture.report().html())
    }

    /// The x of the tick labelled `label` on the chart's x axis.
    static func tickX(_ svg: XMLNode, _ label: String) -> Double? {
        let texts = (try? svg.nodes(forXPath: "*[local-name()='text'][@text-anchor='middle'][not(@class)]")) ?? []
        return texts.first { $0.stringValue == label }.flatMap { Double(attribute($0, "x") ?? "") }
    }
}
