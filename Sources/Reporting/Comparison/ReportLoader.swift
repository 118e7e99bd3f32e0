import Foundation

/// A run report and where it was read from.
public struct LoadedReport: Sendable, Equatable {
    /// The file it came from (or any label, for reports built in code).
    public var source: String
    public var report: RunReport

    public init(source: String, report: RunReport) {
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
public enum ReportLoader {
    /// Where committed baselines live, relative to a project root.
    public static let baselineDirectory = "Reports/baselines"

    /// Reads every report the arguments name, in argument order (a directory's files by name).
    ///
    /// - Throws: ``ComparisonError`` naming the argument or file that is missing, empty or unreadable.
    public static func load(_ arguments: [String], projectRoots: [String] = []) throws -> [LoadedReport] {
        try arguments.flatMap { try resolve($0, projectRoots: projectRoots) }.map(read)
    }

    /// The report files one argument names.
    ///
    /// A path that exists wins over a baseline of the same name.
    public static func resolve(_ argument: String, projectRoots: [String] = []) throws -> [String] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) {
            return isDirectory.boolValue ? try reports(in: argument) : [argument]
        }
        let candidates = baselineCandidates(argument, projectRoots: projectRoots)
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) {
            return isDirectory.boolValue ? try reports(in: candidate) : [candidate]
        }
        let looked = candidates.isEmpty ? "" : " (looked for " + candidates.joined(separator: ", ") + ")"
        throw ComparisonError(
            .notFound,
            "no report \(argument): not a file, a directory or a baseline in \(baselineDirectory)/\(looked)"
        )
    }

    /// Reads one report.
    public static func read(_ path: String) throws -> LoadedReport {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ComparisonError(.unreadableReport, "cannot read \(path)", underlying: error)
        }
        let report: RunReport
        do {
            report = try RunReport.decoder().decode(RunReport.self, from: data)
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
    private static func baselineCandidates(_ name: String, projectRoots: [String]) -> [String] {
        guard !name.isEmpty, !name.contains("/"), !name.hasSuffix(".json") else { return [] }
        var seen = Set<String>()
        return projectRoots.flatMap { root in
            ["\(root)/\(baselineDirectory)/\(name).json", "\(root)/\(baselineDirectory)/\(name)"]
        }
        .filter { seen.insert($0).inserted }
    }
}
