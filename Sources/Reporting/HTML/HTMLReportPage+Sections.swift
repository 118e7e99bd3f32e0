import Foundation

extension HTMLReportPage {
    // MARK: - Latency

    mutating func latency() {
        let phase = report.overall
        out.element("h2", text: "Latency (measured phases)")
        out.open("div", class: "grid")
        figure(
            "Spawn spectrum",
            ReportCharts.spectrum(
                title: "Spawn latency by percentile",
                metrics: [.spawn, .spawnWarm, .spawnOnDemand],
                target: .spawn,
                phase: phase,
                gates: report.gates
            ),
            note: "Request (intended arrival) → guest readiness. Warm hits and on-demand restores apart and together.",
            missing: "No spawn was measured."
        )
        figure(
            "Restore spectrum",
            ReportCharts.spectrum(
                title: "Restore latency by percentile",
                metrics: [.restore, .firecrackerLoad],
                target: .restore,
                phase: phase,
                gates: report.gates
            ),
            note: "PUT /snapshot/load sent → response, beside Firecracker's own load_snapshot metric.",
            missing: "No restore was measured."
        )
        if phase.latency(.firstWork) != nil {
            figure(
                "Time to useful work",
                ReportCharts.spectrum(
                    title: "First work latency by percentile",
                    metrics: [.firstWork, .workingSet, .workingSetGuest],
                    target: .firstWork,
                    phase: phase,
                    gates: report.gates
                ),
                note: "Request → the guest's report that it re-touched its working set after the resume; the "
                    + "re-touch alone as the host saw it and by the guest's own clock.",
                missing: "No first work was measured."
            )
        }
        let noDistribution = "This report predates recorded distributions; re-run to get histograms."
        for (metric, title) in [(Metric.spawn, "Spawn histogram"), (.restore, "Restore histogram")] {
            figure(
                title,
                ReportCharts.histogram(metric: metric, title: title, phase: phase, gates: report.gates),
                missing: phase.latency(metric) == nil ? "No \(metric.latencyKey ?? "") was measured." : noDistribution
            )
        }
        figure(
            "Stages of a spawn",
            ReportCharts.stages(phase: phase),
            note: "Warm hits were restored by the background refill before they were requested; on-demand spawns "
                + "pay process start, restore, resume and readiness inline.",
            missing: "No stage was measured."
        )
        out.close("div")
        latencyTable(phase)
    }

    private mutating func latencyTable(_ phase: PhaseReport) {
        guard !phase.latencies.isEmpty else { return }
        var table = HTMLTable(
            ["metric (ms)", "n", "min", "mean", "p50", "p90", "p95", "p99", "p99.9", "max"],
            numeric: Set(1...9)
        )
        for name in LatencyMetricOrder.sorted(phase.latencies.keys) {
            guard let s = phase.latencies[name] else { continue }
            table.append(
                [name, String(s.count)]
                    + [s.min, s.mean, s.p50, s.p90, s.p95, s.p99, s.p999, s.max].map {
                        formatMilliseconds($0, decimals: 3)
                    }
            )
        }
        table.render(into: &out)
    }

    // MARK: - Timeline

    mutating func timeline() {
        out.element("h2", text: "Timeline")
        let none = "No timeline samples were recorded."
        out.open("div", class: "grid")
        figure("Pool state", ReportCharts.poolState(report), missing: none)
        figure(
            "Memory",
            ReportCharts.memory(report),
            note: "jemalloc stats of the snapbench process (epoch refreshed per sample); VMM PSS from smaps_rollup.",
            missing: none
        )
        figure("Throughput", ReportCharts.throughput(report), missing: none)
        out.close("div")
    }

    // MARK: - Outcomes, leaks, environment

