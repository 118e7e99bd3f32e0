import Foundation
import Reporting
import SnapshotPool
import TestSupport
import Testing

@testable import Harness

/// `scripts/test` lets a smoke run that was inconclusive twice through only because the host was disturbed
/// (and says so) and fails every other one; `scripts/undecided-by-host` draws that line from the report. The
/// reports here are judged by the real `GateEvaluator`, so the script reads what `snapbench run` writes.
@Suite("scripts/undecided-by-host", .timeLimit(.minutes(2)))
struct UndecidedByHostTests {
    private static let script = TestEnvironment.packageRoot + "/scripts/undecided-by-host"

    /// The script's exit status and output on `reports` (a string is written as the file's content as is).
    private static func judge(_ reports: [RunReport]) throws -> (status: Int32, output: String) {
        try judge(files: reports.map { try RunReport.encoder().encode($0) })
    }

    private static func judge(files: [Data]) throws -> (status: Int32, output: String) {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        var paths: [String] = []
        for (index, data) in files.enumerated() {
            let path = scratch + "/report-\(index).json"
            try data.write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let outputPath = scratch + "/output.txt"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + paths
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOfFile: outputPath, encoding: .utf8))
    }

    /// A smoke report with `gates` judged on `figures`, and the verdict they call for.
    private static func report(_ gates: [String], on figures: GateEvaluator.Figures) throws -> RunReport {
        let results = GateEvaluator(figures: figures).evaluate(try gates.map { try Gate(parsing: $0) })
        var report = ReportFixtures.report(scenario: "smoke", phases: [], gates: results)
        report.environment.backend = "firecracker"
        report.verdict = ReportAssembler.verdict(of: results)
        return report
    }

    /// Figures of `overall` (and `undisturbed`, outside `disturbances`) with nothing else measured.
    private static func figures(
        _ overall: PhaseReport,
        undisturbed: PhaseReport? = nil,
        disturbances: [Disturbance] = []
    ) -> GateEvaluator.Figures {
        var figures = GateEvaluator.Figures(
            overall: overall,
            undisturbed: undisturbed,
            timeline: [],
            counters: .init(),
            leaks: 0
        )
        figures.disturbances = disturbances
        return figures
    }

    /// No acquire at all.
    private static let nothing = PhaseReport(
        name: "overall",
        warmup: false,
        scheduled: 0,
        outcomes: [:],
        lateStarts: 0,
        latencies: [:]
    )

    /// 300 arrivals, 3 of them late, and no disturbance: a rate whose bounds straddle 0.01.
    private static let closeToTheTarget = figures(
        GateEvaluationTests.phase(spawn: Array(repeating: 4, count: 300), late: 3)
    )

    /// 888 arrivals, 46 of them late, as the CI runner's user measured under 24–58 % steal; `undisturbed` of them
    /// (with `undisturbedLate` late) outside the disturbances.
    private static func lateArrivals(undisturbed: Int, undisturbedLate: Int) -> GateEvaluator.Figures {
        let spawns = Array(repeating: 4.0, count: 888)
        return figures(
            GateEvaluationTests.phase(spawn: spawns, late: 46),
            undisturbed: undisturbed == 0
                ? Self.nothing
                : GateEvaluationTests.phase(spawn: Array(spawns.prefix(undisturbed)), late: undisturbedLate),
            disturbances: [Disturbance(start: 3.26, end: 13.51, evidence: ["CPU steal 52.8 % of a CPU"])]
        )
    }

    @Test("undecided only because the host was disturbed: exit 0, with the gate and its evidence")
    func undecidedByTheHost() throws {
        let report = try Self.report(
            ["spawn_ms p95 < 50", "late_starts rate < 0.01"],
            on: Self.lateArrivals(undisturbed: 70, undisturbedLate: 0)
        )
        #expect(report.verdict == .inconclusive && report.gates[1].undecidedByHost == true)
        #expect(report.gates[0].undecidedByHost == nil, "a passing gate carries no flag")
        let (status, output) = try Self.judge([report])
        #expect(status == 0, "\(output)")
        #expect(output.contains("`late_starts rate < 0.01` undecided by the host"), "\(output)")
        #expect(output.contains("CPU steal 52.8 % of a CPU"), "\(output)")
        #expect(!output.contains("spawn_ms"), "a passing gate is not listed: \(output)")
        // The run's own summary says why the gate is open, not only that its first bound was on the failing side.
        let summary = report.summaryText()
        #expect(summary.contains("without the 818 acquires it touched"), "\(summary)")
        #expect(summary.contains("OPEN after a disturbance"), "\(summary)")
        #expect(!summary.contains("(OPEN: the samples cannot decide it either way"), "\(summary)")
        #expect(report.markdown().contains("**INCONCLUSIVE**: the host was disturbed"), "\(report.markdown())")
        try ReportSchema.check(report)
    }

    @Test("undecided without the touched acquires, and the whole run at their rate would not decide it: exit 1")
    func undecidedByTheBuild() throws {
        // 6 late of the 862 left: at that rate the whole run's 888 have 6 late, which cannot decide 1 % either.
        let report = try Self.report(
            ["late_starts rate < 0.01"],
            on: Self.lateArrivals(undisturbed: 862, undisturbedLate: 6)
        )
        #expect(report.verdict == .inconclusive)
        #expect(report.gates[0].undecidedByHost == false)
        #expect(report.gates[0].disturbance?.contains("the build is close to the target") == true)
        let (status, output) = try Self.judge([report])
        #expect(status == 1 && output.contains("undecided by the build, not only the host"), "\(output)")
        #expect(report.summaryText().contains("OPEN, close to the target"), "\(report.summaryText())")
        #expect(!report.summaryText().contains("OPEN after a disturbance"), "\(report.summaryText())")
        try ReportSchema.check(report)
        // 1 of 400 left cannot decide 1 % (446 are needed with one late), but the whole run at that rate (2 of
        // 888) does: only the host left it open.
        let byHost = try Self.report(
            ["late_starts rate < 0.01"],
            on: Self.lateArrivals(undisturbed: 400, undisturbedLate: 1)
        )
        #expect(byHost.gates[0].undecidedByHost == true)
        #expect(try Self.judge([byHost]).status == 0)
    }

    @Test("a percentile gate the host left too few samples for: the whole run at their figures passes it")
    func percentileUndecidedByTheHost() throws {
        // A stall pushed 20 of 200 spawns to 400 ms; only 30 were left untouched, too few for a p95 bound.
        var figures = Self.figures(
            GateEvaluationTests.phase(spawn: Array(repeating: 3, count: 180) + Array(repeating: 400, count: 20)),
            undisturbed: GateEvaluationTests.phase(spawn: Array(repeating: 3, count: 30)),
            disturbances: [Disturbance(start: 40, end: 41, evidence: ["real-time heartbeat 291 ms late"])]
        )
        let report = try Self.report(["spawn_ms p95 < 50"], on: figures)
        #expect(report.verdict == .inconclusive && report.gates[0].undecidedByHost == true)
        #expect(try Self.judge([report]).status == 0)
        // 3 of the 30 left are slow (10 %): undecided from 30, and the whole run at their figures fails it, so the
        // build, not the host, left it open.
        figures.undisturbed = GateEvaluationTests.phase(
            spawn: Array(repeating: 3, count: 27) + Array(repeating: 60, count: 3)
        )
        let slow = try Self.report(["spawn_ms p95 < 50"], on: figures)
        #expect(slow.verdict == .inconclusive && slow.gates[0].undecidedByHost == false)
        #expect(try Self.judge([slow]).status == 1)
        try ReportSchema.check(report)
        try ReportSchema.check(slow)
    }

    @Test("every acquire touched by a disturbance: nothing is left to judge, so the host left the gate open")
    func everythingDisturbed() throws {
        let report = try Self.report(
            ["late_starts rate < 0.01"],
            on: Self.lateArrivals(undisturbed: 0, undisturbedLate: 0)
        )
        #expect(report.verdict == .inconclusive && report.gates[0].undecidedByHost == true)
        #expect(report.gates[0].disturbance?.contains("none is left, so the host left it open") == true)
        #expect(try Self.judge([report]).status == 0)
    }

    @Test("late outside the disturbances too: the gate fails, and the script does not excuse it")
    func lateOutsideTheDisturbance() throws {
        let report = try Self.report(
            ["late_starts rate < 0.01"],
            on: Self.lateArrivals(undisturbed: 600, undisturbedLate: 40)
        )
        #expect(report.verdict == .fail)
        let (status, output) = try Self.judge([report])
        #expect(status == 1 && output.contains("the verdict is fail"), "\(output)")
    }

    @Test("too close to call with no disturbance to blame: not the host's, exit 1")
    func undecidedWithoutDisturbance() throws {
        let report = try Self.report(["late_starts rate < 0.01"], on: Self.closeToTheTarget)
        #expect(report.verdict == .inconclusive)
        let (status, output) = try Self.judge([report])
        #expect(status == 1, "\(output)")
        #expect(output.contains("undecided with no host disturbance to blame"), "\(output)")
    }

    @Test("every report must be the host's: one of two undecided by itself makes it exit 1")
    func everyReport() throws {
        let byHost = try Self.report(
            ["late_starts rate < 0.01"],
            on: Self.lateArrivals(undisturbed: 70, undisturbedLate: 0)
        )
        let close = try Self.report(["late_starts rate < 0.01"], on: Self.closeToTheTarget)
        #expect(try Self.judge([byHost, close]).status == 1)
        #expect(try Self.judge([byHost, byHost]).status == 0)
    }

    @Test("a pass is not inconclusive, an unreadable report is an error, and no report is a usage error")
    func otherInputs() throws {
        let passed = try Self.report(
            ["late_starts rate < 0.01"],
            on: Self.lateArrivals(undisturbed: 700, undisturbedLate: 0)
        )
        #expect(passed.verdict == .pass)
        let (status, output) = try Self.judge([passed])
        #expect(status == 1 && output.contains("the verdict is pass"), "\(output)")
        // A simulated run never judges a build, whatever its gates say.
        var simulated = try Self.report(
            ["late_starts rate < 0.01"],
            on: Self.lateArrivals(undisturbed: 70, undisturbedLate: 0)
        )
        simulated.environment.backend = "simulated"
        let refused = try Self.judge([simulated])
        #expect(refused.status == 1 && refused.output.contains("simulated backend"), "\(refused.output)")
        #expect(try Self.judge(files: [Data("{\"verdict\": ".utf8)]).status == 2)
        #expect(try Self.judge(files: [Data("{\"verdict\": \"inconclusive\", \"gates\": null}".utf8)]).status == 2)
        #expect(try Self.judge(files: [Data("{\"gates\": []}".utf8)]).status == 2)
        let usage = try Self.judge(files: [])
        #expect(usage.status == 2 && usage.output.contains("Usage: scripts/undecided-by-host"), "\(usage.output)")
    }

    @Test("scaling keeps shares: counts sum to the new total, a tail of single samples grows with the bulk")
    func scaling() {
        // 582 at 3 ms and 30 single samples of 51–80 ms (4.9 %), scaled to 888.
        let tail = (51...80).map(Double.init)
        let phase = GateEvaluationTests.phase(spawn: Array(repeating: 3, count: 582) + tail, late: 4)
        let scaled = phase.scaled(to: 888)
        #expect(scaled.scheduled == 888 && scaled.lateStarts == 6)
        #expect(scaled.outcomes["served"] == 888)
        let distribution = scaled.latencies["spawn"]?.distribution
        #expect(distribution?.totalCount == 888 && scaled.latencies["spawn"]?.count == 888)
        let slow = zip(distribution?.valuesMilliseconds ?? [], distribution?.counts ?? []).filter { $0.0 > 50 }
            .map(\.1).reduce(0, +)
        #expect(slow == 44, "30 × 888 ÷ 612 = 43.5: the tail keeps its share, not 30 single samples")
        // Nothing to scale: no acquires, or no more acquires asked for.
        #expect(phase.scaled(to: 612) == phase && phase.scaled(to: 100) == phase)
        let empty = Self.nothing
        #expect(empty.scaled(to: 888) == empty)
        #expect(PhaseReport.scaledCumulatively([1, 1, 1, 1], by: 1.5) == [2, 1, 2, 1])
    }
}
