import Reporting
import Testing

@Suite("Markdown summary")
struct MarkdownReportTests {
    @Test("verdict, backend, gates and key latencies in a few lines")
    func summary() {
        let markdown = ReportFixture.report().markdown()
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

    @Test("a simulated run says so; pipes and markup in text cannot break the table")
    func escaping() {
        var report = ReportFixture.report(
            scenario: "a|b<c>",
            backend: "simulated",
            gates: [GateResult(expression: "x | y", measured: nil, passed: false, reason: "bad | <worse>")],
            verdict: .incomplete
        )
        report.leakCheck.problems = ["1 child VMM left"]
        let markdown = report.markdown()
        #expect(markdown.hasPrefix("### ⚠️ snapbench a\\|b&lt;c&gt;: INCOMPLETE\n"))
        #expect(markdown.contains("> **Simulated backend:** no Firecracker VM ran"))
        #expect(markdown.contains("| `x \\| y` | – | **FAIL**: bad \\| &lt;worse&gt; |"))
        #expect(markdown.contains("Leak check: 1 child VMM left"))
    }
}
