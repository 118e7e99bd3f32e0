import Foundation

extension RunReport {
    /// Writes the report as JSON to `path` (creating the directory).
    ///
    /// ```swift
    /// try report.writeJSON(to: "Reports/smoke.json")
    /// ```
    package func writeJSON(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Self.encoder().encode(self).write(to: url, options: .atomic)
    }

    /// Reads a report written by ``writeJSON(to:)`` (of this or an earlier schema version).
    package static func readJSON(from path: String) throws -> RunReport {
        try decoder().decode(RunReport.self, from: Data(contentsOf: URL(fileURLWithPath: path))).upgraded()
    }

    /// The report with what an earlier schema version did not store filled in from what it did: each gate
    /// result's ``GateResult/gate``, read back from its expression (the built-in checks are not gates).
    package func upgraded() -> RunReport {
        var report = self
        for index in report.gates.indices where report.gates[index].gate == nil {
            report.gates[index].gate = try? Gate(parsing: report.gates[index].expression)
        }
        return report
    }
}
