import Foundation
import FoundationXML
import TestSupport
import Testing

@testable import Reporting

@Suite("Scales and charts")
struct ChartTests {
    @Test("a linear scale widens to round steps and labels them")
    func linear() {
        let scale = Scale.linear(0, 87)
        #expect(scale.ticks.map(\.label) == ["0", "20", "40", "60", "80", "100"])
        #expect(scale.fraction(50) == 0.5)
        let small = Scale.linear(0, 0.9)
        #expect(small.ticks.map(\.label) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        // An empty range still gets an axis.
        #expect(Scale.linear(3, 3).upper > 3)
    }

    @Test("a percentile scale gives every nine the same room")
    func percentile() {
        let scale = Scale.percentile(nines: 3)
        #expect(scale.ticks.map(\.label) == ["0%", "50%", "90%", "99%", "99.9%"])
        #expect(abs(scale.fraction(90) - 1.0 / 3) < 1e-9)
        #expect(abs(scale.fraction(99) - 2.0 / 3) < 1e-9)
        #expect(scale.fraction(99.99) == 1)
    }

    @Test("a log scale runs between 1-2-5 steps and keeps only decades when it spans many")
    func log() {
        let scale = Scale.log(1.5, 42)
        #expect(scale.lower == 1)
        #expect(scale.upper == 50)
        #expect(scale.ticks.map(\.label) == ["1", "2", "5", "10", "20", "50"])
        #expect(abs(scale.fraction(10) - log10(10) / log10(50)) < 1e-9)
        let wide = Scale.log(0.01, 900)
        #expect(wide.ticks.map(\.label) == ["0.01", "0.1", "1", "10", "100", "1000"])
    }

    @Test("marks outside the domain are clamped to the plot")
    func clamped() {
        let scale = Scale.linear(0, 10)
        #expect(scale.fraction(-5) == 0)
        #expect(scale.fraction(50) == 1)
        #expect(scale.fraction(.nan) == 0)
    }

