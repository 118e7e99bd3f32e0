import Foundation
import History
import Reporting
import TestSupport
import Testing

/// The stores under test: always a real SQLite file; a real PostgreSQL server when `scripts/test` started one
/// (`SNAPBENCH_TEST_POSTGRES`), which it always does, so CI runs that path too.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    static let postgresURL = ProcessInfo.processInfo.environment["SNAPBENCH_TEST_POSTGRES"]

    static var available: [StoreKind] {
        if postgresURL == nil {
            FileHandle.standardError.write(
                Data(
                    "\n!! SNAPBENCH_TEST_POSTGRES is unset: the PostgreSQL store tests are SKIPPED (scripts/test starts a server and sets it).\n\n"
                        .utf8
                )
            )
        }
        #if Postgres
        return postgresURL == nil ? [.sqlite] : allCases
        #else
        FileHandle.standardError.write(
            Data("\n!! built without the Postgres trait: the PostgreSQL store tests are SKIPPED.\n\n".utf8)
        )
        return [.sqlite]
        #endif
    }

    /// A fresh, empty store of this kind (a new file; a new database on the server), and a way to open it
    /// again as another writer would.
    func open(
        _ scratch: String
    ) async throws -> (store: any ResultsStore, again: @Sendable () async throws -> any ResultsStore) {
        switch self {
        case .sqlite:
            let path = scratch + "/results.sqlite"
            return (try SQLiteResultsStore(path: path), { try SQLiteResultsStore(path: path) })
        case .postgres:
            #if Postgres
            let server = try #require(Self.postgresURL)
            let url = try await PostgresAdmin.createDatabase(serverURL: server)
            return (try await PostgresResultsStore(url: url), { try await PostgresResultsStore(url: url) })
            #else
            throw StoreError(store: "postgres", "this build has no PostgreSQL (the Postgres trait is off)")
            #endif
        }
    }
}

/// Reports that differ in start time and commit, with `restore` as their restore times.
func fixtureReport(index: Int, restore: [Double], scenario: String = "smoke", host: String = "host-a") -> RunReport {
    ReportFixtures.report(
        scenario: scenario,
        phases: [ReportFixtures.phase("load", ["restore": ReportFixtures.spectrum(restore)])],
        gates: [
            GateResult(
                expression: "pool_resident_mb max < 100",
                measured: 12.5 + Double(index),
                passed: true,
                reason: nil
            )
        ],
        backend: "firecracker",
        hostname: host,
        startedAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(index) * 60),
        commit: String(format: "c%06d", index)
    )
}

