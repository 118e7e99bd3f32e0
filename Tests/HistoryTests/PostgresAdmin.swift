#if Postgres
import Foundation
import Logging
import PostgresNIO

/// Makes a database of its own for a test on the server `scripts/test` started.
enum PostgresAdmin {
    /// Creates a new database on the server at `serverURL` and returns its URL.
    static func createDatabase(serverURL: String) async throws -> String {
        guard let url = URL(string: serverURL), let host = url.host, let user = url.user else {
            throw PostgresAdminError(message: "not a PostgreSQL URL: \(serverURL)")
        }
        let name = "sbt_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let client = PostgresClient(
            configuration: .init(
                host: host,
                port: url.port ?? 5432,
                username: user,
                password: url.password,
                database: url.path.count > 1 ? String(url.path.dropFirst()) : "postgres",
                tls: .disable
            )
        )
        // The client runs in a child task for the query's duration, and has stopped when this returns.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Logger(label: "sbt"))
        }
        return "postgres://\(user)\(url.password.map { ":\($0)" } ?? "")@\(host):\(url.port ?? 5432)/\(name)"
    }
}

struct PostgresAdminError: Error {
    var message: String
}
#endif
