import Reporting
import TestSupport
import Testing

@Suite("Markdown summary")
struct MarkdownReportTests {
    @Test("verdict, backend, gates and key latencies in a few lines")
    func summary() {
        let markdown = ReportFixtures.rendered().markdown()
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "### ❌ snapbench fixture: FAIL")
        #expect(lines[2] == "backend **firecracker** · Firecracker 1.12.1 · 12.5 s · commit `0123456789ab`")
        #expect(lines.contains("| `spawn_ms p95 < 50` | 3.1 | pass |"))
        #expect(lines.contains("| `restore_ms p99 < 15` | 19 | **FAIL**: measured 19.0, needs &lt; 15.0 |"))
        #expect(lines.contains("| spawn | 1.80 | 3.10 | 16.50 | 21.00 | 1000 |"))
        #expect(lines.contains("Outcomes: served 1000, timeout 2 of 1002 scheduled; late starts 3."))
        #expect(lines.contains("Leak check: clean."))
        #expect(!markdown.contains("Simulated backend"))
    }

    @Test("faults in one compact table: when, applied or not, reaction, recovery and the effect shortened")
    func faults() throws {
        let lines = ReportFixtures.rendered().markdown().split(separator: "\n").map(String.init)
        let header = "| fault | at (s) | applied | reaction (s) | recovery (s) | effect |"
        let start = try #require(lines.firstIndex(of: header))
        #expect(
            Array(lines[start + 2..<start + 5]) == [
                "| memory-pressure | 4.00–6.50 | yes | 0.386 | 1.30 | shed 2 warm VMs |",
                "| vmm_crash | 8.00 | yes | 0.023 | not back | "
                    + "pool: crashed ×2; first reaction after 0.023 s; spawn not back before… |",
                "| disk_full | 10.00–11.00 | **no** | – | – | not applied: the simulated backend writes no snapshot files |",
            ]
        )
        var quiet = ReportFixtures.rendered()
        quiet.faults = []
        #expect(!quiet.markdown().contains("| fault |"))
    }

    @Test("a simulated run says so; pipes and markup in text cannot break the table")
    func escaping() {
        var report = ReportFixtures.rendered(
            scenario: "a|b<c>",
            backend: "simulated",
            gates: [GateResult(expression: "x | y", measured: nil, passed: false, reason: "bad | <worse>")],
            verdict: .incomplete
        )
        report.leakCheck.problems = ["1 child VMM left"]
        let markdown = report.markdown()
        #expect(markdown.hasPrefix("### ⚠️ snapbench a\\|b&lt;c&gt;: INCOMPLETE (SIMULATED)\n"))
        #expect(markdown.contains("> **SIMULATED backend:** no Firecracker VM ran"))
        #expect(markdown.contains("| `x \\| y` | – | **FAIL**: bad \\| &lt;worse&gt; |"))
        #expect(markdown.contains("Leak check: 1 child VMM left"))
    }
}
