import Foundation

/// The results store's tables, one migration per version, in SQL both SQLite and PostgreSQL accept.
///
/// - `runs`: one row per report: identity, metadata, host fingerprint, and the report JSON itself.
/// - `summaries`: one row per (run, phase, metric, statistic): what a history is drawn from.
/// - `distributions`: each overall latency's recorded distribution (values in ms and counts, as JSON).
package enum StoreSchema {
    /// The migrations, in order: version `i + 1` is `migrations[i]`.
    package static let migrations: [[String]] = [
        [
            """
            CREATE TABLE runs (
                id TEXT PRIMARY KEY,
                scenario TEXT NOT NULL,
                started_at TEXT NOT NULL,
                duration_seconds DOUBLE PRECISION NOT NULL,
                commit_id TEXT,
                snapbench_version TEXT NOT NULL,
                backend TEXT NOT NULL,
                verdict TEXT NOT NULL,
                host_name TEXT NOT NULL,
                cpu_model TEXT NOT NULL,
                cpu_count INTEGER NOT NULL,
                kernel TEXT NOT NULL,
                kvm_flavour TEXT NOT NULL,
                firecracker_version TEXT,
                firecracker_sha256 TEXT,
                host_class TEXT NOT NULL,
                report TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE summaries (
                run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                phase TEXT NOT NULL,
                metric TEXT NOT NULL,
                statistic TEXT NOT NULL,
                value DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (run_id, phase, metric, statistic)
            )
            """,
            """
            CREATE TABLE distributions (
                run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                phase TEXT NOT NULL,
                metric TEXT NOT NULL,
                values_ms TEXT NOT NULL,
                counts TEXT NOT NULL,
                PRIMARY KEY (run_id, phase, metric)
            )
            """,
            "CREATE INDEX runs_by_scenario ON runs (scenario, started_at)",
            "CREATE INDEX summaries_by_series ON summaries (metric, statistic, phase)",
        ]
    ]

    /// The version a store is at once migrated.
    package static var currentVersion: Int { migrations.count }

    /// The series query; `?` placeholders in order: scenario, metric, statistic, phase, then host class and
    /// backend when `filtered` says so.
    static func seriesSQL(hostClass: Bool, backend: Bool) -> String {
        """
        SELECT r.id, r.started_at, r.commit_id, r.host_class, r.verdict, s.value
        FROM summaries s JOIN runs r ON r.id = s.run_id
        WHERE r.scenario = ? AND s.metric = ? AND s.statistic = ? AND s.phase = ?
        \(hostClass ? "AND r.host_class = ?" : "") \(backend ? "AND r.backend = ?" : "")
        ORDER BY r.started_at, r.id
        """
    }

    static let insertRun = """
        INSERT INTO runs (id, scenario, started_at, duration_seconds, commit_id, snapbench_version, backend, verdict,
            host_name, cpu_model, cpu_count, kernel, kvm_flavour, firecracker_version, firecracker_sha256, host_class,
            report)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO NOTHING
        """
    static let insertSummary =
        "INSERT INTO summaries (run_id, phase, metric, statistic, value) VALUES (?, ?, ?, ?, ?)"
    static let insertDistribution =
        "INSERT INTO distributions (run_id, phase, metric, values_ms, counts) VALUES (?, ?, ?, ?, ?)"
}

extension Array where Element: Encodable {
    /// Compact JSON of the array, for the `distributions` columns.
    var jsonText: String {
        (try? String(decoding: JSONEncoder().encode(self), as: UTF8.self)) ?? "[]"
    }
}
