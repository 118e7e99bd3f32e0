/// One metric's values over a scenario's runs, per class of host, with the changes found in them: what
/// `snapbench history` prints as a table and draws as a page (``html()``).
///
/// ```swift
/// let trend = Trend(scenario: "smoke", metric: "restore_ms", statistic: "p95", unit: "ms", hosts: [host])
/// print(trend.text())
/// try trend.html().write(toFile: "history.html", atomically: true, encoding: .utf8)
/// ```
package struct Trend: Sendable, Equatable {
    /// One host class's runs, oldest first, and the changes found in them.
    package struct Host: Sendable, Equatable {
        package var hostClass: String
        package var points: [Point]
        package var changes: [Change]

        package init(hostClass: String, points: [Point], changes: [Change]) {
            self.hostClass = hostClass
            self.points = points
            self.changes = changes
        }
    }

    /// One run's value.
    package struct Point: Sendable, Equatable {
        package var startedAt: String
        package var commit: String?
        package var verdict: String
        package var value: Double

        package init(startedAt: String, commit: String?, verdict: String, value: Double) {
            self.startedAt = startedAt
            self.commit = commit
            self.verdict = verdict
            self.value = value
        }
    }

    /// A change point: the first run of the new regime, the commits it falls between, and the means either
    /// side.
    package struct Change: Sendable, Equatable {
        /// Index in ``Host/points`` of the first run after the change.
        package var index: Int
        /// The commit of the last run before it and of the first run after it: the change lies in between.
        package var lastCommitBefore: String?
        package var firstCommitAfter: String?
        package var meanBefore: Double
        package var meanAfter: Double
        package var pValue: Double

        package init(
            index: Int,
            lastCommitBefore: String?,
            firstCommitAfter: String?,
            meanBefore: Double,
            meanAfter: Double,
            pValue: Double
        ) {
            self.index = index
            self.lastCommitBefore = lastCommitBefore
            self.firstCommitAfter = firstCommitAfter
            self.meanBefore = meanBefore
            self.meanAfter = meanAfter
            self.pValue = pValue
        }

        /// The change relative to the mean before it, e.g. `+41.2 %`.
        package var relative: Double { meanBefore == 0 ? 0 : (meanAfter - meanBefore) / meanBefore * 100 }

        /// `abc1234..def5678`, the range a `git log` of the change takes.
        package var commitRange: String {
            "\(lastCommitBefore.map { String($0.prefix(12)) } ?? "?")..\(firstCommitAfter.map { String($0.prefix(12)) } ?? "?")"
        }
    }

    package var scenario: String
    package var metric: String
    package var statistic: String
    package var phase: String
    /// The metric's unit (`ms`, `MiB`, …; empty for counts).
    package var unit: String
    package var hosts: [Host]
    /// How changes were found, as the page states it.
    package var method: String

    package init(
        scenario: String,
        metric: String,
        statistic: String,
        phase: String = "overall",
        unit: String,
        hosts: [Host],
        method: String = ""
    ) {
        self.scenario = scenario
        self.metric = metric
        self.statistic = statistic
        self.phase = phase
        self.unit = unit
        self.hosts = hosts
        self.method = method
    }

    /// A title such as `smoke · restore_ms p95 (overall)`.
    package var title: String { "\(scenario) · \(metric) \(statistic)\(phase == "overall" ? "" : " (\(phase))")" }

    /// The table `snapbench history` prints: per host class, its runs and then its changes.
    package func text() -> String {
        var out = "\(title)\n"
        if hosts.isEmpty { return out + "no runs recorded for this scenario and metric\n" }
        for host in hosts {
            out += "\nhost class: \(host.hostClass) (\(host.points.count) runs)\n"
            var table = TextTable(
                columns: [
                    "#", "started (UTC)", "commit", "verdict", "\(statistic)\(unit.isEmpty ? "" : " (\(unit))")",
                ],
                alignments: [.right, .left, .left, .left, .right]
            )
            let changeIndices = Set(host.changes.map(\.index))
            for (index, point) in host.points.enumerated() {
                table.append([
                    (changeIndices.contains(index) ? "▶ " : "") + "\(index)", point.startedAt,
                    point.commit.map { String($0.prefix(12)) } ?? "–", point.verdict, formatNumber(point.value),
                ])
            }
            out += table.render()
            if !out.hasSuffix("\n") { out += "\n" }
            if host.changes.isEmpty {
                out += "no change point found\n"
            } else {
                for change in host.changes {
                    out +=
                        "change at run \(change.index): \(formatNumber(change.meanBefore)) → "
                        + "\(formatNumber(change.meanAfter)) \(unit) (\(change.relative >= 0 ? "+" : "")"
                        + "\(formatNumber(change.relative)) %, p = \(formatNumber(change.pValue))), "
                        + "between commits \(change.commitRange)\n"
                }
            }
        }
        if !method.isEmpty { out += "\n\(method)\n" }
        return out
    }
}
