import Foundation
import FoundationXML
import Reporting
import TestSupport
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
        let html = ReportFixtures.rendered().html()
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

    @Test("the stages of a spawn over vsock show the connect and the agent's reply beside the restore's stages")
    func vsockStages() throws {
        var report = ReportFixtures.rendered()
        #expect(!report.html().contains("vsock_connect p50"))
        report.overall.latencies["vsock_connect"] = ReportFixtures.spectrum([1.1, 1.2, 8.4])
        report.overall.latencies["agent_reply"] = ReportFixtures.spectrum([0.7, 0.8, 4.9])
        let html = report.html()
        for stage in ["vsock_connect", "agent_reply"] {
            #expect(html.contains("\(stage) p50 ") && html.contains("\(stage) p95 "), "\(stage) not in the stages")
        }
    }

    @Test("spectra label their percentile ticks and draw the gated targets")
    func spectra() throws {
        let html = ReportFixtures.rendered().html()
        for label in [">50%<", ">90%<", ">99%<", ">99.9%<"] { #expect(html.contains(label)) }
        // The spawn gate and the restore p99 gate, each as a labelled rule.
        #expect(html.contains("target p95 &lt; 50 ms"))
        #expect(html.contains("target p99 &lt; 15 ms"))
        #expect(html.contains(">spawn_on_demand<"))
    }

    @Test("applied faults are shaded and labelled on every timeline chart; one that was not applied is not")
    func faultBands() throws {
        let document = try Self.parse(ReportFixtures.rendered().html())
        let bands = try document.nodes(forXPath: "//*[local-name()='rect'][@class='band']")
        // Two applied faults on each of the three timeline charts, plus one legend swatch per chart.
        #expect(bands.count == 9)
        let labels = try document.nodes(forXPath: "//*[local-name()='text'][@class='band-label']")
        #expect(
            labels.compactMap(\.stringValue)
                == Array(repeating: ["memory-pressure", "vmm_crash"], count: 3).flatMap { $0 }
        )
        // The instantaneous crash is a thin mark at its instant, not a window to the end of the run.
        let widths = try document.nodes(
            forXPath: "(//*[local-name()='svg'])[6]/*[local-name()='rect'][@class='band']/@width"
        ).compactMap(\.stringValue).compactMap(Double.init)
        try #require(widths.count == 3)
        #expect(widths[1] == 2 && widths[0] > 50)
    }

    @Test("each fault: kind, applied or not, window, targets, effect and what was measured around it")
    func faultDetails() throws {
        let html = ReportFixtures.rendered().html()
        let document = try Self.parse(html)
        let sections = try document.nodes(forXPath: "//h2[.='Faults']/following-sibling::section")
        try #require(sections.count == 3)
        #expect(
            try document.nodes(forXPath: "//section/h3").compactMap(\.stringValue) == [
                "1. memory-pressure APPLIED", "2. vmm_crash APPLIED", "3. disk_full NOT APPLIED",
            ]
        )
        #expect(try document.nodes(forXPath: "//section[@class='fault not-applied']").count == 1)
        func facts(_ index: Int) throws -> [String: String] {
            let names = try sections[index].nodes(forXPath: ".//dt").compactMap(\.stringValue)
            let values = try sections[index].nodes(forXPath: ".//dd").compactMap(\.stringValue)
            return Dictionary(uniqueKeysWithValues: zip(names, values))
        }
        #expect(
            try facts(0) == [
                "window": "4.00 s → 6.50 s (2.50 s)", "parameters": "pressure=80%",
                "targets": "cgroup <pool> limit → 5.2 MiB", "effect": "shed 2 warm VMs",
            ]
        )
        #expect(html.contains("<li>cgroup &lt;pool&gt; limit → 5.2 MiB</li>"))
        #expect(try facts(1)["window"] == "8.00 s (instantaneous)")
        #expect(try sections[1].nodes(forXPath: ".//li").count == 2)
        #expect(try facts(2)["targets"] == "none (not applied)")
        #expect(try facts(2)["parameters"] == "none")

        let headers = try sections[0].nodes(forXPath: ".//th").compactMap(\.stringValue)
        #expect(
            headers == [
                "spawn p95 before (ms)", "during (ms)", "after (ms)", "leases during", "errors during",
                "errors after", "pool events", "reaction (s)", "recovery (s)",
            ]
        )
        #expect(
            try sections[0].nodes(forXPath: ".//td").compactMap(\.stringValue) == [
                "3.70", "9.23", "5.58", "60", "memory_pressure 17", "none", "crashed 2, shed 6", "0.386", "1.30",
            ]
        )
        let crash = try sections[1].nodes(forXPath: ".//td").compactMap(\.stringValue)
        #expect(
            crash == ["16.26", "58.33", "–", "20", "none", "timeout 2", "crashed 2", "0.023", "not back in the run"]
        )
        #expect(try sections[1].nodes(forXPath: ".//td[@class='num fail']").first?.stringValue == "not back in the run")
        #expect(try sections[2].nodes(forXPath: ".//table").isEmpty)
        #expect(
            try sections[2].nodes(forXPath: ".//p").first?.stringValue
                == "Not applied, so nothing was measured around it."
        )
    }

    @Test("an applied fault without observations says nothing was measured")
    func faultWithoutObservations() {
        var report = ReportFixtures.rendered()
        report.faults = [FaultRecord(kind: "hang", startedAt: 1, endedAt: nil, parameters: [:], effect: "frozen")]
        let html = report.html()
        #expect(html.contains("Nothing was measured around this fault."))
        #expect(html.contains("1 scheduled, 1 applied."))
        #expect(html.contains("<dd>none recorded</dd>"))
    }

    @Test("the page needs nothing from the network")
    func selfContained() {
        let html = ReportFixtures.rendered().html()
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
        let html = ReportFixtures.rendered(scenario: "a<b>&'c\"").html()
        #expect(!html.contains("a<b>"))
        #expect(html.contains("snapbench · a&lt;b&gt;&amp;&#39;c&quot;</h1>"))
        #expect(html.contains("A fixture with &lt;markup&gt; &amp; &quot;quotes&quot;"))
        let document = try Self.parse(html)
        let heading = try document.nodes(forXPath: "//h1").first?.stringValue
        #expect(heading == "snapbench · a<b>&'c\"")
    }

    @Test("gates come first with their results; a failed gate says why")
    func gates() throws {
        let document = try Self.parse(ReportFixtures.rendered().html())
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
        let simulated = ReportFixtures.rendered(backend: "simulated").html()
        #expect(simulated.contains("class=\"banner\">SIMULATED BACKEND"))
        #expect(simulated.contains("backend: simulated"))
        #expect(!ReportFixtures.rendered().html().contains("class=\"banner\""))
    }

    @Test("outcomes per phase list every error code; the warm-up is flagged")
    func outcomes() throws {
        let document = try Self.parse(ReportFixtures.rendered().html())
        let headers = try document.nodes(forXPath: "//h2[.='Outcomes per phase']/following-sibling::table[1]//th")
        #expect(headers.compactMap(\.stringValue).contains("timeout"))
        let rows = try document.nodes(forXPath: "//h2[.='Outcomes per phase']/following-sibling::table[1]/tbody/tr")
        #expect(rows.count == 3)
        #expect(rows.first?.stringValue?.contains("warmup (warm-up, not gated)") == true)
    }

    @Test("a report without distributions or timeline says what is missing instead of drawing empty charts")
    func older() throws {
        var report = ReportFixtures.rendered()
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
        var report = ReportFixtures.rendered(gates: [], verdict: .incomplete)
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