@Suite("Results store: SQLite and PostgreSQL", .serialized, .timeLimit(.minutes(3)))
struct ResultsStoreTests {
    @Test(
        "a run is kept once with its summaries and distribution; the series reads back in order",
        arguments: StoreKind.available
    )
    func recordAndRead(kind: StoreKind) async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let store = try await kind.open(scratch).store
        #expect(try await store.schemaVersion() == StoreSchema.currentVersion)
        for index in 0..<5 {
            let run = try StoredRun(report: fixtureReport(index: index, restore: [5, 6, 7 + Double(index)]))
            #expect(try await store.record(run))
            #expect(try await store.record(run) == false, "the same report twice is one run")
        }
        #expect(try await store.runCount() == 5)
        let series = try await store.series(SeriesQuery(scenario: "smoke", metric: "restore_ms", statistic: "max"))
        #expect(series.map(\.value) == [7, 8, 9, 10, 11])
        #expect(series.map(\.commit) == (0..<5).map { String(format: "c%06d", $0) })
        let memory = try await store.series(
            SeriesQuery(scenario: "smoke", metric: "pool_resident_mb", statistic: "max")
        )
        #expect(memory.map(\.value) == [12.5, 13.5, 14.5, 15.5, 16.5])
        let phase = try await store.series(
            SeriesQuery(scenario: "smoke", metric: "restore_ms", statistic: "p50", phase: "load")
        )
        #expect(phase.count == 5)
        #expect(try await store.series(SeriesQuery(scenario: "other", metric: "restore_ms", statistic: "max")).isEmpty)
        let simulated = SeriesQuery(scenario: "smoke", metric: "restore_ms", statistic: "max", backend: "simulated")
        #expect(try await store.series(simulated).isEmpty)
        await store.close()
    }

    @Test("two writers at once lose nothing", arguments: StoreKind.available)
    func concurrentWriters(kind: StoreKind) async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let (first, again) = try await kind.open(scratch)
        // The second writer has its own connections to the same file or database, as a second process would.
        let second = try await again()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (writer, store) in [first, second].enumerated() {
                group.addTask {
                    for index in 0..<40 {
                        let report = fixtureReport(index: writer * 1000 + index, restore: [Double(index)])
                        _ = try await store.record(StoredRun(report: report))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await first.runCount() == 80)
        #expect(try await second.runCount() == 80)
        await first.close()
        await second.close()
    }

    @Test("imports are idempotent, skip what is no run report, and a history finds the change they hold")
    func importAndTrend() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        try FileManager.default.createDirectory(atPath: scratch + "/reports/nested", withIntermediateDirectories: true)
        for index in 0..<24 {
            // Twelve runs around 8 ms, then twelve around 13 ms: a change at run 12.
            let base = index < 12 ? 8.0 : 13.0
            let samples = ReportFixtures.normal(mean: base, deviation: 0.4, count: 40, seed: UInt64(index))
            try fixtureReport(index: index, restore: samples).writeJSON(
                to: scratch + "/reports/\(index % 2 == 0 ? "" : "nested/")run-\(index).json"
            )
        }
        try Data("{\"not\": \"a report\"}".utf8).write(to: URL(fileURLWithPath: scratch + "/reports/other.json"))
        let store = try SQLiteResultsStore(path: scratch + "/results.sqlite")
        let importer = ReportImporter(store: store)
        let first = try await importer.importReports(from: [scratch + "/reports"])
        #expect(first.added == 24 && first.alreadyKept == 0 && first.skipped.count == 1, "\(first)")
        let again = try await importer.importReports(from: [scratch + "/reports"])
        #expect(again.added == 0 && again.alreadyKept == 24)
        await #expect(throws: StoreError.self) { try await importer.importReports(from: [scratch + "/missing"]) }

        let trend = try await TrendBuilder(store: store)
            .trend(SeriesQuery(scenario: "smoke", metric: "restore_ms", statistic: "mean"))
        let host = try #require(trend.hosts.first)
        #expect(trend.hosts.count == 1 && host.points.count == 24)
        let change = try #require(host.changes.first)
        #expect(host.changes.count == 1 && abs(change.index - 12) <= 1, "\(host.changes)")
        #expect(change.relative > 40)
        #expect(change.commitRange == "c000011..c000012")
        let text = trend.text()
        #expect(text.contains("change at run 12") && text.contains("c000011..c000012"), "\(text)")
        let html = trend.html()
        #expect(html.contains("<svg") && html.contains("c000011..c000012") && html.contains("E-Divisive"))
        await store.close()
    }

    @Test("a store that is down fails with a StoreError naming it, fast")
    func storeDown() async throws {
        let started = ContinuousClock.now
        await #expect(throws: StoreError.self) {
            _ = try await StoreLocation.postgres(url: "postgres://snapbench@127.0.0.1:1/results").open()
        }
        #expect(started.duration(to: .now) < .seconds(10))
        #expect(throws: StoreError.self) { _ = try SQLiteResultsStore(path: "/proc/no/such/results.sqlite") }
    }

    #if Postgres
    @Test("a URL that is not PostgreSQL's is refused by the PostgreSQL store")
    func notPostgres() async throws {
        await #expect(throws: StoreError.self) { _ = try await PostgresResultsStore(url: "mysql://x@y/z") }
    }

    @Test("sslmode: libpq's four values, disable by default on loopback and prefer elsewhere; a bad one refused")
    func sslModes() throws {
        func mode(_ url: String) throws -> PostgresResultsStore.SSLMode {
            try PostgresResultsStore.SSLMode.of(try #require(URL(string: url)))
        }
        #expect(try mode("postgres://a@127.0.0.1:5432/r") == .disable)
        #expect(try mode("postgres://a@localhost/r") == .disable)
        #expect(try mode("postgres://a@db.internal/r") == .prefer)
        #expect(try mode("postgres://a@db.internal/r?sslmode=require") == .require)
        #expect(try mode("postgres://a@127.0.0.1/r?sslmode=verify-full") == .verifyFull)
        #expect(try mode("postgres://a@db.internal/r?sslmode=disable") == .disable)
        #expect(throws: StoreError.self) { try mode("postgres://a@db.internal/r?sslmode=always") }
    }

    @Test(
        "against a server without TLS, sslmode=require is refused at once and sslmode=prefer falls back",
        .enabled(if: StoreKind.postgresURL != nil, "needs the PostgreSQL server scripts/test starts")
    )
    func sslAgainstPlainServer() async throws {
        let url = try await PostgresAdmin.createDatabase(serverURL: try #require(StoreKind.postgresURL))
        await #expect(throws: StoreError.self) { _ = try await PostgresResultsStore(url: url + "?sslmode=require") }
        let store = try await PostgresResultsStore(url: url + "?sslmode=prefer")
        #expect(try await store.runCount() == 0)
        await store.close()
    }
    #endif

    @Test("store locations: --store, then SNAPBENCH_STORE, then the XDG default; bad ones refused")
    func locations() throws {
        #expect(try StoreLocation.resolve(option: "none", environment: [:]) == .none)
        #expect(
            try StoreLocation.resolve(option: nil, environment: ["SNAPBENCH_STORE": "postgres://a@b/c"])
                == .postgres(url: "postgres://a@b/c")
        )
        #expect(
            try StoreLocation.resolve(option: "sqlite:/x/r.sqlite", environment: ["SNAPBENCH_STORE": "none"])
                == .sqlite(path: "/x/r.sqlite")
        )
        #expect(try StoreLocation.resolve(option: "r.sqlite", environment: [:]) == .sqlite(path: "r.sqlite"))
        #expect(
            try StoreLocation.resolve(option: nil, environment: ["XDG_DATA_HOME": "/data"])
                == .sqlite(path: "/data/snapbench/results.sqlite")
        )
        #expect(
            try StoreLocation.resolve(option: nil, environment: ["HOME": "/home/u"])
                == .sqlite(path: "/home/u/.local/share/snapbench/results.sqlite")
        )
        #expect(throws: StoreError.self) { try StoreLocation.parse("mysql://x") }
        #expect(throws: StoreError.self) { try StoreLocation.parse("sqlite:") }
        #expect(throws: StoreError.self) { try StoreLocation.parse("  ") }
    }
}
