package import Foundation
package import Reporting

/// Checks reports against the committed JSON Schema (`Reports/run-report.schema.json`) through
/// `scripts/validate-report` (python3 with `jsonschema`), the same check `scripts/test` runs on the CI smoke
/// report.
///
/// A check that cannot run throws too: a missing python3 or `jsonschema` must never count as a pass.
///
/// ```swift
/// let report = try await ScenarioRunner(scenario: scenario, options: options).run()
/// try ReportSchema.check(report)
/// ```
package enum ReportSchema {
    /// Why a report was not accepted: its violations, or why the check could not run.
    package struct Failure: Error, CustomStringConvertible {
        /// The validator's exit status: 1 invalid, 2 the check could not run, other values a crash.
        package var status: Int32
        /// What the validator printed.
        package var output: String

        package var description: String { "report schema check failed (status \(status)):\n\(output)" }
    }

    /// The committed schema.
    package static let schemaPath = TestEnvironment.packageRoot + "/Reports/run-report.schema.json"
    /// The validator script.
    package static let validatorPath = TestEnvironment.packageRoot + "/scripts/validate-report"

    /// Encodes `report` as `snapbench run` writes it and checks it.
    package static func check(_ report: RunReport) throws {
        try check(json: RunReport.encoder().encode(report))
    }

    /// Checks a report's JSON.
    ///
    /// - Parameter python: the interpreter to run the validator with (a parameter so a test can show a
    ///   missing interpreter fails the check).
    /// - Throws: ``Failure`` when the report is invalid or the check cannot run.
    package static func check(json: Data, python: String = "python3") throws {
        // In the process's own scratch directory, so a process killed mid-check leaves it to the next one's sweep.
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let directory = URL(fileURLWithPath: scratch)
        let file = directory.appendingPathComponent("report.json")
        try json.write(to: file)
        let outputFile = directory.appendingPathComponent("output.txt")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputFile)
        defer { try? output.close() }
        // Output goes to a file, not a pipe: a long list of violations cannot fill a pipe nobody drains.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, validatorPath, "--schema", schemaPath, file.path]
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            throw Failure(status: -1, output: "could not start \(python): \(error)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
            throw Failure(status: process.terminationStatus, output: text)
        }
    }
}
