import Foundation
import Reporting

/// A comparison built by hand, so every verdict and every shade of the charts is present exactly once.
enum ComparisonFixture {
    static func side(_ mean: Double, _ p95: Double, samples: Int = 400, tested: Int = 400) -> SideSummary {
        SideSummary(samples: samples, tested: tested, mean: mean, p95: p95)
    }

    static func row(
        _ scenario: String,
        _ phase: String,
        _ metric: String,
        base: SideSummary,
        candidate: SideSummary,
        p: Double,
        p95: (Double, Double, Double),
        _ verdict: ComparisonVerdict
    ) -> ComparisonRow {
        ComparisonRow(
            scenario: scenario,
            phase: phase,
            metric: metric,
            base: base,
            candidate: candidate,
            meanChange: base.mean > 0 ? (candidate.mean - base.mean) / base.mean : nil,
            pValue: p,
            p95Change: ConfidenceInterval(estimate: p95.0, lower: p95.1, upper: p95.2, level: 0.99),
            verdict: verdict
        )
    }

    /// Rows: regressed, improved, significant but small, unmeasurable (base 0), not significant.
    static let rows = [
        row(
            "smoke",
            "overall",
            "restore",
            base: side(12, 15),
            candidate: side(17, 20.1),
            p: 0.0001,
            p95: (5.1, 4.6, 5.8),
            .regressed
        ),
        row(
            "smoke",
            "overall",
            "spawn",
            base: side(3, 4),
            candidate: side(2.4, 3.3),
            p: 0.0001,
            p95: (-0.7, -0.9, -0.5),
            .improved
        ),
        row(
            "smoke",
            "overall",
            "queue_wait",
            base: side(0.02, 0.04),
            candidate: side(0.0206, 0.041),
            p: 0.001,
            p95: (0.001, -0.002, 0.004),
            .withinNoise
        ),
        row(
            "smoke",
            "steady",
            "dispatch_lag",
            base: side(0, 0),
            candidate: side(0, 0),
            p: 1,
            p95: (0, 0, 0),
            .withinNoise
        ),
        row(
            "burst",
            "overall",
            "restore",
            base: side(12, 15, samples: 5_000, tested: 2_000),
            candidate: side(12.1, 15.2, samples: 5_000, tested: 2_000),
            p: 0.4,
            p95: (0.2, -0.3, 0.6),
            .withinNoise
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
            notes: ["burst: <b>5000</b> samples a side; tested a seeded random subsample of 2000"]
        )
    }
}
