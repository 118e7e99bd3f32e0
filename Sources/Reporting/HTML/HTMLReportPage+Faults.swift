import Foundation

extension HTMLReportPage {
    // MARK: - Faults

    /// One block per scheduled fault: its kind and whether it was applied, its window, parameters, targets
    /// and effect, and a table of what the run measured around it.
    mutating func faults() {
        out.element("h2", text: "Faults")
        guard !report.faults.isEmpty else {
            out.element("p", class: "empty", text: "No faults were injected.")
            return
        }
        let applied = report.faults.filter(\.applied).count
        out.element(
            "p",
            class: "lead",
            text: "\(report.faults.count) scheduled, \(applied) applied. Spawn p95 of the acquires that arrived in "
                + "the 10 s before a fault, while it lasted (±1 s around an instantaneous one) and in the 5 s after; "
                + "pool events from its start to 5 s after its end. Reaction: its start → the pool's first "
                + "reaction. Recovery: its end → the first 1 s window with spawn p95 back near the p95 before."
        )
        for (index, fault) in report.faults.enumerated() {
            faultBlock(number: index + 1, fault)
        }
    }

    private mutating func faultBlock(number: Int, _ fault: FaultRecord) {
        out.open("section", class: fault.applied ? "fault" : "fault not-applied")
        out.open("h3")
        out.append(text: "\(number). \(fault.kind) ")
        out.element(
            "span",
            class: fault.applied ? "status applied" : "status not-applied",
            text: fault.applied ? "APPLIED" : "NOT APPLIED"
        )
        out.close("h3")
        out.open("dl", class: "facts")
        fact("window", Self.window(of: fault))
        fact(
            "parameters",
            fault.parameters.isEmpty
                ? "none"
                : fault.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        )
        out.element("dt", text: "targets")
        if fault.targets.isEmpty {
            out.element("dd", text: fault.applied ? "none recorded" : "none (not applied)")
        } else {
            out.open("dd")
            out.open("ul", class: "targets")
            for target in fault.targets { out.element("li", text: target) }
            out.close("ul")
            out.close("dd")
        }
        fact("effect", fault.effect)
        out.close("dl")
        if let observations = fault.observations {
            observationTable(observations)
        } else {
            out.element(
                "p",
                class: "empty",
                text: fault.applied
                    ? "Nothing was measured around this fault."
                    : "Not applied, so nothing was measured around it."
            )
        }
        out.close("section")
        out.newline()
    }

    private mutating func fact(_ name: String, _ value: String) {
        out.element("dt", text: name)
        out.element("dd", text: value)
    }

    private mutating func observationTable(_ observations: FaultObservations) {
        var table = HTMLTable(
            [
                "spawn p95 before (ms)", "during (ms)", "after (ms)", "leases during", "errors during",
                "errors after", "pool events", "reaction (s)", "recovery (s)",
            ],
            numeric: [0, 1, 2, 3, 7, 8]
        )
        table.append([
            HTMLTable.Cell(text: formatMilliseconds(observations.spawnP95BeforeMs), numeric: true),
            HTMLTable.Cell(text: formatMilliseconds(observations.spawnP95DuringMs), numeric: true),
            HTMLTable.Cell(text: formatMilliseconds(observations.spawnP95AfterMs), numeric: true),
            HTMLTable.Cell(text: String(observations.leasesDuring), numeric: true),
            HTMLTable.Cell(text: Self.tally(observations.errorsDuring)),
            HTMLTable.Cell(text: Self.tally(observations.errorsAfter)),
            HTMLTable.Cell(text: Self.tally(observations.poolEvents)),
            HTMLTable.Cell(
                text: observations.reactionSeconds.map { String(format: "%.3f", $0) } ?? "none",
                numeric: true
            ),
            observations.recoverySeconds.map { HTMLTable.Cell(text: Self.seconds($0), numeric: true) }
                ?? HTMLTable.Cell(text: "not back in the run", numeric: true, style: "fail"),
        ])
        table.render(into: &out)
    }

    /// "6.48 s → 12.48 s (6.00 s)", or "8.49 s (instantaneous)".
    static func window(of fault: FaultRecord) -> String {
        guard let end = fault.endedAt else { return seconds(fault.startedAt) + " s (instantaneous)" }
        return seconds(fault.startedAt) + " s → " + seconds(end) + " s (" + seconds(end - fault.startedAt) + " s)"
    }

    /// "crashed 2, shed 6", or "none".
    static func tally(_ counts: [String: Int]) -> String {
        counts.isEmpty
            ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    static func seconds(_ value: Double) -> String { String(format: "%.2f", value) }
}
