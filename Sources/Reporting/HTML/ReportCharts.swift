import Foundation

/// The charts of a run report, each built from the report model onto the generic ``Chart``.
enum ReportCharts {
    /// The targets the design judges against, used when a run's gates name none for a metric.
    static let defaultTargets: [Metric: (percentile: Double, milliseconds: Double)] = [
        .spawn: (95, 50), .restore: (95, 20),
    ]

    // MARK: - Latency

    /// Percentile spectra of `metrics` on a 1/(1−p) axis, with the run's percentile gates (or the design
    /// target) as rules. `nil` when none of the metrics was measured.
    static func spectrum(
        title: String,
        metrics: [Metric],
        target: Metric,
        phase: PhaseReport,
        gates: [GateResult]
    ) -> Chart? {
        let curves = metrics.enumerated().compactMap { index, metric -> Chart.Series? in
            guard let name = metric.latencyKey, let spectrum = phase.latency(metric), spectrum.count > 0 else {
                return nil
            }
            // The first metric is the whole; the others are parts of it and may coincide with it.
            return Chart.Series(
                name: name,
                color: index,
                points: curve(spectrum),
                step: spectrum.distribution != nil,
                dashed: index > 0
            )
        }
        guard !curves.isEmpty else { return nil }
        let targets = targets(for: target, gates: gates)
        let values = curves.flatMap { $0.points.map(\.y) } + targets.map(\.milliseconds)
        let widest = curves.flatMap { $0.points.map(\.x) }.max() ?? 99
        let samples = metrics.compactMap { phase.latency($0)?.count }.max() ?? 1
        // Each nine needs ~10× the samples: the axis stops at the first nine the data reach, and never goes
        // past what the sample count resolves (older reports list percentiles up to 99.99 % regardless).
        let reached = Int(ceil(-log10(Swift.max(1e-6, 1 - widest / 100)) - 1e-9))
        let resolved = Int(ceil(log10(Double(Swift.max(1, samples))) - 1e-9))
        let nines = Swift.min(5, Swift.max(2, Swift.min(reached, resolved)))
        let x = Scale.percentile(nines: nines)
        var chart = Chart(
            title: title,
            x: x,
            // Headroom above the highest value keeps the target's label clear of the top edge.
            y: .log(values.min() ?? 0.1, (values.max() ?? 1) * 1.25),
            xTitle: "percentile (log scale of 1/(1−p))",
            yTitle: "latency (ms, log scale)",
            series: curves.map { curve in
                var visible = curve
                visible.points = curve.points.filter { $0.x <= x.upper + 1e-9 }
                return visible
            }
        )
        for target in targets {
            let label = "target \(target.statistic) < \(formatNumber(target.milliseconds)) ms"
            chart.rules.append(Chart.Rule(axis: .y, value: target.milliseconds, label: label))
            chart.rules.append(Chart.Rule(axis: .x, value: target.percentile, label: target.statistic))
        }
        return chart
    }

    /// (percentile, ms) points: every recorded value class when the distribution is there (a staircase up to
    /// the maximum), otherwise the report's plotted percentiles without the infinite 100 %.
    static func curve(_ spectrum: Spectrum) -> [(x: Double, y: Double)] {
        if let distribution = spectrum.distribution, distribution.totalCount > 0 {
            let total = Double(distribution.totalCount)
            var below = 0
            var points: [(x: Double, y: Double)] = []
            for (value, count) in zip(distribution.valuesMilliseconds, distribution.counts) where count > 0 {
                points.append((Double(below) / total * 100, value))
                below += count
            }
            return points
        }
        return spectrum.points.compactMap { pair in
            pair.count == 2 && pair[0] < 100 ? (pair[0], pair[1]) : nil
        }
    }

