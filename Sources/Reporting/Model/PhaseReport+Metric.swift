extension PhaseReport {
    /// The spectrum of a latency metric, when the phase measured it.
    ///
    /// ```swift
    /// report.overall.latency(.spawn)?.p95  // e.g. 3.1
    /// ```
    package func latency(_ metric: Metric) -> Spectrum? {
        metric.latencyKey.flatMap { latencies[$0] }
    }
}
