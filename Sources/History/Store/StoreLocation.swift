import Foundation

/// Where a results store is, as `--store` or `SNAPBENCH_STORE` names it:
///
/// - `none`: keep no history;
/// - `postgres://user[:password]@host[:port]/database`: a PostgreSQL database;
/// - `sqlite:PATH`, or a plain path: a SQLite file.
///
/// With neither, the default is the SQLite file `$XDG_DATA_HOME/snapbench/results.sqlite`
/// (`~/.local/share/snapbench/results.sqlite` when `XDG_DATA_HOME` is unset).
///
/// ```swift
/// let location = try StoreLocation.resolve(option: nil, environment: ProcessInfo.processInfo.environment)
/// let store = try await location.open()  // nil for `none`
/// ```
package enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case none
    case sqlite(path: String)
    case postgres(url: String)

    /// The environment variable that names the store when `--store` does not.
    package static let environmentVariable = "SNAPBENCH_STORE"

    /// `--store` if given, else `SNAPBENCH_STORE`, else the default SQLite file.
    package static func resolve(option: String?, environment: [String: String]) throws -> StoreLocation {
        if let option { return try parse(option) }
        if let named = environment[environmentVariable], !named.isEmpty { return try parse(named) }
        let base =
            environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share"
        return .sqlite(path: base + "/snapbench/results.sqlite")
    }

    /// Reads one location.
    ///
    /// - Throws: ``StoreError`` for an empty value or an unknown scheme.
    package static func parse(_ text: String) throws -> StoreLocation {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "none" { return .none }
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") { return .postgres(url: trimmed) }
        if trimmed.hasPrefix("sqlite:") {
            let path = String(trimmed.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw StoreError(store: text, "sqlite: needs a path, e.g. sqlite:results.sqlite")
            }
            return .sqlite(path: path)
        }
        if let scheme = trimmed.range(of: "://") {
            throw StoreError(
                store: text,
                "unknown scheme `\(trimmed[..<scheme.lowerBound])`: use postgres://…, sqlite:PATH, a path, or none"
            )
        }
        guard !trimmed.isEmpty else { throw StoreError(store: text, "empty: use postgres://…, sqlite:PATH, or none") }
        return .sqlite(path: trimmed)
    }

    package var description: String {
        switch self {
        case .none: "none"
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): url
        }
    }

    /// Opens the store; `nil` for ``none``.
    package func open() async throws -> (any ResultsStore)? {
        switch self {
        case .none: nil
        case .sqlite(let path): try SQLiteResultsStore(path: path)
        case .postgres(let url):
            #if Postgres
            try await PostgresResultsStore(url: url)
            #else
            throw StoreError(
                store: url,
                "this snapbench was built without PostgreSQL: build it with `--traits Postgres` "
                    + "(scripts/install does)"
            )
            #endif
        }
    }
}
