import Foundation

extension RunReport {
    /// The report as JUnit XML for CI: one `<testsuite>` for the scenario, one `<testcase>` per gate.
    ///
    /// A failed gate is a `<failure>` whose message carries the measured value against the target; an
    /// inconclusive one is a `<failure type="inconclusive">` (not green: the samples did not decide it), a
    /// host-bound one a `<failure type="host-bound">` (the host's own floor left the target no room); a gate
    /// judged without a host disturbance passes with the evidence in its `<system-out>`. A simulated run gets a
    /// failing `backend is firecracker` case that says its numbers are invented; a run that did not pass
    /// without any failed case to show for it gets a failing `verdict` case, so a CI system never reads a
    /// failed, inconclusive, incomplete or simulated run as green. Backend and versions are properties; the
    /// `<system-out>` summary lists each fault and its effect.
    ///
    /// ```swift
    /// try report.junitXML().write(toFile: "Reports/smoke.junit.xml", atomically: true, encoding: .utf8)
    /// ```
    package func junitXML() -> String {
        var cases = gates.map { gate -> JUnitCase in
            switch gate.outcome {
            case .pass: JUnitCase(name: gate.expression, failure: nil, detail: gate.reason)
            case .disturbed: JUnitCase(name: gate.expression, failure: nil, detail: gate.disturbance)
            case .fail: JUnitCase(name: gate.expression, failure: Self.failureMessage(gate), detail: gate.reason)
            case .inconclusive:
                JUnitCase(
                    name: gate.expression,
                    failure: "inconclusive: " + (gate.disturbance ?? gate.reason ?? "the samples cannot decide it"),
                    kind: "inconclusive",
                    detail: gate.disturbance ?? gate.reason
                )
            case .hostBound:
                JUnitCase(
                    name: gate.expression,
                    failure: gate.reason ?? "host-bound: this host's own floor leaves the target no room",
                    kind: "host-bound",
                    detail: gate.reason
                )
            }
        }
        if !isFirecracker, !gates.contains(where: { $0.expression == "backend is firecracker" }) {
            cases.append(
                JUnitCase(
                    name: "backend is firecracker",
                    failure: "backend \(environment.backend.uppercased()): no Firecracker VM ran; its latencies are "
                        + "invented by a stand-in and measure no build",
                    kind: "simulated",
                    detail: nil
                )
            )
        }
        if verdict != .pass && !cases.contains(where: { $0.failure != nil }) {
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
                out.element("failure", ["message": failure, "type": testCase.kind], text: testCase.detail ?? failure)
            } else if let detail = testCase.detail {
                out.element("system-out", text: detail)
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

    /// "measured 63.2, target < 50" for a gate; the check's own reason otherwise.
    private static func failureMessage(_ result: GateResult) -> String {
        let measured = result.measured.map { "measured \(formatNumber($0))" } ?? "not measured"
        guard let gate = result.gate else {
            return "\(result.expression): \(measured)" + (result.reason.map { " (\($0))" } ?? "")
        }
        return "\(result.expression): \(measured), target \(gate.comparison.rawValue) \(formatNumber(gate.threshold))"
    }

    private static func summary(of report: RunReport) -> String {
        var lines = ["verdict: \(report.verdict.rawValue)", "backend: \(report.environment.backend)"]
        if report.signOff == true { lines.append("release sign-off") }
        for disturbance in report.disturbances ?? [] {
            lines.append(
                "host disturbed \(formatNumber(disturbance.start))–\(formatNumber(disturbance.end)) s: "
                    + disturbance.evidence.joined(separator: ", ")
            )
        }
        for metric in [Metric.spawn, .restore] {
            guard let name = metric.latencyKey, let spectrum = report.overall.latency(metric) else { continue }
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
    /// The failure's type: `gate`, `inconclusive`, `simulated`.
    var kind = "gate"
    var detail: String?
}
