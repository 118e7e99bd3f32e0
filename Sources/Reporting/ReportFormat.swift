import Foundation

/// A file a run report can be written as.
///
/// ```swift
/// let formats = try ReportFormat.parseList("html,junit")  // [.html, .junit]
/// ```
package enum ReportFormat: String, CaseIterable, Sendable, Codable {
    /// The report model itself (``RunReport/writeJSON(to:)``).
    case json
    /// The self-contained HTML page (``RunReport/html()``).
    case html
    /// JUnit XML for CI (``RunReport/junitXML()``).
    case junit
    /// The Markdown summary (``RunReport/markdown()``).
    case markdown

    /// The renderings of a saved report: everything but the JSON it came from.
    package static let renderings: [ReportFormat] = [.html, .junit, .markdown]

    /// The file name suffix: `.json`, `.html`, `.junit.xml`, `.md`.
    package var fileExtension: String {
        switch self {
        case .json: ".json"
        case .html: ".html"
        case .junit: ".junit.xml"
        case .markdown: ".md"
        }
    }

    /// Parses a comma-separated list such as `html,junit,markdown` (`md` and `xml` are accepted too).
    ///
    /// - Throws: ``ReportFormatError`` naming the first unknown entry.
    package static func parseList(_ text: String) throws -> [ReportFormat] {
        var formats: [ReportFormat] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            let format: ReportFormat? =
                switch entry {
                case "md": .markdown
                case "xml": .junit
                default: ReportFormat(rawValue: entry)
                }
            guard let format else { throw ReportFormatError(entry: entry) }
            if !formats.contains(format) { formats.append(format) }
        }
        guard !formats.isEmpty else { throw ReportFormatError(entry: text) }
        return formats
    }
}

/// An entry of a format list that names no ``ReportFormat``.
package struct ReportFormatError: Error, CustomStringConvertible, Sendable {
    /// The entry as given.
    package var entry: String

    package init(entry: String) {
        self.entry = entry
    }

    package var description: String {
        "unknown report format `\(entry)`; use \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))"
    }
}

extension RunReport {
    /// Writes the report in each of `formats` as `<directory>/<name><extension>` (creating the directory),
    /// e.g. `Reports/smoke.html`, `Reports/smoke.junit.xml`, `Reports/smoke.md`.
    ///
    /// ```swift
    /// let paths = try report.write(ReportFormat.renderings, to: "Reports", name: report.scenario)
    /// ```
    ///
    /// - Returns: the paths written, in the order of `formats`.
    /// - Throws: ``FileNameError`` when `name` could not name a file inside `directory`; the file system's
    ///   error when a file cannot be written.
    @discardableResult
    package func write(_ formats: [ReportFormat], to directory: String, name: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try formats.map { format in
            let path = try FileName.path(name, suffix: format.fileExtension, in: directory)
            switch format {
            case .json: try writeJSON(to: path)
            case .html: try Data(html().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            case .junit: try Data(junitXML().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            case .markdown: try Data(markdown().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            }
            return path
        }
    }
}