    /// A histogram of one metric's recorded distribution in log-spaced bins, with its target as a rule.
    /// `nil` when the report has no distribution for it (reports written before distributions were kept).
    static func histogram(metric: Metric, title: String, phase: PhaseReport, gates: [GateResult]) -> Chart? {
        guard let spectrum = phase.latency(metric), let distribution = spectrum.distribution,
            let first = distribution.valuesMilliseconds.first, let last = distribution.valuesMilliseconds.last
        else { return nil }
        let targets = targets(for: metric, gates: gates)
        let low = Swift.max(first, 1e-3)
        let high = Swift.max(last, (targets.map(\.milliseconds).max() ?? 0) * 1.25, low * 1.5)
        let x = Scale.log(low, high)
        let binCount = 48
        let lowLog = log10(x.lower)
        let width = (log10(x.upper) - lowLog) / Double(binCount)
        var counts = [Int](repeating: 0, count: binCount)
        for (value, count) in zip(distribution.valuesMilliseconds, distribution.counts) {
            let index = Int((log10(Swift.max(value, x.lower)) - lowLog) / width)
            counts[Swift.min(binCount - 1, Swift.max(0, index))] += count
        }
        let bars = counts.enumerated().compactMap { index, count -> Chart.Bar? in
            guard count > 0 else { return nil }
            let from = pow(10, lowLog + Double(index) * width)
            let to = pow(10, lowLog + Double(index + 1) * width)
            return Chart.Bar(
                x0: from,
                x1: to,
                y0: 0,
                y1: Double(count),
                color: 0,
                tooltip: "\(formatNumber(from))–\(formatNumber(to)) ms: \(count)"
            )
        }
        return Chart(
            title: title,
            x: x,
            y: .linear(0, Double(counts.max() ?? 1), integer: true),
            xTitle: "\(metric.latencyKey ?? metric.rawValue) (ms, log scale)",
            yTitle: "count",
            bars: bars,
            barKeys: [
                Chart.Key(name: "\(metric.latencyKey ?? metric.rawValue), n = \(distribution.totalCount)", color: 0)
            ],
            rules: targets.map {
                Chart.Rule(
                    axis: .x,
                    value: $0.milliseconds,
                    label: "target \($0.statistic) < \(formatNumber($0.milliseconds)) ms",
                    labelAtTop: true
                )
            }
        )
    }

    /// p50 and p95 of each stage of producing and handing out a VM, as grouped horizontal bars.
    static func stages(phase: PhaseReport) -> Chart? {
        let order: [Metric] = [
            .queueWait, .processStart, .restore, .firecrackerLoad, .resume, .readiness, .vsockConnect, .agentReply,
            .spawnWarm, .spawnOnDemand, .spawn,
        ]
        let present = order.compactMap { metric in
            metric.latencyKey.flatMap { name in phase.latency(metric).map { (name, $0) } }
        }
        guard !present.isEmpty else { return nil }
        var bars: [Chart.Bar] = []
        var highest = 0.0
        for (row, (name, spectrum)) in present.enumerated() {
            for (offset, statistic) in [(0, Statistic.p50), (1, Statistic.p95)] {
                let value = spectrum.value(of: statistic) ?? 0
                highest = Swift.max(highest, value)
                // Within a row, p50 sits above p95 (the category scale runs top-down).
                let start = Double(row) - 0.38 + Double(offset) * 0.38
                bars.append(
                    Chart.Bar(
                        x0: 0,
                        x1: value,
                        y0: start,
                        y1: start + 0.34,
                        color: offset,
                        tooltip: "\(name) \(statistic) \(formatMilliseconds(value, decimals: 3)) ms"
                    )
                )
            }
        }
        return Chart(
            title: "Stages of a spawn",
            x: .linear(0, highest),
            y: .categories(present.map(\.0)),
            xTitle: "milliseconds",
            yTitle: "stage",
            bars: bars,
            barKeys: [Chart.Key(name: "p50", color: 0), Chart.Key(name: "p95", color: 1)],
            height: 90 + Double(present.count) * 30
        )
    }

    // MARK: - Timeline

    /// Leased, restoring and warm VMs over time, stacked: the top edge is every VM the pool holds.
    static func poolState(_ report: RunReport) -> Chart? {
        guard
            var chart = timeline(
                report,
                title: "Pool state",
                yTitle: "VMs (stacked)",
                integer: true,
                series: [
                    ("warm", { Double($0.leased + $0.restoring + $0.warm) }),
                    ("restoring", { Double($0.leased + $0.restoring) }), ("leased", { Double($0.leased) }),
                ]
            )
        else { return nil }
        for index in chart.series.indices { chart.series[index].filled = true }
        return chart
    }

