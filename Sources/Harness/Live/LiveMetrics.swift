import Prometheus
import SnapshotPool

/// What a run shows while it runs, in the Prometheus/OpenMetrics text format (``MetricsServer`` serves it):
/// the pool's state and memory each sample, spawn and restore histograms as acquires end, counts of outcomes
/// and of the pool's crashes, sheds and failures. A soak can be watched in Grafana; the report stays the
/// record.
///
/// ```swift
/// let live = LiveMetrics()
/// live.poolState(warm: 4, leased: 1, restoring: 0, waiting: 0)
/// print(live.exposition())  // snapbench_pool_vms{state="warm"} 4.0 …
/// ```
package final class LiveMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let spawn: DurationHistogram
    private let restore: DurationHistogram
    private let served: Counter
    private let failed: Counter
    private let warm: Gauge
    private let leased: Gauge
    private let restoring: Gauge
    private let waiting: Gauge
    private let poolResident: Gauge
    private let vmmPSS: Gauge
    private let events: [String: Counter]

    /// Spawn and restore histogram buckets, in ms: around the 20 and 50 ms targets.
    static let buckets: [Duration] = [1, 2, 5, 10, 15, 20, 30, 50, 75, 100, 250, 500, 1000, 5000].map {
        .milliseconds($0)
    }

    /// Pool events counted by kind.
    static let countedEvents = ["crashed", "shed", "readiness_failed", "restore_failed", "snapshot_failed", "expired"]

    package init() {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "snapbench", metricName: metric, unitName: unit, helpText: help)
        }
        spawn = registry.makeDurationHistogram(
            descriptor: name("spawn", "seconds", "request (intended instant) to the guest's readiness line"),
            buckets: Self.buckets
        )
        restore = registry.makeDurationHistogram(
            descriptor: name("restore", "seconds", "PUT /snapshot/load sent to its response, per lease's VM"),
            buckets: Self.buckets
        )
        served = registry.makeCounter(
            descriptor: name("acquires", "total", "acquires by outcome"),
            labels: [("outcome", "served")]
        )
        failed = registry.makeCounter(
            descriptor: name("acquires", "total", "acquires by outcome"),
            labels: [("outcome", "failed")]
        )
        let vms = name("pool_vms", "", "the pool's VMs by state")
        warm = registry.makeGauge(descriptor: vms, labels: [("state", "warm")])
        leased = registry.makeGauge(descriptor: vms, labels: [("state", "leased")])
        restoring = registry.makeGauge(descriptor: vms, labels: [("state", "restoring")])
        waiting = registry.makeGauge(descriptor: name("pool_waiting_acquires", "", "acquires queued in the pool"))
        poolResident = registry.makeGauge(
            descriptor: name("pool_resident", "bytes", "jemalloc stats.resident of the snapbench process")
        )
        vmmPSS = registry.makeGauge(descriptor: name("vmm_pss", "bytes", "sum of the pool's VMMs' PSS"))
        var events: [String: Counter] = [:]
        for event in Self.countedEvents {
            events[event] = registry.makeCounter(
                descriptor: name("pool_events", "total", "pool events by kind"),
                labels: [("event", event)]
            )
        }
        self.events = events
    }

    /// An acquire ended: served (with its spawn and its VM's restore) or failed.
    func acquireEnded(spawn: Duration?, restore: Duration?) {
        guard let spawn else {
            failed.increment()
            return
        }
        served.increment()
        self.spawn.record(spawn)
        if let restore { self.restore.record(restore) }
    }

    /// The pool's state at a sample.
    package func poolState(warm: Int, leased: Int, restoring: Int, waiting: Int) {
        self.warm.set(Int64(warm))
        self.leased.set(Int64(leased))
        self.restoring.set(Int64(restoring))
        self.waiting.set(Int64(waiting))
    }

    /// Memory at a sample.
    func memory(poolResident: UInt64?, vmmPSS: UInt64) {
        if let poolResident { self.poolResident.set(Int64(clamping: poolResident)) }
        self.vmmPSS.set(Int64(clamping: vmmPSS))
    }

    /// A pool event happened; those in ``countedEvents`` are counted.
    func event(_ name: String) {
        events[name]?.increment()
    }

    /// The text a scrape gets.
    package func exposition() -> String {
        registry.emitToString()
    }
}
