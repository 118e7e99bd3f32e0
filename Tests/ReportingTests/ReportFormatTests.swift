import Foundation
import Reporting
import TestSupport
import Testing

@Suite("Report formats and files")
struct ReportFormatTests {
    @Test("format lists parse names and aliases, once each")
    func parse() throws {
        #expect(try ReportFormat.parseList("html,junit,markdown") == [.html, .junit, .markdown])
        #expect(try ReportFormat.parseList(" MD , xml,md") == [.markdown, .junit])
        #expect(throws: ReportFormatError.self) { try ReportFormat.parseList("html,pdf") }
        #expect(throws: ReportFormatError.self) { try ReportFormat.parseList(",") }
        let error = ReportFormatError(entry: "pdf")
        #expect(error.description == "unknown report format `pdf`; use json, html, junit, markdown")
    }

    @Test("every format is written beside the others under the given name, and the JSON reads back")
    func write() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("snapbench-format-\(UUID().uuidString)/nested").path
        defer { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }
        let report = ReportFixtures.rendered()
        let paths = try report.write(ReportFormat.allCases, to: directory, name: "run-1")
        #expect(
            paths.map { ($0 as NSString).lastPathComponent } == [
                "run-1.json", "run-1.html", "run-1.junit.xml", "run-1.md",
            ]
        )
        #expect(try RunReport.readJSON(from: paths[0]) == report)
        #expect(try String(contentsOfFile: paths[1], encoding: .utf8) == report.html())
        #expect(try String(contentsOfFile: paths[2], encoding: .utf8) == report.junitXML())
        #expect(try String(contentsOfFile: paths[3], encoding: .utf8) == report.markdown())
    }
}
