/// What a pool watches and where it records, beside its ``PoolConfiguration``.
///
/// ```swift
/// let services = PoolServices(
///     pressure: PressureMonitoring(source: SystemPressureSource(cgroup: cgroup.location)),
///     audit: try AuditLog(path: "/var/log/snapbench/audit.jsonl")
/// )
/// let pool = SnapshotPool(backend: backend, configuration: configuration, services: services)
/// ```
package struct PoolServices: Sendable {
    /// Memory-pressure monitoring; `nil` keeps the level at normal unless ``SnapshotPool/apply(pressure:)``
    /// is called.
    package var pressure: PressureMonitoring?
    /// The audit log every security-relevant operation is recorded in.
    package var audit: AuditLog?

    package init(pressure: PressureMonitoring? = nil, audit: AuditLog? = nil) {
        self.pressure = pressure
        self.audit = audit
    }
}

/// Where the pool reads memory pressure from, and how it judges it.
package struct PressureMonitoring: Sendable {
    /// The readings (PSI, cgroup usage against its limit, MemAvailable).
    package var source: any MemoryPressureSource
    /// The levels' thresholds and hysteresis.
    package var thresholds: PressureThresholds
    /// How often to read (1–10 Hz is plenty: the readings are averages themselves).
    package var interval: Duration

    package init(
        source: any MemoryPressureSource,
        thresholds: PressureThresholds = PressureThresholds(),
        interval: Duration = .milliseconds(200)
    ) {
        self.source = source
        self.thresholds = thresholds
        self.interval = interval
    }
}

/// Lets an existential source drive the generic monitor.
struct AnyPressureSource: MemoryPressureSource {
    let base: any MemoryPressureSource
    func read() -> MemoryPressureReading { base.read() }
}
