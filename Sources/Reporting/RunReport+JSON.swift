import Foundation

extension RunReport {
    /// Writes the report as JSON to `path` (creating the directory).
    ///
    /// ```swift
    /// try report.writeJSON(to: "Reports/smoke.json")
    /// ```
    public func writeJSON(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Self.encoder().encode(self).write(to: url, options: .atomic)
    }

    /// Reads a report written by ``writeJSON(to:)``.
    public static func readJSON(from path: String) throws -> RunReport {
        try decoder().decode(RunReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
