import Foundation
import Reporting

/// A comparison built by hand, so every verdict is present.
enum ComparisonFixture {
    static func side(_ values: [Double], samples: Int = 400) -> SideSummary {
        SideSummary(runValues: values, samples: samples)
    }

    static func row(
        _ scenario: String,
        _ metric: String,
        _ statistic: String = "mean",
        phase: String = "overall",
        base: [Double],
        candidate: [Double],
        change: (Double, Double, Double),
        p: Double,
        q: Double,
        decides: Bool = true,
        _ verdict: ComparisonVerdict
    ) -> ComparisonRow {
        let baseSide = side(base)
        return ComparisonRow(
            scenario: scenario,
            phase: phase,
            metric: metric,
            statistic: statistic,
            base: baseSide,
            candidate: side(candidate),
            change: ConfidenceInterval(estimate: change.0, lower: change.1, upper: change.2, level: 0.95),
            relativeChange: baseSide.mean > 0 ? change.0 / baseSide.mean : nil,
            pValue: p,
            adjustedPValue: q,
            decides: decides,
            verdict: verdict
        )
    }

    /// Rows: regressed, improved, within noise (decided), reported within noise, base 0, not enough runs.
    static let rows = [
        row(
            "smoke",
            "restore",
            base: [12, 12.2, 11.8, 12.1, 11.9],
            candidate: [17, 17.2, 16.9, 17.1, 16.8],
            change: (5, 4.7, 5.2),
            p: 0.0079,
            q: 0.02,
            .regressed
        ),
        row(
            "smoke",
            "spawn",
            "p95",
            base: [4, 4.1, 3.9, 4, 4],
            candidate: [3.3, 3.2, 3.4, 3.3, 3.3],
            change: (-0.7, -0.8, -0.6),
            p: 0.0079,
            q: 0.02,
            .improved
        ),
        row(
            "smoke",
            "outcome",
            base: [3, 3.1, 2.9, 3, 3],
            candidate: [3.05, 3, 3.1, 2.95, 3],
            change: (0.02, -0.05, 0.08),
            p: 0.6,
            q: 0.7,
            .withinNoise
        ),
        row(
            "smoke",
            "queue_wait",
            phase: "steady",
            base: [0.02, 0.021, 0.019, 0.02, 0.02],
            candidate: [0.0206, 0.021, 0.02, 0.02, 0.021],
            change: (0.0006, -0.0004, 0.0012),
            p: 0.3,
            q: 0.9,
            decides: false,
            .withinNoise
        ),
        row(
            "smoke",
            "dispatch_lag",
            phase: "steady",
            base: [0, 0, 0, 0, 0],
            candidate: [0, 0, 0, 0, 0],
            change: (0, 0, 0),
            p: 1,
            q: 1,
            decides: false,
            .withinNoise
        ),
        row(
            "burst",
            "restore",
            base: [12],
            candidate: [12.1],
            change: (0.1, 0.1, 0.1),
            p: 1,
            q: 1,
            .notEnoughRuns
        ),
    ]

    static func run(_ source: String, scenario: String, verdict: Verdict = .pass) -> ComparedRun {
        ComparedRun(
            source: source,
            scenario: scenario,
            startedAt: Date(timeIntervalSince1970: 1_800_000_000),
            backend: "firecracker",
            hostname: "bench-1",
            commit: "0123abc",
            verdict: verdict
        )
    }

    static func report(rows: [ComparisonRow] = rows) -> ComparisonReport {
        ComparisonReport(
            settings: ComparisonSettings(),
            base: [run("base/<smoke>.json", scenario: "smoke"), run("base/burst.json", scenario: "burst")],
            candidate: [
                run("cand/smoke.json", scenario: "smoke", verdict: .fail), run("cand/burst.json", scenario: "burst"),
            ],
            rows: rows,
            gateChanges: [
                GateChange(
                    scenario: "smoke",
                    expression: "restore_ms p95 < 20",
                    direction: .nowFailing,
                    basePassed: 1,
                    baseRuns: 1,
                    candidatePassed: 0,
                    candidateRuns: 1
                )
            ],
            notes: ["burst: <b>1</b> run a side; not enough to decide"]
        )
    }
}
