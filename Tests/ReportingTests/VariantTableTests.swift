import TestSupport
import Testing

@testable import Reporting

@Suite("Variants side by side")
struct VariantTableTests {
    @Test("one row per variant: its name less the scenario's, latencies, VMM memory and verdict")
    func rows() {
        let fast = ReportFixtures.phase(
            "work",
            [
                "spawn": ReportFixtures.spectrum([2.0: 90, 4.0: 10]),
                "working_set": ReportFixtures.spectrum([5.0: 90, 9.0: 10]),
                "first_work": ReportFixtures.spectrum([7.0: 90, 12.0: 10]),
            ]
        )
        var served = ReportFixtures.report(scenario: "mem.uffd-all", phases: [fast], verdict: .fail)
        served.timeline = ReportFixtures.timeline()
        let plain = ReportFixtures.report(scenario: "mem.file-warm", phases: [ReportFixtures.phase("work", [:])])
        let table = VariantTable(scenario: "mem", reports: [plain, served])
        #expect(table.rows.map(\.variant) == ["file-warm", "uffd-all"])
        let text = table.text()
        #expect(text.hasPrefix("mem: variants side by side"))
        let lines = table.markdown().split(separator: "\n")
        let uffd = lines.first { $0.hasPrefix("| uffd-all |") }.map(String.init) ?? ""
        // spawn p50 / p95, restore (absent), working_set p50 / p95, first_work p95, VMM PSS (fixture: 0.5 MiB each),
        // this process's largest RSS (fixture: 40 590 000 bytes).
        #expect(
            uffd.hasPrefix("| uffd-all | 2.00 | 4.00 | – | 5.00 | 9.00 | 12.00 | 0.5 | 2.0 | 38.7 | fail |"),
            "\(uffd)"
        )
        #expect(lines.contains { $0.hasPrefix("| file-warm | – | – | – | – | – | – | – | – | – | pass |") })

        let html = table.html()
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<h1>mem: variants side by side</h1>"))
        #expect(html.contains("<code>uffd-all</code>") && html.contains("<td class=\"num\">38.7</td>"))
        #expect(html.contains("<td class=\"fail\">fail</td>"))
        // Each variant links to its own report; the charts show the variant that has the figures.
        #expect(html.contains("<a href=\"mem.file-warm.html\">file-warm</a>"))
        #expect(html.contains("uffd-all: first_work p95 12.00 ms"), "a bar per figure, named in its tooltip")
        #expect(html.split(separator: "<svg", omittingEmptySubsequences: false).count == 3, "two charts")
        #expect(table.chart(.readiness, .resume, title: "none") == nil)
    }
}
