import Reporting
import Testing

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
        // spawn p50 / p95, restore (absent), working_set p50 / p95, first_work p95, VMM PSS (fixture: 0.5 MiB each).
        #expect(uffd.hasPrefix("| uffd-all | 2.00 | 4.00 | – | 5.00 | 9.00 | 12.00 | 0.5 | 2.0 | fail |"), "\(uffd)")
        #expect(lines.contains { $0.hasPrefix("| file-warm | – | – | – | – | – | – | – | – | pass |") })
    }
}
