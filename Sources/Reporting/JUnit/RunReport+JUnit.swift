import Foundation

extension RunReport {
    /// The report as JUnit XML for CI: one `<testsuite>` for the scenario, one `<testcase>` per gate.
    ///
    /// A failed gate is a `<failure>` whose message carries the measured value against the target. A run
    /// that did not pass without any failed gate to show for it gets a `verdict` test case that fails, so a
    /// CI system never reads a failed or incomplete run as green. Backend and versions are properties; the
    /// `<system-out>` summary lists each fault and its effect.
    ///
    /// ```swift
    /// try report.junitXML().write(toFile: "Reports/smoke.junit.xml", atomically: true, encoding: .utf8)
    /// ```
    public func junitXML() -> String {
        var cases = gates.map { gate -> JUnitCase in
            JUnitCase(
                name: gate.expression,
                failure: gate.passed ? nil : Self.failureMessage(gate),
                detail: gate.reason
            )
        }
        if verdict != .pass && !gates.contains(where: { !$0.passed }) {
            cases.append(
                JUnitCase(
                    name: "verdict",
                    failure: "the run's verdict is \(verdict.rawValue)",
                    detail: nil
                )
            )
        }
        let failures = cases.filter { $0.failure != nil }.count
        let suiteName = "snapbench.\(scenario)"
        var out = MarkupBuilder()
        out.append(markup: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        out.open(
            "testsuites",
            ["name": "snapbench", "tests": String(cases.count), "failures": String(failures), "errors": "0"]
        )
        out.newline()
        out.open(
            "testsuite",
            [
                "name": suiteName, "tests": String(cases.count), "failures": String(failures), "errors": "0",
                "skipped": "0", "time": String(format: "%.3f", durationSeconds),
                "timestamp": ISO8601DateFormatter().string(from: startedAt), "hostname": environment.hostname,
            ]
        )
        out.newline()
        out.open("properties")
        let properties: [(String, String?)] = [
            ("verdict", verdict.rawValue), ("backend", environment.backend),
            ("firecracker", environment.firecrackerVersion), ("kvm", environment.kvmFlavour),
            ("commit", environment.commit), ("description", description),
        ]
        for case (let name, let value?) in properties {
            out.element("property", ["name": name, "value": value])
        }
        out.close("properties")
        out.newline()
        for testCase in cases {
            out.open("testcase", ["classname": suiteName, "name": testCase.name, "time": "0"])
            if let failure = testCase.failure {
                out.element("failure", ["message": failure, "type": "gate"], text: testCase.detail ?? failure)
            }
            out.close("testcase")
            out.newline()
        }
        out.element("system-out", text: Self.summary(of: self))
        out.newline()
        out.close("testsuite")
        out.newline()
        out.close("testsuites")
        out.newline()
        return out.text
    }

    /// "measured 63.2, target < 50" for a parsed gate; the gate's own reason otherwise.
    private static func failureMessage(_ gate: GateResult) -> String {
        let measured = gate.measured.map { "measured \(formatNumber($0))" } ?? "not measured"
        guard let parsed = GateExpression(gate.expression) else {
            return "\(gate.expression): \(measured)" + (gate.reason.map { " (\($0))" } ?? "")
        }
        return "\(gate.expression): \(measured), target \(parsed.comparison) \(formatNumber(parsed.threshold))"
    }

    private static func summary(of report: RunReport) -> String {
        var lines = ["verdict: \(report.verdict.rawValue)", "backend: \(report.environment.backend)"]
        for name in ["spawn", "restore"] {
            guard let spectrum = report.overall.latencies[name] else { continue }
            lines.append(
                "\(name): p50 \(formatMilliseconds(spectrum.p50)) ms, p95 \(formatMilliseconds(spectrum.p95)) ms, "
                    + "p99 \(formatMilliseconds(spectrum.p99)) ms, n \(spectrum.count)"
            )
        }
        for fault in report.faults {
            lines.append(
                "fault \(fault.kind) at \(String(format: "%.2f", fault.startedAt)) s "
                    + (fault.applied ? "(applied)" : "(NOT applied)") + ": \(fault.effect)"
            )
        }
        lines.append(
            "leaks: " + (report.leakCheck.problems.isEmpty ? "none" : report.leakCheck.problems.joined(separator: "; "))
        )
        return lines.joined(separator: "\n")
    }
}

private struct JUnitCase {
    var name: String
    /// The failure message, when the case failed.
    var failure: String?
    var detail: String?
}
