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

    @Test("with devices: their columns, and each variant's cost over the first, in every format")
    func devices() {
        func report(_ variant: String, restore: Double, spawn: Double, devices: DeviceReport?) -> RunReport {
            var report = ReportFixtures.report(
                scenario: "dev." + variant,
                phases: [
                    ReportFixtures.phase(
                        "load",
                        [
                            "spawn": ReportFixtures.spectrum([spawn: 95, spawn * 2: 5]),
                            "restore": ReportFixtures.spectrum([restore: 90, restore + 4: 10]),
                            "set_up": ReportFixtures.spectrum([0.1: 100]),
                        ]
                    )
                ]
            )
            report.devices = devices
            return report
        }
        let jailed = DeviceReport(
            devices: "1 NIC, vsock",
            launch: "jailer (uid 65534, gid 65534)",
            clonesChecked: 40,
            clonesFailed: 1,
            problems: ["no TAP tap0"]
        )
        let table = VariantTable(
            scenario: "dev",
            reports: [
                report("none", restore: 8, spawn: 10, devices: nil),
                report("nic1-jailed", restore: 9.5, spawn: 30, devices: jailed),
            ]
        )
        #expect(table.hasDevices)
        let markdown = table.markdown()
        let row = markdown.split(separator: "\n").first { $0.hasPrefix("| nic1-jailed |") } ?? ""
        #expect(
            row.hasSuffix("| 9.50 | 0.10 | 1 NIC, vsock | jailer (uid 65534, gid 65534) | 39/40 | pass |"),
            "\(row)"
        )
        #expect(markdown.contains("| none |") && markdown.contains("| none | direct | – | pass |"))
        #expect(markdown.contains("## Cost over none"))
        // Δ restore p50 +1.50, Δ restore p95 (12 → 13.5) +1.50, Δ set_up 0, Δ spawn p95 (10 → 30) +20.
        #expect(markdown.contains("| nic1-jailed | +1.50 | +1.50 | +0.00 | +20.00 |"), "\(markdown)")
        #expect(table.text().contains("dev: cost over none (ms)"))
        let html = table.html()
        #expect(html.contains("<h2>Cost over none</h2>") && html.contains("<td>1 NIC, vsock</td>"))
        #expect(jailed.summary == "1 NIC, vsock; jailer (uid 65534, gid 65534): 39 of 40 clones had every device")
        // Without devices, the table is what it was: no device columns, no costs.
        let plain = VariantTable(scenario: "dev", reports: [report("a", restore: 8, spawn: 10, devices: nil)])
        #expect(!plain.hasDevices && plain.costCells().isEmpty && !plain.markdown().contains("Cost over"))
    }

    @Test("with readiness over vsock: the agent's stages, warm and on-demand spawns, and the cost over serial")
    func agent() {
        func report(_ variant: String, spawn: Double, vsock: Bool) -> RunReport {
            var latencies = [
                "spawn": ReportFixtures.spectrum([spawn: 95, spawn * 2: 5]),
                "spawn_warm": ReportFixtures.spectrum([spawn / 2: 100]),
                "spawn_on_demand": ReportFixtures.spectrum([spawn * 2: 100]),
                "readiness": ReportFixtures.spectrum([spawn / 4: 100]),
            ]
            if vsock {
                latencies["vsock_connect"] = ReportFixtures.spectrum([1.0: 50, 8.0: 50])
                latencies["agent_reply"] = ReportFixtures.spectrum([0.5: 50, 5.0: 50])
            }
            return ReportFixtures.report(
                scenario: "agent." + variant,
                phases: [ReportFixtures.phase("load", latencies)]
            )
        }
        let table = VariantTable(
            scenario: "agent",
            reports: [report("serial", spawn: 4, vsock: false), report("vsock", spawn: 12, vsock: true)]
        )
        #expect(
            table.hasAgent && table.columns.contains("vsock_connect p95") && table.columns.contains("agent_reply p50")
        )
        let lines = table.markdown().split(separator: "\n").map(String.init)
        // warm spawn p50/p95 6, on-demand p50/p95 24, vsock_connect p50 1 / p95 8, agent_reply p50 0.5 / p95 5.
        let vsock = lines.first { $0.hasPrefix("| vsock |") } ?? ""
        #expect(vsock.hasSuffix("| 6.00 | 6.00 | 24.00 | 24.00 | 1.00 | 8.00 | 0.50 | 5.00 | pass |"), "\(vsock)")
        let serial = lines.first { $0.hasPrefix("| serial |") } ?? ""
        #expect(serial.hasSuffix("| 2.00 | 2.00 | 8.00 | 8.00 | – | – | – | – | pass |"), "\(serial)")
        // What vsock readiness costs over serial: spawn p95 (4 → 12) +8, warm +4, on demand +16, readiness +2.
        #expect(table.markdown().contains("## Cost over serial"))
        #expect(
            lines.contains { $0.hasPrefix("| vsock |") && $0.hasSuffix("| +8.00 | +4.00 | +4.00 | +16.00 | +2.00 |") },
            "\(lines)"
        )
    }
}
