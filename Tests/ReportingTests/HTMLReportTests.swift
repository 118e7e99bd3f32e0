import Foundation
import FoundationXML
import Reporting
import Testing

@Suite("HTML report")
struct HTMLReportTests {
    /// The page parsed as XML: the writer emits well-formed markup, so structure can be asserted exactly.
    static func parse(_ html: String) throws -> XMLDocument {
        let body = html.replacingOccurrences(of: "<!DOCTYPE html>", with: "")
        return try XMLDocument(xmlString: body, options: [])
    }

    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    @Test("a full report has every chart as inline SVG with axes, titles and legends")
    func charts() throws {
        let html = ReportFixture.report().html()
        let document = try Self.parse(html)
        let svgs = try document.nodes(forXPath: "//*[local-name()='svg']")
        // spawn and restore spectra, two histograms, stages, pool state, memory, throughput
        #expect(svgs.count == 8)
        let captions = try document.nodes(forXPath: "//figcaption").compactMap(\.stringValue)
        #expect(
            captions == [
                "Spawn spectrum", "Restore spectrum", "Spawn histogram", "Restore histogram", "Stages of a spawn",
                "Pool state", "Memory", "Throughput",
            ]
        )
        for svg in svgs {
            let axisTitles = try svg.nodes(forXPath: ".//*[local-name()='text'][@class='axis-title']")
            #expect(axisTitles.count == 2)
            let marks = try svg.nodes(
                forXPath: ".//*[local-name()='polyline' or local-name()='polygon' or (local-name()='rect' and @fill)]"
            )
            #expect(!marks.isEmpty)
        }
    }

    @Test("spectra label their percentile ticks and draw the gated targets")
    func spectra() throws {
        let html = ReportFixture.report().html()
        for label in [">50%<", ">90%<", ">99%<", ">99.9%<"] { #expect(html.contains(label)) }
        // The spawn gate and the restore p99 gate, each as a labelled rule.
        #expect(html.contains("target p95 &lt; 50 ms"))
        #expect(html.contains("target p99 &lt; 15 ms"))
        #expect(html.contains(">spawn_on_demand<"))
    }

    @Test("fault windows are shaded and labelled on every timeline chart")
    func faults() throws {
        let document = try Self.parse(ReportFixture.report().html())
        let bands = try document.nodes(forXPath: "//*[local-name()='rect'][@class='band']")
        // One band per timeline chart plus its legend swatch.
        #expect(bands.count == 6)
        let labels = try document.nodes(forXPath: "//*[local-name()='text'][@class='band-label']")
        #expect(labels.compactMap(\.stringValue) == Array(repeating: "memory-pressure", count: 3))
    }

    @Test("the page needs nothing from the network")
    func selfContained() {
        let html = ReportFixture.report().html()
        let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!withoutNamespace.contains("http://"))
        #expect(!withoutNamespace.contains("https://"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        #expect(!html.contains("src="))
        #expect(html.contains("@media print"))
    }

    @Test("text from the report is escaped everywhere")
    func escaping() throws {
        let html = ReportFixture.report(scenario: "a<b>&'c\"").html()
        #expect(!html.contains("a<b>"))
        #expect(html.contains("snapbench · a&lt;b&gt;&amp;&#39;c&quot;</h1>"))
        #expect(html.contains("A fixture with &lt;markup&gt; &amp; &quot;quotes&quot;"))
        let document = try Self.parse(html)
        let heading = try document.nodes(forXPath: "//h1").first?.stringValue
        #expect(heading == "snapbench · a<b>&'c\"")
    }

    @Test("gates come first with their results; a failed gate says why")
    func gates() throws {
        let document = try Self.parse(ReportFixture.report().html())
        let rows = try document.nodes(forXPath: "//h2[.='Gates']/following-sibling::table[1]/tbody/tr")
        #expect(rows.count == 3)
        let failed = try document.nodes(forXPath: "//td[@class='fail']/..").first?.stringValue ?? ""
        #expect(failed.contains("restore_ms p99 < 15"))
        #expect(failed.contains("measured 19.0, needs < 15.0"))
        let verdict = try document.nodes(forXPath: "//span[contains(@class,'verdict')]").first?.stringValue
        #expect(verdict == "FAIL")
    }

    @Test("a simulated run is marked at the top; a Firecracker run is not")
    func simulated() {
        let simulated = ReportFixture.report(backend: "simulated").html()
        #expect(simulated.contains("class=\"banner\">SIMULATED BACKEND"))
        #expect(simulated.contains("backend: simulated"))
        #expect(!ReportFixture.report().html().contains("class=\"banner\""))
    }

    @Test("outcomes per phase list every error code; the warm-up is flagged")
    func outcomes() throws {
        let document = try Self.parse(ReportFixture.report().html())
        let headers = try document.nodes(forXPath: "//h2[.='Outcomes per phase']/following-sibling::table[1]//th")
        #expect(headers.compactMap(\.stringValue).contains("timeout"))
        let rows = try document.nodes(forXPath: "//h2[.='Outcomes per phase']/following-sibling::table[1]/tbody/tr")
        #expect(rows.count == 3)
        #expect(rows.first?.stringValue?.contains("warmup (warm-up, not gated)") == true)
    }

    @Test("a report without distributions or timeline says what is missing instead of drawing empty charts")
    func older() throws {
        var report = ReportFixture.report()
        report.overall.latencies = report.overall.latencies.mapValues { spectrum in
            var old = spectrum
            old.distribution = nil
            return old
        }
        report.timeline = []
        report.faults = []
        let html = report.html()
        let document = try Self.parse(html)
        // spectra (from the plotted percentiles) and stages remain
        #expect(try document.nodes(forXPath: "//*[local-name()='svg']").count == 3)
        #expect(Self.count("predates recorded distributions", in: html) == 2)
        #expect(Self.count("No timeline samples were recorded.", in: html) == 3)
        #expect(html.contains("No faults were injected."))
    }

    @Test("a run that measured nothing still renders, with notes in place of charts")
    func empty() throws {
        var report = ReportFixture.report(gates: [], verdict: .incomplete)
        report.overall.latencies = [:]
        report.phases = []
        report.timeline = []
        report.definitions = [:]
        report.leakCheck.problems = ["1 child VMM left"]
        let html = report.html()
        #expect(try Self.parse(html).nodes(forXPath: "//*[local-name()='svg']").isEmpty)
        #expect(html.contains("No spawn was measured."))
        #expect(html.contains("This scenario has no gates."))
        #expect(html.contains("the run could not complete"))
        #expect(html.contains("1 problem(s): 1 child VMM left"))
    }
}
