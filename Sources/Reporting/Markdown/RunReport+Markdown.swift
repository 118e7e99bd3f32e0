import Foundation

extension RunReport {
    /// A compact Markdown summary for a CI job to post: verdict and backend, gates, key latencies, faults
    /// (when the scenario scheduled any), outcomes and the leak check.
    ///
    /// ```swift
    /// print(report.markdown())  // e.g. appended to $GITHUB_STEP_SUMMARY
    /// ```
    package func markdown() -> String {
        let title = isFirecracker ? verdict.rawValue.uppercased() : "\(verdict.rawValue.uppercased()) (SIMULATED)"
        let mark =
            switch verdict {
            case .pass: isFirecracker ? "✅" : "🧪"
            case .fail: "❌"
            case .inconclusive: "❔"
            case .hostBound: "🐢"
            case .incomplete: "⚠️"
            }
        var lines = ["### \(mark) snapbench \(Self.cell(scenario)): \(title)", ""]
        var facts = ["backend **\(Self.cell(environment.backend))**"]
        if let version = environment.firecrackerVersion { facts.append("Firecracker \(Self.cell(version))") }
        facts.append(String(format: "%.1f s", durationSeconds))
        if let commit = environment.commit { facts.append("commit `\(Self.code(String(commit.prefix(12))))`") }
        if signOff == true { facts.append("release sign-off") }
        lines.append(facts.joined(separator: " · "))
        if !isFirecracker {
            lines += [
                "",
                "> **SIMULATED backend:** no Firecracker VM ran; every latency below is invented by a stand-in and "
                    + "measures no build. Not valid for a CI gate or a sign-off.",
            ]
        }
        if let disturbances, !disturbances.isEmpty {
            lines += ["", "> **Host disturbed** (gates that failed during it were judged again without it):"]
            for disturbance in disturbances {
                lines.append(
                    "> - \(formatNumber(disturbance.start))–\(formatNumber(disturbance.end)) s: "
                        + Self.cell(disturbance.evidence.joined(separator: ", "))
                )
            }
        }
        if let floors = floorSummary {
            lines += [""] + floors.map { "- This host's " + Self.cell($0) }
        }
        if !gates.isEmpty {
            lines += ["", "| gate | measured | result |", "|---|---:|:---:|"]
            for gate in gates {
                let result =
                    switch gate.outcome {
                    case .pass: "pass"
                    case .disturbed: "pass (disturbed): " + Self.cell(gate.disturbance ?? "")
                    case .fail: "**FAIL**" + (gate.reason.map { ": \(Self.cell($0))" } ?? "")
                    case .inconclusive:
                        "**INCONCLUSIVE**" + ((gate.disturbance ?? gate.reason).map { ": \(Self.cell($0))" } ?? "")
                    case .hostBound: "**HOST-BOUND**" + (gate.reason.map { ": \(Self.cell($0))" } ?? "")
                    }
                lines.append(
                    "| `\(Self.code(gate.expression))` | \(gate.measured.map(formatNumber) ?? "–") | \(result) |"
                )
            }
        }
        let metrics = [
            Metric.spawn, .spawnWarm, .spawnOnDemand, .outcome, .restore, .firecrackerLoad, .firstWork, .workingSet,
        ]
        .compactMap { $0.latencyKey }
        .compactMap { name in overall.latencies[name].map { (name, $0) } }
        if !metrics.isEmpty {
            lines += ["", "| metric (ms) | p50 | p95 | p99 | max | n |", "|---|---:|---:|---:|---:|---:|"]
            for (name, s) in metrics {
                let figures = [s.p50, s.p95, s.p99, s.max].map { formatMilliseconds($0) }
                lines.append("| \(name) | " + figures.joined(separator: " | ") + " | \(s.count) |")
            }
        }
        lines += faultTable()
        let outcomes = overall.outcomes.sorted { $0.key < $1.key }.map { "\(Self.cell($0.key)) \($0.value)" }
        lines += [
            "",
            "Outcomes: \(outcomes.isEmpty ? "none" : outcomes.joined(separator: ", ")) of \(overall.scheduled) "
                + "scheduled; late starts \(overall.lateStarts).",
        ]
        if let devices { lines.append("Devices: " + Self.cell(devices.summary) + ".") }
        lines += [
            "Leak check: "
                + (leakCheck.problems.isEmpty
                    ? "clean."
                    : leakCheck.problems.map(Self.cell).joined(separator: "; "))
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// One row per fault: when, whether it was applied, how fast the pool reacted and spawn recovered, and
    /// the start of its effect.
    private func faultTable() -> [String] {
        guard !faults.isEmpty else { return [] }
        var lines = [
            "", "| fault | at (s) | applied | reaction (s) | recovery (s) | effect |", "|---|---:|:---:|---:|---:|---|",
        ]
        for fault in faults {
            let at = String(format: "%.2f", fault.startedAt) + (fault.endedAt.map { String(format: "–%.2f", $0) } ?? "")
            let recovery: String
            if let observations = fault.observations {
                recovery = observations.recoverySeconds.map { String(format: "%.2f", $0) } ?? "not back"
            } else {
                recovery = "–"
            }
            let cells = [
                Self.cell(fault.kind), at, fault.applied ? "yes" : "**no**",
                fault.observations?.reactionSeconds.map { String(format: "%.3f", $0) } ?? "–", recovery,
                Self.cell(Self.shortened(fault.effect)),
            ]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines
    }

    /// At most `limit` characters, cut at a word with an ellipsis.
    static func shortened(_ text: String, limit: Int = 72) -> String {
        guard text.count > limit else { return text }
        let head = text.prefix(limit - 1)
        let cut = head.lastIndex(of: " ").map { head[..<$0] } ?? head
        return cut.trimmingCharacters(in: CharacterSet(charactersIn: " ;,")) + "…"
    }

    /// Text safe in a table cell: pipes escaped, line breaks flattened, HTML-significant characters escaped
    /// (GitHub renders inline HTML).
    private static func cell(_ text: String) -> String {
        text.markupEscaped.replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "\n", with: " ")
    }

    /// Text inside a code span: entities are shown literally there, so only pipes and backticks are changed.
    private static func code(_ text: String) -> String {
        text.replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "\n", with: " ")
    }
}
