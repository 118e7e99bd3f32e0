import Foundation

extension RunReport {
    /// The few lines a person reads after each scenario: verdict (and whether it was simulated), key latencies,
    /// outcomes, memory, disturbances and every gate.
    ///
    /// ```swift
    /// print(report.summaryText())
    /// ```
    package func summaryText() -> String {
        let backendNote =
            isFirecracker ? "backend firecracker" : "backend \(environment.backend.uppercased()): invented numbers"
        var lines = [
            "   verdict: \(verdict.rawValue.uppercased())\(isFirecracker ? "" : " (SIMULATED)")  "
                + "(\(backendNote), \(String(format: "%.1f", durationSeconds)) s\(signOff == true ? ", sign-off" : ""))"
        ]
        var table = TextTable(
            columns: ["metric (ms)", "p50", "p95", "p99", "max", "n"],
            alignments: [.left, .right, .right, .right, .right, .right]
        )
        let shown: [Metric] = [
            .spawn, .spawnWarm, .spawnOnDemand, .outcome, .restore, .firecrackerLoad, .firstWork, .workingSet,
            .workingSetGuest, .dispatchLag,
        ]
        for key in shown.compactMap(\.latencyKey) {
            guard let spectrum = overall.latencies[key] else { continue }
            table.append([
                key, formatMilliseconds(spectrum.p50), formatMilliseconds(spectrum.p95),
                formatMilliseconds(spectrum.p99), formatMilliseconds(spectrum.max), String(spectrum.count),
            ])
        }
        lines.append(table.render().split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
        let resident = timeline.compactMap(\.jemallocResident).max().map { Double($0) / 1_048_576 }
        let outcomes = overall.outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        lines.append(
            "   outcomes: \(outcomes.joined(separator: ", ")) of \(overall.scheduled) scheduled; late starts "
                + "\(overall.lateStarts)"
        )
        let perLease = leakCheck.allocatedBytesPerLease.map { "; allocated \(formatNumber($0)) B per lease" } ?? ""
        lines.append(
            "   memory: jemalloc resident max \(resident.map { String(format: "%.1f", $0) } ?? "–") MiB\(perLease); "
                + "leaks: \(leakCheck.problems.isEmpty ? "none" : leakCheck.problems.joined(separator: "; "))"
        )
        if let devices { lines.append("   devices: " + devices.summary) }
        for disturbance in disturbances ?? [] {
            lines.append(
                "   host disturbed \(formatNumber(disturbance.start))–\(formatNumber(disturbance.end)) s: "
                    + disturbance.evidence.joined(separator: ", ")
            )
        }
        for line in floorSummary ?? [] { lines.append("   " + line) }
        for gate in gates {
            let label =
                switch gate.outcome {
                case .pass: "PASS"
                case .fail: "FAIL"
                case .inconclusive: "OPEN"
                case .disturbed: "PASS*"
                case .hostBound: "HOST"
                }
            var line =
                "   \(label)  \(gate.expression)" + (gate.measured.map { "  (measured \(formatNumber($0)))" } ?? "")
            switch gate.outcome {
            case .pass: break
            case .fail, .hostBound: line += gate.reason.map { "  — \($0)" } ?? ""
            // Undecided after a disturbance: what the undisturbed acquires gave is the reason, not the first bound.
            case .inconclusive: line += (gate.disturbance ?? gate.reason).map { "  — \($0)" } ?? ""
            case .disturbed: line += gate.disturbance.map { "  — \($0)" } ?? ""
            }
            lines.append(line)
        }
        if gates.contains(where: { $0.outcome == .disturbed }) {
            lines.append("   (PASS*: failed while the host was disturbed; passes without the acquires it touched)")
        }
        if gates.contains(where: { $0.outcome == .hostBound }) {
            lines.append(
                "   (HOST: host-bound — the pool passed its ratio to this host's floor, which leaves the target no room)"
            )
        }
        if gates.contains(where: { $0.outcome == .inconclusive && $0.disturbance == nil }) {
            lines.append("   (OPEN: the samples cannot decide it either way; run longer or again)")
        }
        if gates.contains(where: { $0.outcome == .inconclusive && $0.undecidedByHost == true }) {
            lines.append(
                "   (OPEN after a disturbance: failed or undecided while the host was disturbed, and the acquires it did "
                    + "not touch are too few to decide it, though all at their figures would pass; run again when the "
                    + "host is quiet)"
            )
        }
        if gates.contains(where: { $0.outcome == .inconclusive && $0.disturbance != nil && $0.undecidedByHost != true })
        {
            lines.append(
                "   (OPEN, close to the target: the acquires no disturbance touched cannot decide it, and the whole run at "
                    + "their figures would not either; run longer)"
            )
        }
        return lines.joined(separator: "\n")
    }
}
