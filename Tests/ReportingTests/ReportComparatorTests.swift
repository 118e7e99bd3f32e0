import Foundation
import HostSystem
import Randomness
import Reporting
import TestSupport
import Testing

@Suite("Report comparison: the run is the unit")
struct ReportComparatorTests {
    /// `count` runs of a scenario whose spawn and restore samples are normal around the given means, each run
    /// with its own level (±`spread` of the mean, as runs of one build on a shared host), plus an optional tail.
    static func runs(
        _ count: Int,
        spawn: Double = 3,
        restore: Double = 12,
        spread: Double = 0.06,
        tail: Double = 0,
        seed: UInt64,
        gates: [GateResult] = []
    ) -> [LoadedReport] {
        var random = SplitMix64(seed: seed, label: "runs")
        return (0..<count).map { index in
            let level = 1 + spread * (random.nextUnit() * 2 - 1)
            func samples(_ mean: Double, _ salt: UInt64) -> [Double] {
                var values = ReportFixtures.normal(
                    mean: mean * level,
                    deviation: mean * 0.1,
                    count: 200,
                    seed: seed &* 1_000 &+ UInt64(index) &* 10 &+ salt
                )
                // The slowest 8 % moved by `tail`: the p95 shifts, the mean barely.
                if tail > 0 {
                    values.sort()
                    for i in Int(Double(values.count) * 0.92)..<values.count { values[i] += tail }
                }
                return values
            }
            var loaded = ReportFixtures.simple(restore: samples(restore, 1), spawn: samples(spawn, 2), gates: gates)
            loaded.source = "run-\(seed)-\(index).json"
            return loaded
        }
    }

    static func decided(_ comparison: ComparisonReport) -> [String: ComparisonVerdict] {
        Dictionary(
            uniqueKeysWithValues: comparison.rows.filter(\.decides).map { ("\($0.metric) \($0.statistic)", $0.verdict) }
        )
    }

