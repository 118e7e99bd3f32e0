import Foundation

/// A run report and where it was read from.
package struct LoadedReport: Sendable, Equatable {
    /// The file it came from (or any label, for reports built in code).
    package var source: String
    package var report: RunReport

    package init(source: String, report: RunReport) {
        self.source = source
        self.report = report
    }
}

/// Turns the arguments of `snapbench compare` into reports: a file, a directory (every `*.json` in it), or
/// the name of a committed baseline (`Reports/baselines/<name>.json` or the directory
/// `Reports/baselines/<name>/`).
///
/// ```swift
/// let base = try ReportLoader.load(["default-suite"], projectRoots: ["."])
/// let candidate = try ReportLoader.load(["Reports"])
/// ```
package enum ReportLoader {
    /// Where committed baselines live, relative to a project root.
    package static let baselineDirectory = "Reports/baselines"

    /// Reads every report the arguments name, in argument order (a directory's files by name).
    ///
    /// - Throws: ``ComparisonError`` naming the argument or file that is missing, empty or unreadable.
    package static func load(_ arguments: [String], projectRoots: [String] = []) throws -> [LoadedReport] {
        try arguments.flatMap { try resolve($0, projectRoots: projectRoots) }.map(read)
    }

    /// The report files one argument names.
    ///
    /// A path that exists wins over a baseline of the same name.
    package static func resolve(_ argument: String, projectRoots: [String] = []) throws -> [String] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) {
            return isDirectory.boolValue ? try reports(in: argument) : [argument]
        }
        guard isBaselineName(argument) else {
            throw ComparisonError(.notFound, "no report \(argument): not a file or a directory")
        }
        var directories: [String] = []
        for root in projectRoots where !directories.contains("\(root)/\(baselineDirectory)") {
            directories.append("\(root)/\(baselineDirectory)")
        }
        for directory in directories {
            let file = "\(directory)/\(argument).json"
            if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue {
                return [file]
            }
            let folder = "\(directory)/\(argument)"
            if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue {
                return try reports(in: folder)
            }
        }
        // Name the baseline directories that exist: the ancestors of the executable rarely hold one.
        let existing = directories.filter { FileManager.default.fileExists(atPath: $0) }
        let looked = (existing.isEmpty ? directories : existing).joined(separator: ", ")
        throw ComparisonError(
            .notFound,
            "no report \(argument): not a file, a directory or a baseline (no \(argument).json or \(argument)/ in "
                + (looked.isEmpty ? baselineDirectory : looked) + ")"
        )
    }

    /// Reads one report.
    package static func read(_ path: String) throws -> LoadedReport {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ComparisonError(.unreadableReport, "cannot read \(path)", underlying: error)
        }
        let report: RunReport
        do {
            report = try RunReport.decoder().decode(RunReport.self, from: data).upgraded()
        } catch let error as DecodingError {
            throw ComparisonError(.unreadableReport, "\(path) is not a snapbench run report (\(describe(error)))")
        } catch {
            throw ComparisonError(.unreadableReport, "\(path) is not a snapbench run report", underlying: error)
        }
        guard report.schemaVersion == RunReport.currentSchemaVersion else {
            throw ComparisonError(
                .unreadableReport,
                "\(path) has report schema version \(report.schemaVersion); this build reads "
                    + "\(RunReport.currentSchemaVersion)"
            )
        }
        return LoadedReport(source: path, report: report)
    }

    /// What is wrong with a report's JSON, in words: "missing `overall.latencies`".
    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context): return context.underlyingError.map { "\($0)" } ?? context.debugDescription
        case .keyNotFound(let key, let context): return "missing `\(keyPath(context.codingPath + [key]))`"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "`\(keyPath(context.codingPath))`: \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    private static func keyPath(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().trimmingCharacters(
            in: CharacterSet(charactersIn: ".")
        )
    }

    private static func reports(in directory: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw ComparisonError(.unreadableReport, "cannot list \(directory)", underlying: error)
        }
        let reports = names.filter { $0.hasSuffix(".json") }.sorted()
        guard !reports.isEmpty else { throw ComparisonError(.noReports, "no *.json report in \(directory)") }
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        return reports.map { base + "/" + $0 }
    }

    /// Only a bare name (no slash, no extension) can be a baseline: a mistyped path should say it is missing,
    /// not look elsewhere.
    private static func isBaselineName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && !name.hasSuffix(".json")
    }
}
