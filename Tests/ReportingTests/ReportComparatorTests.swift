import Foundation
import Reporting
import TestSupport
import Testing

@Suite("Report comparison")
struct ReportComparatorTests {
    private let base = ReportFixtures.normal(mean: 12, deviation: 1.5, count: 100, seed: 1)
    private let otherBase = ReportFixtures.normal(mean: 12, deviation: 1.5, count: 100, seed: 2)
    private let spawn = ReportFixtures.normal(mean: 3, deviation: 0.5, count: 100, seed: 3)
    private let otherSpawn = ReportFixtures.normal(mean: 3, deviation: 0.5, count: 100, seed: 4)

    @Test("two runs of one build: every row within noise, no regression")
    func sameBuild() throws {
        let comparison = try ReportComparator().compare(
            base: [ReportFixtures.simple(restore: base, spawn: spawn)],
            candidate: [ReportFixtures.simple(restore: otherBase, spawn: otherSpawn)]
        )
        #expect(comparison.rows.map(\.metric) == ["spawn", "restore"])
        #expect(comparison.rows.allSatisfy { $0.phase == "overall" && $0.scenario == "smoke" })
        #expect(comparison.rows.allSatisfy { $0.verdict == .withinNoise })
        #expect(!comparison.hasRegression)
        #expect(comparison.notes.isEmpty, "\(comparison.notes)")
        #expect(comparison.base.map(\.source) == ["smoke.json"])
        #expect(comparison.renderText().contains("every one of 2 rows is within noise"))
    }

    @Test("5 ms added to every restore and spawn: both regressed, exit-worthy")
    func fiveMillisecondsSlower() throws {
        let comparison = try ReportComparator().compare(
            base: [ReportFixtures.simple(restore: base, spawn: spawn)],
            candidate: [ReportFixtures.simple(restore: otherBase.map { $0 + 5 }, spawn: otherSpawn.map { $0 + 5 })]
        )
        #expect(comparison.rows.map(\.verdict) == [.regressed, .regressed])
        #expect(comparison.hasRegression)
        #expect(comparison.count(of: .regressed) == 2)
        let text = comparison.renderText()
        #expect(text.contains("result: 2 regressed, 0 improved, 0 within noise"))
        #expect(text.split(separator: "\n").contains { $0.hasPrefix("smoke") && $0.hasSuffix("regressed") })
    }

    @Test("several reports a side are pooled; only changed rows are listed unless all are asked for")
    func pooling() throws {
        let comparison = try ReportComparator().compare(
            base: [
                ReportFixtures.simple(restore: base, spawn: spawn),
                ReportFixtures.simple(restore: otherBase, spawn: otherSpawn),
            ],
            candidate: [ReportFixtures.simple(restore: base.map { $0 + 5 }, spawn: spawn)]
        )
        #expect(comparison.rows[0].base.samples == 200)
        #expect(comparison.rows[0].candidate.samples == 100)
        #expect(comparison.rows.map(\.verdict) == [.withinNoise, .regressed])
        let changed = comparison.renderText()
        #expect(changed.contains("1 more rows within noise (--all lists them)."))
        #expect(!changed.split(separator: "\n").contains { $0.contains(" spawn ") })
        #expect(comparison.renderText(all: true).split(separator: "\n").contains { $0.contains(" spawn ") })
    }

