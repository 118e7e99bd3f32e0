import Foundation

/// The runs of one scenario's variants side by side — the same load with, say, each memory backend: the
/// latencies a variant changes (spawn, restore, the guest's first work) beside the memory it costs.
///
/// ```swift
/// let table = VariantTable(scenario: "memory-backends", reports: reports)
/// print(table.text())
/// try table.markdown().write(toFile: "Reports/memory-backends.md", atomically: true, encoding: .utf8)
/// ```
package struct VariantTable: Sendable {
    /// The scenario the variants belong to.
    package var scenario: String
    /// Each variant's name and report, in run order.
    package var rows: [(variant: String, report: RunReport)]

    /// Names each report's variant by its scenario name less the `<scenario>.` prefix.
    package init(scenario: String, reports: [RunReport]) {
        self.scenario = scenario
        self.rows = reports.map { report in
            let prefix = scenario + "."
            let name =
                report.scenario.hasPrefix(prefix) ? String(report.scenario.dropFirst(prefix.count)) : report.scenario
            return (name, report)
        }
    }

    static let columns = [
        "variant", "spawn p50", "spawn p95", "restore p95", "working_set p50", "working_set p95", "first_work p95",
        "VMM PSS per VM (MiB)", "VMM PSS max (MiB)", "snapbench RSS max (MiB)", "verdict",
    ]
    /// Added before the verdict when the variants' VMs have devices or a jail.
    static let deviceColumns = ["restore p50", "set_up p50", "devices", "launch", "clones with every device"]

    /// Added before the verdict when a variant proves readiness over the agent's channel (vsock).
    static let agentColumns = [
        "warm spawn p50", "warm spawn p95", "on-demand spawn p50", "on-demand spawn p95", "vsock_connect p50",
        "vsock_connect p95", "agent_reply p50", "agent_reply p95",
    ]

    /// Whether any variant's VM has devices or runs jailed: the table then shows them, and each variant's cost.
    var hasDevices: Bool { rows.contains { $0.report.devices != nil } }

    /// Added before the verdict when a variant measured the floor of its guest's first work.
    static let workFloorColumns = ["work floor (ms)", "work ÷ floor p50", "work ÷ floor p95"]

    /// Whether any variant measured a work floor.
    var hasWorkFloor: Bool { rows.contains { $0.report.workFloor != nil } }

    /// Whether any variant proved readiness over vsock: the table then shows the agent's stages, and each
    /// variant's cost over the first.
    var hasAgent: Bool { rows.contains { $0.report.overall.latency(.vsockConnect) != nil } }

    /// The columns of this table.
    var columns: [String] {
        Array(Self.columns.dropLast()) + (hasDevices ? Self.deviceColumns : [])
            + (hasAgent ? Self.agentColumns : []) + (hasWorkFloor ? Self.workFloorColumns : []) + ["verdict"]
    }

    /// What the memory columns mean, for every format.
    static let memoryNote =
        "VMM PSS per VM is the mean over the run's samples; VMM PSS max is the largest total of all VMMs at once; "
        + "snapbench RSS max is this process at its largest, which holds the page server's mapping of the memory "
        + "file (page cache, shared with every clone)."

    /// One row of cells per variant, figures in milliseconds.
    func cells() -> [[String]] {
        rows.map { variant, report in
            let overall = report.overall
            func figure(_ metric: Metric, _ statistic: KeyPath<Spectrum, Double>) -> String {
                formatMilliseconds(overall.latency(metric)?[keyPath: statistic])
            }
            let perVM = report.timeline.compactMap { sample -> Double? in
                sample.vmmCount > 0 ? Double(sample.vmmPSSSum) / Double(sample.vmmCount) : nil
            }
            let meanPerVM = perVM.isEmpty ? nil : perVM.reduce(0, +) / Double(perVM.count) / 1_048_576
            let total = report.timeline.map(\.vmmPSSSum).max().map { Double($0) / 1_048_576 }
            let rss = report.timeline.map(\.processRSS).max().map { Double($0) / 1_048_576 }
            var cells = [
                variant, figure(.spawn, \.p50), figure(.spawn, \.p95), figure(.restore, \.p95),
                figure(.workingSet, \.p50), figure(.workingSet, \.p95), figure(.firstWork, \.p95),
                meanPerVM.map { String(format: "%.1f", $0) } ?? "–", total.map { String(format: "%.1f", $0) } ?? "–",
                rss.map { String(format: "%.1f", $0) } ?? "–",
            ]
            if hasDevices {
                let devices = report.devices
                cells += [
                    figure(.restore, \.p50), figure(.setUp, \.p50), devices?.devices ?? "none",
                    devices?.launch ?? "direct",
                    devices.map { "\($0.clonesPassed)/\($0.clonesChecked)" } ?? "–",
                ]
            }
            if hasAgent {
                cells += [
                    figure(.spawnWarm, \.p50), figure(.spawnWarm, \.p95), figure(.spawnOnDemand, \.p50),
                    figure(.spawnOnDemand, \.p95), figure(.vsockConnect, \.p50), figure(.vsockConnect, \.p95),
                    figure(.agentReply, \.p50), figure(.agentReply, \.p95),
                ]
            }
            if hasWorkFloor {
                let floor = report.workFloor?.milliseconds
                let work = overall.latency(.workingSetGuest)
                func ratio(_ value: Double?) -> String {
                    guard let value, let floor, floor > 0 else { return "–" }
                    return String(format: "%.2f", value / floor)
                }
                cells += [formatMilliseconds(floor), ratio(work?.p50), ratio(work?.p95)]
            }
            return cells + [report.verdict.rawValue]
        }
    }

    /// The columns of the cost table.
    static let baseCostColumns = ["variant", "Δ restore p50", "Δ restore p95", "Δ set_up p50", "Δ spawn p95"]
    /// Added to it when a variant proves readiness over vsock: what readiness over the agent's channel costs.
    static let agentCostColumns = ["Δ warm spawn p50", "Δ warm spawn p95", "Δ on-demand spawn p95", "Δ readiness p50"]

    /// The columns of this cost table.
    var costColumns: [String] { Self.baseCostColumns + (hasAgent ? Self.agentCostColumns : []) }

    /// What the cost table means, for every format.
    var costNote: String {
        "Each variant's cost over \(rows.first?.variant ?? "the first variant"), the first, in milliseconds: the "
            + "difference of the two runs' figures (one run each, so a difference within a millisecond or two is "
            + "within the host's run-to-run spread)."
    }

    /// Each variant's latencies less the first variant's, in ms; empty without devices or readiness over vsock.
    func costCells() -> [[String]] {
        guard hasDevices || hasAgent, let baseline = rows.first?.report.overall else { return [] }
        return rows.dropFirst().map { variant, report in
            func delta(_ metric: Metric, _ statistic: KeyPath<Spectrum, Double>) -> String {
                guard let value = report.overall.latency(metric)?[keyPath: statistic],
                    let base = baseline.latency(metric)?[keyPath: statistic]
                else { return "–" }
                return String(format: "%+.2f", value - base)
            }
            var cells = [
                variant, delta(.restore, \.p50), delta(.restore, \.p95), delta(.setUp, \.p50), delta(.spawn, \.p95),
            ]
            if hasAgent {
                cells += [
                    delta(.spawnWarm, \.p50), delta(.spawnWarm, \.p95), delta(.spawnOnDemand, \.p95),
                    delta(.readiness, \.p50),
                ]
            }
            return cells
        }
    }

    /// The table for a terminal.
    package func text() -> String {
        var table = TextTable(
            columns: columns,
            alignments: [.left] + Array(repeating: .right, count: columns.count - 1)
        )
        for row in cells() { table.append(row) }
        var text = "\(scenario): variants side by side (latencies in ms)\n" + table.render()
        let costs = costCells()
        if !costs.isEmpty {
            var costTable = TextTable(
                columns: costColumns,
                alignments: [.left] + Array(repeating: .right, count: costColumns.count - 1)
            )
            for row in costs { costTable.append(row) }
            text += "\n\(scenario): cost over \(rows[0].variant) (ms)\n" + costTable.render()
        }
        return text
    }

    /// The table as a Markdown document.
    package func markdown() -> String {
        var lines = [
            "# \(scenario): variants side by side", "",
            "Latencies in milliseconds, over each variant's measured phases. " + Self.memoryNote,
            "", "| " + columns.joined(separator: " | ") + " |",
            "|---|" + String(repeating: "---:|", count: columns.count - 2) + "---|",
        ]
        lines += cells().map { "| " + $0.joined(separator: " | ") + " |" }
        let costs = costCells()
        if !costs.isEmpty {
            lines += [
                "", "## Cost over \(rows[0].variant)", "", costNote, "",
                "| " + costColumns.joined(separator: " | ") + " |",
                "|---|" + String(repeating: "---:|", count: costColumns.count - 1),
            ]
            lines += costs.map { "| " + $0.joined(separator: " | ") + " |" }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
