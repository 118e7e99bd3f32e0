/// Where run reports are kept: an embedded SQLite file, or a PostgreSQL database a fleet of hosts shares.
///
/// Both keep the same versioned schema (``StoreSchema``); recording a run is one transaction and idempotent
/// (a run already kept is left as it is), so two writers at once lose nothing and an import can be repeated.
///
/// ```swift
/// let store = try await StoreLocation.parse("sqlite:/var/lib/snapbench/results.sqlite").open()
/// let added = try await store.record(StoredRun(report: report))
/// let points = try await store.series(SeriesQuery(scenario: "smoke", metric: "restore_ms", statistic: "p95"))
/// await store.close()
/// ```
package protocol ResultsStore: Sendable, CustomStringConvertible {
    /// Where it is, for messages (a password is never shown).
    var description: String { get }

    /// Keeps `run`; `false` when it was kept already.
    func record(_ run: StoredRun) async throws -> Bool

    /// The values of one statistic of one metric over the runs of a scenario, oldest first.
    func series(_ query: SeriesQuery) async throws -> [SeriesPoint]

    /// How many runs it keeps.
    func runCount() async throws -> Int

    /// The schema version it is at.
    func schemaVersion() async throws -> Int

    /// Releases its connections.
    func close() async
}

/// Which values a history shows.
package struct SeriesQuery: Sendable, Equatable {
    package var scenario: String
    /// e.g. `restore_ms`, `pool_resident_mb`.
    package var metric: String
    /// e.g. `p95`, `mean`, `max`.
    package var statistic: String
    /// `overall`, or a phase's name.
    package var phase: String
    /// Only runs of this host class, when set.
    package var hostClass: String?
    /// Only runs of this backend (`firecracker` by default: simulated numbers make no trend).
    package var backend: String?

    package init(
        scenario: String,
        metric: String,
        statistic: String,
        phase: String = "overall",
        hostClass: String? = nil,
        backend: String? = "firecracker"
    ) {
        self.scenario = scenario
        self.metric = metric
        self.statistic = statistic
        self.phase = phase
        self.hostClass = hostClass
        self.backend = backend
    }
}

/// One run's value in a series.
package struct SeriesPoint: Sendable, Equatable {
    package var runID: String
    package var startedAt: String
    package var commit: String?
    package var hostClass: String
    package var verdict: String
    package var value: Double

    package init(runID: String, startedAt: String, commit: String?, hostClass: String, verdict: String, value: Double) {
        self.runID = runID
        self.startedAt = startedAt
        self.commit = commit
        self.hostClass = hostClass
        self.verdict = verdict
        self.value = value
    }
}

/// A store that could not be opened, read or written.
package struct StoreError: Error, Sendable, CustomStringConvertible {
    package var store: String
    package var message: String

    package init(store: String, _ message: String) {
        self.store = store
        self.message = message
    }

    package var description: String { "results store \(store): \(message)" }
}
