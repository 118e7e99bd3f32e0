#if Postgres
package import Foundation
import Logging
import NIOPosix
import NIOSSL
import PostgresNIO

/// The shared results store: a PostgreSQL database that a fleet of hosts writes to, through postgres-nio.
///
/// Migrations run under a transaction-scoped advisory lock, so hosts starting at once migrate it once.
///
/// ```swift
/// let store = try await PostgresResultsStore(url: "postgres://snapbench@db.internal:5432/results")
/// _ = try await store.record(StoredRun(report: report))
/// await store.close()
/// ```
package final class PostgresResultsStore: ResultsStore {
    /// The advisory lock key migrations hold (`snapbench` in ASCII, as a number).
    static let migrationLock: Int64 = 0x736E_6170_6265_6E63

    package let description: String
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger = Logger(label: "snapbench.store.postgres")

    /// How the connection is encrypted: libpq's `sslmode` values, `disable`, `prefer`, `require` and
    /// `verify-full`. Without one, `disable` on loopback and `prefer` elsewhere.
    package enum SSLMode: String, Sendable, Equatable {
        case disable
        case prefer
        case require
        case verifyFull = "verify-full"

        /// The mode `url` asks for (its `sslmode` query item), or the default for its host.
        ///
        /// - Throws: ``StoreError`` for a value that is none of the four.
        package static func of(_ url: URL) throws -> SSLMode {
            let asked = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems?
                .first { $0.name == "sslmode" }?.value
            guard let asked else {
                return ["127.0.0.1", "localhost", "::1"].contains(url.host ?? "") ? .disable : .prefer
            }
            guard let mode = SSLMode(rawValue: asked) else {
                throw StoreError(
                    store: url.absoluteString,
                    "sslmode=\(asked): use disable, prefer, require or verify-full"
                )
            }
            return mode
        }

        /// The TLS configuration: the server's certificate checked against the system's roots only with
        /// `verify-full`, as libpq does.
        var configuration: TLSConfiguration {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if self != .verifyFull { configuration.certificateVerification = .none }
            return configuration
        }

        var clientTLS: PostgresClient.Configuration.TLS {
            switch self {
            case .disable: .disable
            case .prefer: .prefer(configuration)
            case .require, .verifyFull: .require(configuration)
            }
        }

        func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
            switch self {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: configuration))
            case .require, .verifyFull: .require(try NIOSSLContext(configuration: configuration))
            }
        }
    }

    /// Connects to the database at `url` (`postgres://user[:password]@host[:port]/database[?sslmode=…]`, see
    /// ``SSLMode``) and migrates it.
    ///
    /// - Throws: ``StoreError`` naming the server and its reason (refused, authentication, …).
    package init(url: String) async throws {
        guard let parsed = URL(string: url), ["postgres", "postgresql"].contains(parsed.scheme ?? ""),
            let host = parsed.host, let user = parsed.user
        else {
            throw StoreError(
                store: url,
                "not a PostgreSQL URL: expected postgres://user[:password]@host[:port]/database"
            )
        }
        let database = parsed.path.count > 1 ? String(parsed.path.dropFirst()) : user
        let sslMode = try SSLMode.of(parsed)
        let port = parsed.port ?? 5432
        description = "postgres://\(user)@\(host):\(port)/\(database)"
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: user,
            password: parsed.password,
            database: database,
            tls: sslMode.clientTLS
        )
        configuration.options.connectTimeout = .seconds(5)
        // One connection first, on its own: a server that refuses it, or refuses the user, says so at once
        // (the pool would retry a refused connection with backoff while the first query waits).
        do {
            let probe = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(),
                configuration: PostgresConnection.Configuration(
                    host: host,
                    port: port,
                    username: user,
                    password: parsed.password,
                    database: database,
                    tls: try sslMode.connectionTLS()
                ),
                id: 0,
                logger: Logger(label: "snapbench.store.postgres")
            )
            .get()
            try await probe.close()
        } catch {
            throw StoreError(store: description, "cannot connect: \(String(reflecting: error))")
        }
        configuration.options.maximumConnections = 4
        let client = PostgresClient(configuration: configuration)
        self.client = client
        runner = Task { await client.run() }
        do {
            // The client retries a refused connection with backoff for as long as a query waits: bounded here,
            // so a store that is down is reported in seconds, not minutes.
            try await Self.within(Self.openTimeout, store: description) { try await self.migrate() }
        } catch {
            runner.cancel()
            throw StoreError(store: description, "cannot open: \(String(reflecting: error))")
        }
    }

    package func record(_ run: StoredRun) async throws -> Bool {
        do {
            return try await Self.within(Self.writeTimeout, store: description) { try await self.insert(run) }
        } catch {
            throw StoreError(store: description, "cannot record run \(run.id.prefix(12)): \(String(reflecting: error))")
        }
    }

    private func insert(_ run: StoredRun) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            let inserted = try await connection.query(
                Self.query(StoreSchema.insertRun + " RETURNING id", Self.runBinds(run)),
                logger: logger
            )
            var added = false
            for try await _ in inserted { added = true }
            guard added else { return false }
            for summary in run.summaries {
                var binds = PostgresBindings()
                binds.append(run.id)
                binds.append(summary.phase)
                binds.append(summary.metric)
                binds.append(summary.statistic)
                binds.append(summary.value)
                try await connection.query(Self.query(StoreSchema.insertSummary, binds), logger: logger)
            }
            for distribution in run.distributions {
                var binds = PostgresBindings()
                binds.append(run.id)
                binds.append(distribution.phase)
                binds.append(distribution.metric)
                binds.append(distribution.valuesMilliseconds.jsonText)
                binds.append(distribution.counts.jsonText)
                try await connection.query(Self.query(StoreSchema.insertDistribution, binds), logger: logger)
            }
            return true
        }
    }

    package func series(_ query: SeriesQuery) async throws -> [SeriesPoint] {
        var binds = PostgresBindings()
        do {
            for value in [query.scenario, query.metric, query.statistic, query.phase] { binds.append(value) }
            if let hostClass = query.hostClass { binds.append(hostClass) }
            if let backend = query.backend { binds.append(backend) }
            let sql = StoreSchema.seriesSQL(hostClass: query.hostClass != nil, backend: query.backend != nil)
            let rows = try await client.query(Self.query(sql, binds), logger: logger)
            var points: [SeriesPoint] = []
            for try await (id, startedAt, commit, hostClass, verdict, value) in rows.decode(
                (String, String, String?, String, String, Double).self
            ) {
                points.append(
                    SeriesPoint(
                        runID: id,
                        startedAt: startedAt,
                        commit: commit,
                        hostClass: hostClass,
                        verdict: verdict,
                        value: value
                    )
                )
            }
            return points
        } catch {
            throw StoreError(store: description, "cannot read the series: \(String(reflecting: error))")
        }
    }

    package func runCount() async throws -> Int {
        let rows = try await client.query("SELECT COUNT(*) FROM runs", logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// The schema version a migrated database records.
    static let schemaVersionSQL: PostgresQuery = "SELECT COALESCE(MAX(version), 0) FROM snapbench_schema"

    package func schemaVersion() async throws -> Int {
        let rows = try await client.query(Self.schemaVersionSQL, logger: logger)
        for try await version in rows.decode(Int32.self) { return Int(version) }
        return 0
    }

    package func close() async {
        runner.cancel()
        await runner.value
    }

    /// How long opening (connecting and migrating) may take.
    static let openTimeout = Duration.seconds(10)
    /// How long recording one run may take.
    static let writeTimeout = Duration.seconds(30)

    /// `operation`, or a ``StoreError`` once `limit` has passed without its answer.
    static func within<T: Sendable>(
        _ limit: Duration,
        store: String,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw StoreError(store: store, "no answer within \(limit.components.seconds) s")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }

    /// Brings the schema to ``StoreSchema/currentVersion`` under the migration lock.
    private func migrate() async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS snapbench_schema (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
                logger: logger
            )
            var current = 0
            for try await version in try await connection.query(Self.schemaVersionSQL, logger: logger)
                .decode(Int32.self)
            {
                current = Int(version)
            }
            for (index, statements) in StoreSchema.migrations.enumerated() where index + 1 > current {
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let version = Int32(index + 1)
                let now = ISO8601DateFormatter().string(from: Date())
                try await connection.query(
                    "INSERT INTO snapbench_schema (version, applied_at) VALUES (\(version), \(now))",
                    logger: logger
                )
            }
        }
    }

    /// `sql` with its `?` placeholders numbered as PostgreSQL wants them (`$1`, `$2`, …).
    static func query(_ sql: String, _ binds: PostgresBindings) -> PostgresQuery {
        var numbered = ""
        var next = 1
        for character in sql {
            if character == "?" {
                numbered += "$\(next)"
                next += 1
            } else {
                numbered.append(character)
            }
        }
        return PostgresQuery(unsafeSQL: numbered, binds: binds)
    }

    private static func runBinds(_ run: StoredRun) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(run.id)
        binds.append(run.scenario)
        binds.append(run.startedAt)
        binds.append(run.durationSeconds)
        binds.append(run.commit)
        binds.append(run.snapbenchVersion)
        binds.append(run.backend)
        binds.append(run.verdict)
        binds.append(run.hostname)
        binds.append(run.cpuModel)
        binds.append(Int32(clamping: run.cpuCount))
        binds.append(run.kernel)
        binds.append(run.kvmFlavour)
        binds.append(run.firecrackerVersion)
        binds.append(run.firecrackerSHA256)
        binds.append(run.hostClass)
        binds.append(String(decoding: run.json, as: UTF8.self))
        return binds
    }
}
#endif
