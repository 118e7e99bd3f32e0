import Foundation
import Reporting

/// Loads run reports saved as JSON into a results store, idempotently: a report kept already is counted, not
/// added again. Directories are searched recursively; JSON files that are not run reports (a comparison, a
/// schema) are skipped and named.
///
/// ```swift
/// let outcome = try await ReportImporter(store: store).importReports(from: ["Reports", "out/nightly"])
/// print(outcome.added, outcome.alreadyKept, outcome.skipped.count)
/// ```
package struct ReportImporter: Sendable {
    /// What an import did.
    package struct Outcome: Sendable, Equatable {
        package var added = 0
        package var alreadyKept = 0
        /// Files that are not run reports, with why.
        package var skipped: [String] = []
    }

    package let store: any ResultsStore

    package init(store: any ResultsStore) {
        self.store = store
    }

    /// Imports every run report in `paths` (files, or directories searched recursively for `*.json`).
    ///
    /// - Throws: ``StoreError`` when the store refuses a write, or a path does not exist.
    package func importReports(from paths: [String]) async throws -> Outcome {
        var outcome = Outcome()
        for file in try Self.jsonFiles(in: paths) {
            let report: RunReport
            do {
                report = try RunReport.readJSON(from: file)
            } catch {
                outcome.skipped.append("\(file): not a run report")
                continue
            }
            if try await store.record(StoredRun(report: report)) {
                outcome.added += 1
            } else {
                outcome.alreadyKept += 1
            }
        }
        return outcome
    }

    /// The `.json` files named by `paths`, sorted, directories walked.
    static func jsonFiles(in paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw StoreError(store: "import", "\(path): no such file or directory")
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let entries = FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []
            files += entries.filter { $0.hasSuffix(".json") }.sorted().map { path + "/" + $0 }
        }
        return files
    }
}
