package import Reporting

/// Reads a series from a results store and finds where it changed, per host class.
///
/// ```swift
/// let trend = try await TrendBuilder(store: store)
///     .trend(SeriesQuery(scenario: "smoke", metric: "restore_ms", statistic: "p95"))
/// print(trend.text())
/// ```
package struct TrendBuilder: Sendable {
    package let store: any ResultsStore
    package var detector = EDivisive()

    package init(store: any ResultsStore) {
        self.store = store
    }

    /// The trend of `query`'s series: one ``Trend/Host`` per host class (in order of first appearance), each
    /// with its change points.
    package func trend(_ query: SeriesQuery) async throws -> Trend {
        let points = try await store.series(query)
        var order: [String] = []
        var byClass: [String: [SeriesPoint]] = [:]
        for point in points {
            if byClass[point.hostClass] == nil { order.append(point.hostClass) }
            byClass[point.hostClass, default: []].append(point)
        }
        let hosts = order.map { hostClass in
            let series = byClass[hostClass] ?? []
            let changes = detector.changePoints(in: series.map(\.value)).map { change in
                Trend.Change(
                    index: change.index,
                    lastCommitBefore: series[change.index - 1].commit,
                    firstCommitAfter: series[change.index].commit,
                    meanBefore: change.meanBefore,
                    meanAfter: change.meanAfter,
                    pValue: change.pValue
                )
            }
            return Trend.Host(
                hostClass: hostClass,
                points: series.map {
                    Trend.Point(startedAt: $0.startedAt, commit: $0.commit, verdict: $0.verdict, value: $0.value)
                },
                changes: changes
            )
        }
        return Trend(
            scenario: query.scenario,
            metric: query.metric,
            statistic: query.statistic,
            phase: query.phase,
            unit: Metric(rawValue: query.metric)?.unit ?? "",
            hosts: hosts,
            method: "Change points: E-Divisive with means (Matteson and James 2014), α = 1, "
                + "\(detector.permutations) permutations per split, significance \(detector.significance), "
                + "at least \(detector.minimumSegment) runs either side."
        )
    }
}