    @Test("same distribution, 5 runs a side with run-to-run spread: no regression, every decided row within noise")
    func sameDistribution() throws {
        let comparison = try ReportComparator().compare(base: Self.runs(5, seed: 1), candidate: Self.runs(5, seed: 2))
        #expect(comparison.outcome == .noRegression)
        #expect(comparison.exitStatus == .success)
        #expect(Self.decided(comparison).values.allSatisfy { $0 == .withinNoise }, "\(Self.decided(comparison))")
        #expect(Set(comparison.rows.filter(\.decides).map(\.metric)) == ["spawn", "restore"])
        #expect(comparison.rows.allSatisfy { $0.base.runs == 5 && $0.candidate.runs == 5 })
        #expect(
            comparison.rows.allSatisfy {
                $0.change.lower <= $0.change.estimate && $0.change.estimate <= $0.change.upper
            }
        )
    }

    @Test("5 ms added to every restore: the restore mean and p95 regressed, spawn unchanged; exit 1")
    func shiftedMean() throws {
        let base = Self.runs(5, seed: 3)
        let candidate = Self.runs(5, seed: 4).map { run in
            var shifted = run
            let restore = shifted.report.overall.latencies["restore"]!.distribution!.expanded().map { $0 + 5 }
            shifted.report.overall.latencies["restore"] = ReportFixtures.spectrum(restore)
            return shifted
        }
        let comparison = try ReportComparator().compare(base: base, candidate: candidate)
        let verdicts = Self.decided(comparison)
        #expect(verdicts["restore mean"] == .regressed)
        #expect(verdicts["restore p95"] == .regressed)
        #expect(verdicts["spawn mean"] == .withinNoise && verdicts["spawn p95"] == .withinNoise)
        #expect(comparison.outcome == .regressed && comparison.exitStatus == .failure)
        let row = try #require(comparison.rows.first { $0.decides && $0.metric == "restore" && $0.statistic == "mean" })
        #expect(abs(row.change.estimate - 5) < 1 && row.change.contains(row.change.estimate))
        #expect(abs(row.pValue - 2.0 / 252) < 1e-9)
        #expect(row.adjustedPValue <= 0.05)
    }

    @Test("a shifted tail only: the p95 regressed while the mean stayed within noise")
    func shiftedTail() throws {
        let comparison = try ReportComparator().compare(
            base: Self.runs(6, spread: 0.02, seed: 5),
            candidate: Self.runs(6, spread: 0.02, tail: 6, seed: 6)
        )
        let verdicts = Self.decided(comparison)
        #expect(verdicts["restore p95"] == .regressed, "\(verdicts)")
        #expect(verdicts["spawn p95"] == .regressed, "\(verdicts)")
        #expect(comparison.outcome == .regressed)
    }

    @Test("one run a side cannot decide anything: not enough runs, exit 4, and a note says how many are needed")
    func oneRunEachSide() throws {
        let comparison = try ReportComparator().compare(
            base: Self.runs(1, seed: 7),
            candidate: Self.runs(1, restore: 30, seed: 8)
        )
        #expect(comparison.rows.allSatisfy { $0.verdict == .notEnoughRuns })
        #expect(comparison.outcome == .inconclusive && comparison.exitStatus == .inconclusive)
        #expect(comparison.notes.contains { $0.contains("fewer than 4 runs a side") })
        #expect(comparison.renderText().contains("not enough runs to decide"))
        // Three a side cannot reach 5 % either (smallest p 0.1); four can.
        let three = try ReportComparator().compare(base: Self.runs(3, seed: 9), candidate: Self.runs(3, seed: 10))
        #expect(three.outcome == .inconclusive)
        let four = try ReportComparator().compare(base: Self.runs(4, seed: 9), candidate: Self.runs(4, seed: 10))
        #expect(four.outcome == .noRegression)
    }

    @Test("many rows: the gated metrics join the decided family; only decided rows set the outcome")
    func manyRows() throws {
        let gated = [
            GateResult(
                expression: "restore_ms p95 < 20",
                gate: try Gate(parsing: "restore_ms p95 < 20"),
                measured: 12,
                passed: true,
                reason: nil
            ),
            GateResult(
                expression: "errors count == 0",
                gate: try Gate(parsing: "errors count == 0"),
                measured: 0,
                passed: true,
                reason: nil
            ),
        ]
        // A harness-only figure (queue wait) doubles; it is reported, and the outcome stays "no regression".
        let base = Self.runs(5, seed: 11, gates: gated)
        let candidate = Self.runs(5, seed: 12, gates: gated).map { run in
            var changed = run
            let spawn = changed.report.overall.latencies["spawn"]!.distribution!.expanded()
            changed.report.overall.latencies["queue_wait"] = ReportFixtures.spectrum(spawn.map { $0 * 2 })
            return changed
        }
        var widened = base
        for index in widened.indices {
            let spawn = widened[index].report.overall.latencies["spawn"]!.distribution!.expanded()
            widened[index].report.overall.latencies["queue_wait"] = ReportFixtures.spectrum(spawn)
        }
        let comparison = try ReportComparator().compare(base: widened, candidate: candidate)
        let queue = comparison.rows.filter { $0.metric == "queue_wait" }
        #expect(queue.count == 2 && queue.allSatisfy { !$0.decides })
        #expect(queue.contains { $0.verdict == .regressed })
        #expect(comparison.outcome == .noRegression)
        #expect(comparison.renderText().contains("regressed (reported)"))
    }

    @Test("40 decided rows of one distribution: the false-discovery correction keeps them all within noise")
    func manyNullRows() throws {
        // 20 scenarios × spawn and restore × mean and p95 = 80 decided rows, all A/A.
        var base: [LoadedReport] = []
        var candidate: [LoadedReport] = []
        for scenario in 0..<20 {
            for (side, seed) in [(0, UInt64(100 + scenario)), (1, UInt64(200 + scenario))] {
                for run in Self.runs(5, spread: 0.1, seed: seed) {
                    var renamed = run
                    renamed.report.scenario = "s\(scenario)"
                    if side == 0 { base.append(renamed) } else { candidate.append(renamed) }
                }
            }
        }
        let comparison = try ReportComparator().compare(base: base, candidate: candidate)
        #expect(comparison.rows.filter(\.decides).count == 80)
        let discoveries = comparison.rows.filter { $0.decides && $0.adjustedPValue <= 0.05 }.count
        let raw = comparison.rows.filter { $0.decides && $0.pValue <= 0.05 }.count
        #expect(discoveries <= 2, "\(discoveries) discoveries among 80 null rows (\(raw) before correction)")
        #expect(comparison.outcome == .noRegression)
    }

    @Test("several measured phases are compared each and overall; warm-up phases are not; only overall decides")
    func phases() throws {
        let samples = ReportFixtures.normal(mean: 12, deviation: 1.5, count: 100, seed: 1)
        func run(_ shift: Double, _ index: Int) -> LoadedReport {
            let values = samples.map { $0 * (1 + Double(index) * 0.01) }
            let first = ReportFixtures.phase("ramp", ["restore": ReportFixtures.spectrum(values.map { $0 + shift })])
            let second = ReportFixtures.phase("steady", ["restore": ReportFixtures.spectrum(values)])
            let warmup = ReportFixtures.phase("warmup", warmup: true, ["restore": ReportFixtures.spectrum(values)])
            let overall = ReportFixtures.phase(
                "overall",
                ["restore": ReportFixtures.spectrum(values.map { $0 + shift } + values)]
            )
            return LoadedReport(
                source: "burst-\(index).json",
                report: ReportFixtures.report(scenario: "burst", phases: [warmup, first, second], overall: overall)
            )
        }
        let comparison = try ReportComparator().compare(
            base: (0..<5).map { run(0, $0) },
            candidate: (0..<5).map { run(5, $0) }
        )
        #expect(Set(comparison.rows.map(\.phase)) == ["overall", "ramp", "steady"])
        #expect(comparison.rows.filter(\.decides).allSatisfy { $0.phase == "overall" })
        #expect(comparison.rows.filter { $0.phase == "ramp" }.allSatisfy { $0.verdict == .regressed })
        #expect(comparison.rows.filter { $0.phase == "steady" }.allSatisfy { $0.verdict == .withinNoise })
        #expect(comparison.outcome == .regressed)
    }

    @Test("what cannot be compared is noted: one-sided scenarios, phases and metrics, differing hosts")
    func notes() throws {
        var old = Self.runs(1, seed: 13)[0]
        old.report.environment.backend = "firecracker"
        old.report.verdict = .incomplete
        old.report.overall.latencies["spawn_on_demand"] = old.report.overall.latencies["spawn"]
        var burst = Self.runs(1, seed: 14)[0]
        burst.report.scenario = "burst"
        var steady = Self.runs(1, seed: 15)[0]
        steady.report.scenario = "steady"
        let comparison = try ReportComparator().compare(
            base: [old, burst],
            candidate: [Self.runs(1, seed: 16)[0], steady]
        )
        let notes = comparison.notes.joined(separator: "\n")
        #expect(notes.contains("backend differs: base firecracker, simulated, candidate simulated"))
        #expect(notes.contains(": the run was incomplete"))
        #expect(notes.contains("burst: only in base; not compared"))
        #expect(notes.contains("steady: only in candidate; not compared"))
        #expect(notes.contains("smoke/overall/spawn_on_demand: measured only in base; not compared"))
        #expect(comparison.renderText().contains("notes:\n  - backend differs"))
        #expect(comparison.renderMarkdown().contains("**Notes**\n\n- backend differs"))
    }

    @Test("gates that passed in every base run and fail in a candidate run are listed, and the reverse")
    func gates() throws {
        let passing = GateResult(expression: "restore_ms p95 < 20", measured: 15, passed: true, reason: nil)
        let failing = GateResult(expression: "restore_ms p95 < 20", measured: 21, passed: false, reason: "too slow")
        let errors = GateResult(expression: "errors count == 0", measured: 1, passed: false, reason: "1 error")
        let fixed = GateResult(expression: "errors count == 0", measured: 0, passed: true, reason: nil)
        let only = GateResult(expression: "leaks count == 0", measured: 0, passed: true, reason: nil)
        let base = Self.runs(1, seed: 17, gates: [passing, errors, only])
        let candidate =
            Self.runs(1, seed: 18, gates: [passing, fixed]) + Self.runs(1, seed: 19, gates: [failing, fixed])
        let comparison = try ReportComparator().compare(base: base, candidate: candidate)
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
        #expect(
            comparison.renderMarkdown().contains(
                "**Gates that changed outcome**\n\n- smoke `restore_ms p95 < 20`: now failing (passed 1 of 1 base"
            )
        )
    }

    @Test("sides without a common scenario, or without reports, are invalid input")
    func invalid() {
        let burst = Self.runs(1, seed: 20).map { run -> LoadedReport in
            var renamed = run
            renamed.report.scenario = "burst"
            return renamed
        }
        #expect {
            try ReportComparator().compare(base: burst, candidate: Self.runs(1, seed: 21))
        } throws: { error in
            (error as? ComparisonError)?.code == .noCommonScenario && "\(error)".contains("base has burst")
        }
        #expect {
            try ReportComparator().compare(base: [], candidate: Self.runs(1, seed: 22))
        } throws: { ($0 as? ComparisonError)?.code == .noReports }
        #expect {
            try ReportComparator().compare(base: Self.runs(1, seed: 22), candidate: [])
        } throws: { ($0 as? ComparisonError)?.code == .noReports }
    }

    @Test("the comparison renders as text and Markdown, round-trips through JSON, and is deterministic")
    func outputs() throws {
        let base = Self.runs(5, seed: 23)
        let candidate = Self.runs(5, restore: 17, seed: 24)
        let comparison = try ReportComparator().compare(base: base, candidate: candidate)
        let markdown = comparison.renderMarkdown()
        #expect(markdown.hasPrefix("### snapbench compare: REGRESSED — decided rows: 2 regressed"))
        let lines = markdown.split(separator: "\n")
        #expect(
            lines.contains {
                $0.hasPrefix("| smoke | overall | restore | mean | 5/5 |") && $0.hasSuffix("| **regressed** |")
            }
        )
        let text = comparison.renderText()
        #expect(text.contains("the run is the unit"))
        #expect(text.contains("result: REGRESSED"))
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        try comparison.writeJSON(to: scratch + "/out/compare.json")
        #expect(try ComparisonReport.readJSON(from: scratch + "/out/compare.json") == comparison)
        #expect(try ReportComparator().compare(base: base, candidate: candidate) == comparison)
        var other = ComparisonSettings()
        other.seed = 2
        let reseeded = try ReportComparator(settings: other).compare(base: base, candidate: candidate)
        #expect(reseeded.rows.map(\.verdict) == comparison.rows.map(\.verdict))
    }
}