    @Test("several measured phases are compared each and overall; warm-up phases are not")
    func phases() throws {
        func run(_ shift: Double) -> LoadedReport {
            let first = ReportFixtures.phase("ramp", ["restore": ReportFixtures.spectrum(base.map { $0 + shift })])
            let second = ReportFixtures.phase("steady", ["restore": ReportFixtures.spectrum(otherBase)])
            let warmup = ReportFixtures.phase("warmup", warmup: true, ["restore": ReportFixtures.spectrum(base)])
            let overall = ReportFixtures.phase(
                "overall",
                ["restore": ReportFixtures.spectrum(base.map { $0 + shift } + otherBase)]
            )
            return LoadedReport(
                source: "burst.json",
                report: ReportFixtures.report(scenario: "burst", phases: [warmup, first, second], overall: overall)
            )
        }
        let comparison = try ReportComparator().compare(base: [run(0)], candidate: [run(5)])
        #expect(comparison.rows.map(\.phase) == ["overall", "ramp", "steady"])
        #expect(comparison.rows.map(\.verdict) == [.regressed, .regressed, .withinNoise])
        #expect(comparison.notes.isEmpty, "\(comparison.notes)")
        // A phase renamed between the builds is noted on both sides; overall is still compared.
        var renamed = run(0)
        renamed.report.phases[2].name = "hold"
        let partial = try ReportComparator().compare(base: [run(0)], candidate: [renamed])
        #expect(partial.rows.map(\.phase) == ["overall", "ramp"])
        #expect(
            partial.notes == [
                "burst/steady: phase only in base; not compared", "burst/hold: phase only in candidate; not compared",
            ]
        )
    }

    @Test("what cannot be compared is noted: one-sided scenarios and metrics, missing distributions")
    func notes() throws {
        let old = LoadedReport(
            source: "old.json",
            report: ReportFixtures.report(
                scenario: "smoke",
                phases: [
                    ReportFixtures.phase(
                        "steady",
                        [
                            "restore": ReportFixtures.spectrum(base, withDistribution: false),
                            "spawn_on_demand": ReportFixtures.spectrum(spawn),
                            "spawn": ReportFixtures.spectrum(spawn),
                        ]
                    )
                ],
                backend: "firecracker",
                verdict: .incomplete
            )
        )
        let comparison = try ReportComparator().compare(
            base: [old, ReportFixtures.simple(scenario: "burst", restore: base, spawn: spawn)],
            candidate: [
                ReportFixtures.simple(restore: base, spawn: spawn),
                ReportFixtures.simple(scenario: "steady", restore: base, spawn: spawn),
            ]
        )
        #expect(comparison.rows.map(\.metric) == ["spawn"])
        let notes = comparison.notes.joined(separator: "\n")
        #expect(notes.contains("backend differs: base firecracker, simulated, candidate simulated"))
        #expect(notes.contains("old.json: the run was incomplete"))
        #expect(notes.contains("burst: only in base; not compared"))
        #expect(notes.contains("steady: only in candidate; not compared"))
        #expect(notes.contains("smoke/overall/spawn_on_demand: measured only in base; not compared"))
        #expect(notes.contains("smoke/overall/restore: a report has no recorded distribution"))
        #expect(comparison.renderText().contains("notes:\n  - backend differs"))
        let markdown = comparison.renderMarkdown()
        #expect(markdown.contains("**Notes**\n\n- backend differs: base firecracker, simulated, candidate simulated\n"))
        #expect(markdown.contains("- smoke/overall/restore: a report has no recorded distribution"))
    }

    @Test("gates that passed in every base run and fail in a candidate run are listed, and the reverse")
    func gates() throws {
        let passing = GateResult(expression: "restore_ms p95 < 20", measured: 15, passed: true, reason: nil)
        let failing = GateResult(expression: "restore_ms p95 < 20", measured: 21, passed: false, reason: "too slow")
        let errors = GateResult(expression: "errors count == 0", measured: 1, passed: false, reason: "1 error")
        let fixed = GateResult(expression: "errors count == 0", measured: 0, passed: true, reason: nil)
        let only = GateResult(expression: "leaks count == 0", measured: 0, passed: true, reason: nil)
        let comparison = try ReportComparator().compare(
            base: [ReportFixtures.simple(restore: base, spawn: spawn, gates: [passing, errors, only])],
            candidate: [
                ReportFixtures.simple(restore: base, spawn: spawn, gates: [passing, fixed]),
                ReportFixtures.simple(restore: base, spawn: spawn, gates: [failing, fixed]),
            ]
        )
        #expect(
            comparison.gateChanges == [
                GateChange(
                    scenario: "smoke",
                    expression: "restore_ms p95 < 20",
                    direction: .nowFailing,
                    basePassed: 1,
                    baseRuns: 1,
                    candidatePassed: 1,
                    candidateRuns: 2
                ),
                GateChange(
                    scenario: "smoke",
                    expression: "errors count == 0",
                    direction: .nowPassing,
                    basePassed: 0,
                    baseRuns: 1,
                    candidatePassed: 2,
                    candidateRuns: 2
                ),
            ]
        )
        #expect(!comparison.hasRegression)
        #expect(
            comparison.renderMarkdown().contains(
                "**Gates that changed outcome**\n\n- smoke `restore_ms p95 < 20`: now failing (passed 1 of 1 base"
            )
        )
        #expect(
            comparison.renderText().contains(
                "smoke `restore_ms p95 < 20`: now failing (passed 1 of 1 base runs, 1 of 2 candidate runs)"
            )
        )
    }

    @Test("sides without a common scenario, or without reports, are invalid input")
    func invalid() {
        #expect {
            try ReportComparator().compare(
                base: [ReportFixtures.simple(scenario: "burst", restore: base, spawn: spawn)],
                candidate: [ReportFixtures.simple(scenario: "steady", restore: base, spawn: spawn)]
            )
        } throws: { error in
            (error as? ComparisonError)?.code == .noCommonScenario
                && "\(error)".contains("base has burst, candidate has steady")
        }
        #expect {
            try ReportComparator().compare(base: [], candidate: [ReportFixtures.simple(restore: base, spawn: spawn)])
        } throws: { ($0 as? ComparisonError)?.code == .noReports }
        #expect {
            try ReportComparator().compare(base: [ReportFixtures.simple(restore: base, spawn: spawn)], candidate: [])
        } throws: { ($0 as? ComparisonError)?.code == .noReports }
    }

    @Test("a long run is tested on a subsample, and the output says so")
    func subsampleNote() throws {
        let long = ReportFixtures.normal(mean: 12, deviation: 1.5, count: 300, seed: 7)
        var settings = ComparisonSettings()
        settings.maximumSamplesPerSide = 100
        settings.resamples = 1_000
        let comparison = try ReportComparator(settings: settings).compare(
            base: [ReportFixtures.simple(restore: long, spawn: spawn)],
            candidate: [ReportFixtures.simple(restore: long, spawn: spawn)]
        )
        #expect(comparison.notes.contains { $0.contains("seeded random subsample of 100") })
        #expect(comparison.rows[1].base.tested == 100)
        #expect(comparison.renderText(all: true).contains("300 (100)"))
    }

    @Test("the comparison renders as Markdown and round-trips through JSON")
    func outputs() throws {
        let comparison = try ReportComparator().compare(
            base: [ReportFixtures.simple(restore: base, spawn: spawn)],
            candidate: [ReportFixtures.simple(restore: otherBase.map { $0 + 5 }, spawn: otherSpawn)]
        )
        let markdown = comparison.renderMarkdown()
        #expect(markdown.hasPrefix("### snapbench compare: 1 regressed, 0 improved, 1 within noise\n"))
        let lines = markdown.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("| smoke | overall | restore |") && $0.hasSuffix("| **regressed** |") })
        #expect(lines.contains { $0.hasPrefix("| smoke | overall | spawn |") && $0.hasSuffix("| within noise |") })
        #expect(lines.contains("<details><summary>All 2 rows</summary>"))
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        try comparison.writeJSON(to: scratch + "/out/compare.json")
        #expect(try ComparisonReport.readJSON(from: scratch + "/out/compare.json") == comparison)
        let same = try ReportComparator().compare(
            base: [ReportFixtures.simple(restore: base, spawn: spawn)],
            candidate: [ReportFixtures.simple(restore: otherBase, spawn: otherSpawn)]
        )
        #expect(same.renderMarkdown().contains("No metric changed beyond the noise."))
        let odd = try ReportComparator().compare(
            base: [ReportFixtures.simple(scenario: "a|b<c", restore: base, spawn: spawn)],
            candidate: [ReportFixtures.simple(scenario: "a|b<c", restore: base, spawn: spawn)]
        )
        #expect(odd.renderMarkdown().contains("| a\\|b&lt;c | overall | spawn |"))
    }

    @Test("the text table shows signed changes, p-values and the p95 interval")
    func cells() throws {
        let comparison = try ReportComparator().compare(
            base: [ReportFixtures.simple(restore: [10, 10, 10, 10], spawn: [2, 2, 2, 2])],
            candidate: [ReportFixtures.simple(restore: [15, 15, 15, 15], spawn: [1, 1, 1, 1])]
        )
        let text = comparison.renderText(all: true)
        #expect(text.contains("+50.0 %"))
        #expect(text.contains("-50.0 %"))
        #expect(text.contains("+5.00 [+5.00, +5.00]"))
        #expect(text.contains("-1.00 [-1.00, -1.00]"))
        #expect(text.contains("noise threshold 5 % of the base mean and at least 0.05 ms, 99 % bootstrap"))
        // 4 values a side: 2 of the 70 splits are as extreme, too few for significance at 0.01.
        #expect(comparison.rows.allSatisfy { $0.verdict == .withinNoise && abs($0.pValue - 2.0 / 70) < 0.01 })
    }
}