    @Test("a chart draws its lines, staircases, bars, rules, bands and a legend entry for each")
    func svg() throws {
        let chart = Chart(
            title: "t <1>",
            x: .linear(0, 10),
            y: .linear(0, 10),
            xTitle: "time (s)",
            yTitle: "VMs",
            series: [
                Chart.Series(name: "warm", color: 0, points: [(0, 1), (5, 3), (10, 2)], step: true),
                Chart.Series(name: "leased", color: 1, points: [(0, 0), (10, 4)]),
            ],
            bars: [Chart.Bar(x0: 1, x1: 2, y0: 0, y1: 5, color: 2, tooltip: "1–2: 5")],
            barKeys: [Chart.Key(name: "served", color: 2)],
            bands: [Chart.Band(from: 4, to: 6, label: "crash")],
            rules: [Chart.Rule(axis: .y, value: 8, label: "target"), Chart.Rule(axis: .x, value: 9, label: "p95")]
        )
        let svg = chart.svg()
        let document = try XMLDocument(xmlString: svg, options: [])
        func nodes(_ path: String) throws -> [XMLNode] { try document.nodes(forXPath: path) }
        let lines = try nodes("//*[local-name()='polyline']/@points").compactMap(\.stringValue)
        // The two lines in the plot (their legend swatches are <line>s).
        try #require(lines.count == 2)
        // The staircase holds each value until the next point: 3 points become 5 vertices.
        #expect(lines[0].split(separator: " ").count == 5)
        #expect(lines[1].split(separator: " ").count == 2)
        #expect(try nodes("//*[local-name()='line'][@class='rule']").count == 2)
        #expect(try nodes("//*[local-name()='rect'][@class='band']").count == 2)
        let legend = try nodes("//*[local-name()='text'][not(@class)]").compactMap(\.stringValue)
        for name in ["warm", "leased", "served", "fault window"] { #expect(legend.contains(name)) }
        #expect(svg.contains("<title>t &lt;1&gt;</title>"))
        #expect(try nodes("//*[local-name()='rect']/*[local-name()='title']").first?.stringValue == "1–2: 5")
    }

    @Test("a filled series is an area closed down to the x axis")
    func area() throws {
        var chart = Chart(title: "a", x: .linear(0, 10), y: .linear(0, 4), xTitle: "x", yTitle: "y")
        chart.series = [Chart.Series(name: "warm", color: 0, points: [(0, 2), (10, 4)], filled: true)]
        let document = try XMLDocument(xmlString: chart.svg(), options: [])
        let polygon = try #require(
            document.nodes(forXPath: "//*[local-name()='polygon']/@points").first?.stringValue
        )
        let bottom = try #require(
            document.nodes(forXPath: "//*[local-name()='line'][@class='axis'][1]/@y1").first?.stringValue
        )
        let vertices = polygon.split(separator: " ").map { $0.split(separator: ",").map(String.init) }
        #expect(vertices.count == 4)
        #expect(vertices.suffix(2).allSatisfy { $0[1] == bottom })
        #expect(try document.nodes(forXPath: "//*[local-name()='polyline']").isEmpty)
    }

    @Test("a spectrum's axis stops at the nines its samples resolve")
    func nines() throws {
        var phase = ReportFixtures.rendered().overall
        var old = ReportFixtures.spectrum([1: 60, 2: 40])
        old.distribution = nil
        phase.latencies = ["spawn": old]
        let chart = try #require(
            ReportCharts.spectrum(title: "s", metrics: [.spawn], target: .spawn, phase: phase, gates: [])
        )
        // 100 samples resolve 99 %; the stored 99.5 … 99.99 % points are left out.
        #expect(chart.x.ticks.last?.label == "99%")
        #expect(chart.series[0].points.map(\.x) == [0, 50, 75, 90, 95, 99])
    }

    @Test("a spectrum follows the recorded distribution: each value from the share of samples below it")
    func curve() {
        let spectrum = ReportFixtures.spectrum([1: 50, 2: 40, 9: 10])
        let points = ReportCharts.curve(spectrum)
        #expect(points.map(\.x) == [0, 50, 90])
        #expect(points.map(\.y) == [1, 2, 9])
        // Without a distribution: the plotted percentiles, less the infinite 100 %.
        var old = spectrum
        old.distribution = nil
        #expect(ReportCharts.curve(old).map(\.x) == [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99])
    }

    @Test("a histogram keeps every sample and reaches the target")
    func histogram() throws {
        let report = ReportFixtures.rendered()
        let chart = try #require(
            ReportCharts.histogram(metric: .spawn, title: "h", phase: report.overall, gates: report.gates)
        )
        #expect(chart.bars.map(\.y1).reduce(0, +) == 1_000)
        #expect(chart.x.upper >= 50)
        #expect(chart.rules.map(\.label) == ["target p95 < 50 ms"])
    }

    @Test("throughput buckets count every served lease of the whole seconds")
    func throughput() throws {
        let report = ReportFixtures.rendered()
        let chart = try #require(ReportCharts.throughput(report))
        // 59 samples served 2 each over 11.8 s; the last 0.8 s bucket is kept (more than half a second).
        #expect(chart.bars.map(\.y1).reduce(0, +) == 118)
        #expect(chart.bars.allSatisfy { $0.y1 == 10 || $0.y1 == 8 })
    }

    @Test("targets come from the run's percentile gates, else from the design")
    func targets() {
        let gated = ReportCharts.targets(for: .restore, gates: ReportFixtures.gates)
        #expect(gated.map(\.milliseconds) == [15])
        #expect(gated.map(\.percentile) == [99])
        let fallback = ReportCharts.targets(for: .spawn, gates: [])
        #expect(fallback.map(\.milliseconds) == [50])
        #expect(ReportCharts.targets(for: .resume, gates: []).isEmpty)
        #expect((try? Gate(parsing: "spawn_ms p95 <")) == nil)
        #expect((try? Gate(parsing: "errors count == 0"))?.statistic.percentile == nil)
    }

    @Test("numbers print without trailing zeros")
    func numbers() {
        #expect(formatNumber(50) == "50")
        #expect(formatNumber(2.5) == "2.5")
        #expect(formatNumber(0.1254) == "0.125")
        #expect(formatNumber(1234.56) == "1234.6")
        #expect(formatPercent(99.9) == "99.9%")
        #expect(formatTick(20_000, step: 10_000) == "20k")
    }
}
