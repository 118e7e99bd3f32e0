import Foundation
import Reporting
import TestSupport
import Testing

@Suite("Loading reports to compare")
struct ReportLoaderTests {
    private func write(_ report: RunReport, to path: String) throws {
        try report.writeJSON(to: path)
    }

    private let report = ReportFixtures.simple(restore: [10, 11], spawn: [2, 3]).report

    @Test("a file, a directory (its *.json by name) and a baseline name all resolve")
    func resolution() throws {
        let root = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(root) }
        try write(report, to: root + "/runs/b.json")
        try write(report, to: root + "/runs/a.json")
        try Data("not json".utf8).write(to: URL(fileURLWithPath: root + "/runs/notes.txt"))
        try write(report, to: root + "/Reports/baselines/default-suite/smoke.json")
        try write(report, to: root + "/Reports/baselines/smoke-only.json")

        #expect(try ReportLoader.resolve(root + "/runs/a.json") == [root + "/runs/a.json"])
        #expect(try ReportLoader.resolve(root + "/runs/") == [root + "/runs/a.json", root + "/runs/b.json"])
        #expect(
            try ReportLoader.resolve("default-suite", projectRoots: ["/nonexistent", root]) == [
                root + "/Reports/baselines/default-suite/smoke.json"
            ]
        )
        #expect(
            try ReportLoader.resolve("smoke-only", projectRoots: [root]) == [
                root + "/Reports/baselines/smoke-only.json"
            ]
        )
        let loaded = try ReportLoader.load([root + "/runs", "smoke-only"], projectRoots: [root])
        #expect(loaded.count == 3)
        #expect(loaded.map(\.source).last == root + "/Reports/baselines/smoke-only.json")
        #expect(loaded.allSatisfy { $0.report == report })
    }

    @Test("a missing name, an empty directory, a non-report and a newer schema are errors that name them")
    func errors() throws {
        let root = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(root) }
        try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        try Data("{\"hello\": 1}".utf8).write(to: URL(fileURLWithPath: root + "/other.json"))
        var future = report
        future.schemaVersion = RunReport.currentSchemaVersion + 1
        try write(future, to: root + "/future.json")

        #expect {
            try ReportLoader.load(["nightly"], projectRoots: [root])
        } throws: { error in
            (error as? ComparisonError)?.code == .notFound
                && "\(error)".contains("no report nightly")
                && "\(error)".contains("no nightly.json or nightly/ in \(root)/Reports/baselines)")
        }
        #expect {
            try ReportLoader.load(["missing/run.json"], projectRoots: [root])
        } throws: { error in
            (error as? ComparisonError)?.code == .notFound && "\(error)".hasSuffix("not a file or a directory")
        }
        #expect {
            try ReportLoader.load([root + "/empty"])
        } throws: { ($0 as? ComparisonError)?.code == .noReports && "\($0)".contains(root + "/empty") }
        #expect {
            try ReportLoader.load([root + "/other.json"])
        } throws: { error in
            (error as? ComparisonError)?.code == .unreadableReport
                && "\(error)".contains(root + "/other.json is not a snapbench run report")
        }
        #expect {
            try ReportLoader.load([root + "/future.json"])
        } throws: { "\($0)".contains("schema version \(RunReport.currentSchemaVersion + 1)") }
        #expect {
            try ReportLoader.read(root + "/nothing.json")
        } throws: { ($0 as? ComparisonError)?.code == .unreadableReport && "\($0)".contains("cannot read") }
    }

    @Test("arguments split into sides: BASE… --candidate CANDIDATE…, or exactly two")
    func sides() throws {
        #expect(
            try ComparisonSides(positional: ["old.json", "new.json"], candidate: [])
                == ComparisonSides(positional: ["old.json"], candidate: ["new.json"])
        )
        let several = try ComparisonSides(positional: ["a1", "a2", "a3"], candidate: ["b1", "b2"])
        #expect(several.base == ["a1", "a2", "a3"] && several.candidate == ["b1", "b2"])
        #expect { try ComparisonSides(positional: ["a", "b", "c"], candidate: []) } throws: {
            "\($0)".contains("got 3 arguments and no --candidate")
        }
        #expect { try ComparisonSides(positional: ["a"], candidate: []) } throws: {
            "\($0)".contains("got 1 argument and")
        }
        #expect { try ComparisonSides(positional: [], candidate: ["b"]) } throws: {
            ($0 as? ComparisonError)?.code == .noReports
        }
    }
}
