import Foundation
import GRDB

/// The embedded results store: one SQLite file (WAL mode, so runs can read while another writes), through
/// GRDB. Writers from several processes take turns: each waits up to ``busyTimeoutSeconds`` for the file's lock.
///
/// ```swift
/// let store = try SQLiteResultsStore(path: NSHomeDirectory() + "/.local/share/snapbench/results.sqlite")
/// _ = try await store.record(StoredRun(report: report))
/// ```
package final class SQLiteResultsStore: ResultsStore {
    /// How long a write waits for another process's.
    package static let busyTimeoutSeconds: Double = 30

    package let path: String
    private let database: DatabasePool

    /// Opens (creating it and its directory when missing) and migrates the store at `path`.
    ///
    /// - Throws: ``StoreError`` naming the file and SQLite's reason.
    package init(path: String) throws {
        self.path = path
        do {
            try FileManager.default.createDirectory(
                atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                withIntermediateDirectories: true
            )
            var configuration = Configuration()
            configuration.busyMode = .timeout(Self.busyTimeoutSeconds)
            configuration.foreignKeysEnabled = true
            database = try DatabasePool(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            for (index, statements) in StoreSchema.migrations.enumerated() {
                migrator.registerMigration("v\(index + 1)") { db in
                    for statement in statements { try db.execute(sql: statement) }
                }
            }
            try migrator.migrate(database)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(store: "sqlite:\(path)", "cannot open: \(error)")
        }
    }

    package var description: String { "sqlite:\(path)" }

    package func record(_ run: StoredRun) async throws -> Bool {
        do {
            let runArguments = StatementArguments(Self.runValues(run))
            return try await database.write { db in
                try db.execute(sql: StoreSchema.insertRun, arguments: runArguments)
                guard db.changesCount == 1 else { return false }
                for summary in run.summaries {
                    try db.execute(
                        sql: StoreSchema.insertSummary,
                        arguments: [run.id, summary.phase, summary.metric, summary.statistic, summary.value]
                    )
                }
                for distribution in run.distributions {
                    try db.execute(
                        sql: StoreSchema.insertDistribution,
                        arguments: [
                            run.id, distribution.phase, distribution.metric, distribution.valuesMilliseconds.jsonText,
                            distribution.counts.jsonText,
                        ]
                    )
                }
                return true
            }
        } catch {
            throw StoreError(store: description, "cannot record run \(run.id.prefix(12)): \(error)")
        }
    }

    package func series(_ query: SeriesQuery) async throws -> [SeriesPoint] {
        var arguments: [(any DatabaseValueConvertible)?] = [query.scenario, query.metric, query.statistic, query.phase]
        if let hostClass = query.hostClass { arguments.append(hostClass) }
        if let backend = query.backend { arguments.append(backend) }
        let sql = StoreSchema.seriesSQL(hostClass: query.hostClass != nil, backend: query.backend != nil)
        let statementArguments = StatementArguments(arguments)
        do {
            return try await database.read { db in
                try Row.fetchAll(db, sql: sql, arguments: statementArguments).map { row in
                    SeriesPoint(
                        runID: row[0],
                        startedAt: row[1],
                        commit: row[2],
                        hostClass: row[3],
                        verdict: row[4],
                        value: row[5]
                    )
                }
            }
        } catch {
            throw StoreError(store: description, "cannot read the series: \(error)")
        }
    }

    package func runCount() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs") ?? 0 }
    }

    package func schemaVersion() async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations") ?? 0
        }
    }

    package func close() async {
        try? database.close()
    }

    /// The `runs` row of `run`, in ``StoreSchema/insertRun``'s column order.
    static func runValues(_ run: StoredRun) -> [(any DatabaseValueConvertible)?] {
        [
            run.id, run.scenario, run.startedAt, run.durationSeconds, run.commit, run.snapbenchVersion, run.backend,
            run.verdict, run.hostname, run.cpuModel, run.cpuCount, run.kernel, run.kvmFlavour, run.firecrackerVersion,
            run.firecrackerSHA256, run.hostClass, String(decoding: run.json, as: UTF8.self),
        ]
    }
}