    mutating func outcomes() {
        out.element("h2", text: "Outcomes per phase")
        let phases = report.phases + [report.overall]
        let errorCodes = Set(phases.flatMap { $0.outcomes.keys }).subtracting(["served"]).sorted()
        let headers = ["phase", "scheduled", "served"] + errorCodes + ["late starts", "spawn p50 ms", "spawn p95 ms"]
        var table = HTMLTable(headers, numeric: Set(1..<headers.count))
        for phase in phases {
            let spawn = phase.latencies["spawn"]
            let name = phase.name + (phase.warmup ? " (warm-up, not gated)" : "")
            table.append(
                [name, String(phase.scheduled), String(phase.served)]
                    + errorCodes.map { String(phase.outcomes[$0] ?? 0) }
                    + [
                        String(phase.lateStarts), formatMilliseconds(spawn?.p50, decimals: 3),
                        formatMilliseconds(spawn?.p95, decimals: 3),
                    ]
            )
        }
        table.render(into: &out)
    }

    mutating func leakCheck() {
        let leaks = report.leakCheck
        out.element("h2", text: "Leak check")
        out.element(
            "p",
            class: leaks.problems.isEmpty ? "lead" : "problems",
            text: leaks.problems.isEmpty
                ? "Clean: the drained pool left nothing behind."
                : "\(leaks.problems.count) problem(s): " + leaks.problems.joined(separator: "; ")
        )
        var table = HTMLTable(["check", "value"], numeric: [1])
        table.append(["child VMMs left", String(leaks.childVMMs)])
        table.append(["files left", leaks.leftoverFiles.isEmpty ? "none" : leaks.leftoverFiles.joined(separator: ", ")])
        table.append(["descriptors before → after", "\(leaks.descriptorsBefore) → \(leaks.descriptorsAfter)"])
        table.append([
            "jemalloc allocated before → after",
            "\(mebibytes(leaks.allocatedBefore)) → \(mebibytes(leaks.allocatedAfter))",
        ])
        table.append([
            "allocated slope",
            leaks.allocatedSlopeBytesPerSecond.map { String(format: "%.1f KiB/s", $0 / 1024) } ?? "–",
        ])
        if let devices = report.devices {
            table.append(["devices", devices.devices])
            table.append(["launch", devices.launch])
            table.append([
                "clones with every device",
                "\(devices.clonesPassed) of \(devices.clonesChecked)",
            ])
            for problem in devices.problems { table.append(["device problem", problem]) }
        }
        table.render(into: &out)
    }

    mutating func environment() {
        let env = report.environment
        out.element("h2", text: "Environment")
        var table = HTMLTable(["property", "value"])
        table.append([
            HTMLTable.Cell(text: "backend"),
            HTMLTable.Cell(text: env.backend, style: env.backend == "firecracker" ? "pass" : "fail"),
        ])
        let rows: [(String, String?)] = [
            ("Firecracker", env.firecrackerVersion), ("Firecracker sha256", env.firecrackerSHA256),
            ("KVM", env.kvmFlavour), ("kernel", env.kernel), ("CPU", "\(env.cpuModel) × \(env.cpuCount)"),
            ("memory", String(format: "%.1f GiB", Double(env.memoryBytes) / 1_073_741_824)),
            ("allocator", env.allocator), ("host", env.hostname), ("snapbench commit", env.commit),
            ("started", ISO8601DateFormatter().string(from: report.startedAt)),
            ("duration", String(format: "%.1f s", report.durationSeconds)),
        ]
        for (name, value) in rows { table.append([name, value ?? "–"]) }
        table.render(into: &out)
    }

    mutating func definitions() {
        guard !report.definitions.isEmpty else { return }
        out.element("h2", text: "Definitions")
        out.open("dl", class: "definitions")
        for (name, text) in report.definitions.sorted(by: { $0.key < $1.key }) {
            out.element("dt", text: name)
            out.element("dd", text: text)
        }
        out.close("dl")
        out.newline()
    }

    private func mebibytes(_ bytes: UInt64?) -> String {
        bytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "–"
    }
}
