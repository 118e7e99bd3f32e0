import Foundation

extension ComparisonReport {
    /// Writes the comparison as JSON to `path` (creating the directory), in the report's encoding (sorted
    /// keys, ISO 8601 dates).
    ///
    /// ```swift
    /// try comparison.writeJSON(to: "Reports/compare.json")
    /// ```
    package func writeJSON(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try RunReport.encoder().encode(self).write(to: url, options: .atomic)
    }

    /// Reads a comparison written by ``writeJSON(to:)``.
    package static func readJSON(from path: String) throws -> ComparisonReport {
        try RunReport.decoder().decode(ComparisonReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