    /// The pool process's jemalloc figures, its RSS and the VMMs' summed PSS, in MiB.
    static func memory(_ report: RunReport) -> Chart? {
        let mib = 1_048_576.0
        var lines: [(String, (TimelineSample) -> Double?)] = [
            ("jemalloc allocated", { $0.jemallocAllocated.map { Double($0) / mib } }),
            ("jemalloc resident", { $0.jemallocResident.map { Double($0) / mib } }),
            ("process RSS", { Double($0.processRSS) / mib }),
            ("VMM PSS (sum)", { Double($0.vmmPSSSum) / mib }),
        ]
        if report.timeline.contains(where: { $0.cgroupUsage != nil }) {
            lines.append(("cgroup usage", { $0.cgroupUsage.map { Double($0) / mib } }))
        }
        return timeline(report, title: "Memory", yTitle: "MiB", series: lines)
    }

    /// Leases served per second, in one-second buckets.
    static func throughput(_ report: RunReport) -> Chart? {
        guard let end = report.timeline.last?.time, end > 0 else { return nil }
        var buckets = [Int](repeating: 0, count: Int(end.rounded(.up)) + 1)
        for sample in report.timeline { buckets[Swift.max(0, Int(sample.time))] += sample.served }
        // A bucket the run covered for less than half a second would read as a drop in throughput.
        if end - end.rounded(.down) < 0.5 { buckets[Int(end)] = 0 }
        let bars = buckets.enumerated().compactMap { second, count -> Chart.Bar? in
            count > 0
                ? Chart.Bar(
                    x0: Double(second) + 0.1,
                    x1: Double(second) + 0.9,
                    y0: 0,
                    y1: Double(count),
                    color: 2,
                    tooltip: "\(second)–\(second + 1) s: \(count) served"
                ) : nil
        }
        var chart = Chart(
            title: "Throughput",
            x: .linear(0, timelineEnd(report)),
            y: .linear(0, Double(Swift.max(1, buckets.max() ?? 1)), integer: true),
            xTitle: "time since start (s)",
            yTitle: "leases served per second",
            bars: bars,
            barKeys: [Chart.Key(name: "served per second", color: 2)]
        )
        chart.bands = faultBands(report)
        return chart
    }

    private static func timeline(
        _ report: RunReport,
        title: String,
        yTitle: String,
        integer: Bool = false,
        series: [(String, (TimelineSample) -> Double?)]
    ) -> Chart? {
        guard !report.timeline.isEmpty else { return nil }
        let lines = series.enumerated().compactMap { index, entry -> Chart.Series? in
            let points = report.timeline.compactMap { sample in entry.1(sample).map { (sample.time, $0) } }
            return points.isEmpty ? nil : Chart.Series(name: entry.0, color: index, points: points, step: true)
        }
        let highest = lines.flatMap { $0.points.map(\.y) }.max() ?? 1
        var chart = Chart(
            title: title,
            x: .linear(0, timelineEnd(report)),
            y: .linear(0, Swift.max(1, highest), integer: integer),
            xTitle: "time since start (s)",
            yTitle: yTitle,
            series: lines
        )
        chart.bands = faultBands(report)
        return chart
    }

    private static func timelineEnd(_ report: RunReport) -> Double {
        Swift.max(
            report.timeline.last?.time ?? 0,
            report.faults.map { $0.endedAt ?? $0.startedAt }.max() ?? 0,
            1
        )
    }

    /// The windows of the faults that were applied (an instantaneous fault is a thin mark at its instant), and
    /// the windows in which the host was disturbed.
    static func faultBands(_ report: RunReport) -> [Chart.Band] {
        report.faults.filter(\.applied).map { fault in
            Chart.Band(from: fault.startedAt, to: fault.endedAt ?? fault.startedAt, label: fault.kind)
        }
            + (report.disturbances ?? []).map {
                Chart.Band(from: $0.start, to: $0.end, label: "host disturbed", style: .disturbance)
            }
    }

    // MARK: - Targets

    struct Target {
        var statistic: String
        var percentile: Double
        var milliseconds: Double
    }

    /// The percentile gates on `metric` (`spawn` → `spawn_ms p95 < 50`), or the design's target for it.
    static func targets(for metric: Metric, gates: [GateResult]) -> [Target] {
        let gated = gates.compactMap { result -> Target? in
            guard let gate = result.gate, gate.metric == metric, gate.comparison.wantsSmaller,
                let percentile = gate.statistic.percentile
            else { return nil }
            return Target(statistic: gate.statistic.rawValue, percentile: percentile, milliseconds: gate.threshold)
        }
        if !gated.isEmpty { return gated }
        guard let fallback = defaultTargets[metric] else { return [] }
        return [Target(statistic: "p95", percentile: fallback.percentile, milliseconds: fallback.milliseconds)]
    }
}
