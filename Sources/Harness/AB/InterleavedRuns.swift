import Foundation
import HostSystem
import Randomness
package import Reporting
import Scenarios
import Subprocess
import SystemPackage

/// Runs two builds of snapbench interleaved on this host, `runs` times each per scenario, and collects their
/// reports for `compare`: the way Firecracker's CI compares two revisions, both in one job on one machine, so
/// that the host's drift over the day cannot pass for a regression.
///
/// Each round runs both builds, one right after the other, in an order drawn by a fair coin per round
/// (seeded, and recorded in the progress). A fixed alternation (A B B A A B …) cancels a linear drift but
/// lines up with host noise that repeats at the rhythm of the runs: measured here, one A/A comparison of six
/// had every candidate run slower than every base run that way. A random order cannot line up with anything.
///
/// ```swift
/// let runs = InterleavedRuns(base: base, candidate: candidate, scenarios: ["Scenarios/smoke.yaml"], runs: 5,
///                            output: "ab-out", firecracker: fc, guest: guest)
/// let (baseReports, candidateReports) = try await runs.run { print($0) }
/// ```
package struct InterleavedRuns: Sendable {
    package var base: BuildUnderTest
    package var candidate: BuildUnderTest
    /// Scenario files, given to both builds as they are.
    package var scenarios: [String]
    /// Runs of each build per scenario.
    package var runs: Int
    /// Where each run's reports and log go (`<output>/base/<scenario>-<n>/`, …).
    package var output: String
    package var firecracker: String?
    package var guest: String?
    /// The seed of the order coin: the same seed gives the same order.
    package var orderSeed: UInt64

    package init(
        base: BuildUnderTest,
        candidate: BuildUnderTest,
        scenarios: [String],
        runs: Int,
        output: String,
        firecracker: String?,
        guest: String?,
        orderSeed: UInt64 = UInt64.random(in: .min ... .max)
    ) {
        self.orderSeed = orderSeed
        self.base = base
        self.candidate = candidate
        self.scenarios = scenarios
        self.runs = runs
        self.output = output
        self.firecracker = firecracker
        self.guest = guest
    }

    /// The order of the two builds in each of `rounds` rounds: a fair coin per round, drawn from `seed`.
    ///
    /// ```swift
    /// InterleavedRuns.orders(rounds: 3, seed: 7)  // e.g. [[.candidate, .base], [.base, .candidate], …]
    /// ```
    package static func orders(rounds: Int, seed: UInt64) -> [[Side]] {
        var coin = SplitMix64(seed: seed, label: "ab/order")
        return (0..<rounds).map { _ in coin.next() & 1 == 0 ? [.base, .candidate] : [.candidate, .base] }
    }

    /// A build in a comparison.
    package enum Side: String, Sendable, CaseIterable {
        case base
        case candidate
    }

    /// Runs everything; returns each side's reports (read back from the JSON each run wrote).
    ///
    /// - Throws: ``ABError`` when a run could not complete (a build's exit code 2 or 3, or no report), with
    ///   the end of its output; `CancellationError` when cancelled between runs.
    package func run(
        progress: @Sendable (String) -> Void
    ) async throws -> (base: [LoadedReport], candidate: [LoadedReport]) {
        var collected: [Side: [LoadedReport]] = [.base: [], .candidate: []]
        let total = scenarios.count * runs * 2
        var done = 0
        for scenario in scenarios {
            let name = URL(fileURLWithPath: scenario).deletingPathExtension().lastPathComponent
            // The reports a run writes are named by the scenario's `name:` (one per variant), not by its file.
            let reports = ((try? ScenarioParser.parseVariants(file: scenario)) ?? []).map(\.name)
            for (round, order) in Self.orders(rounds: runs, seed: orderSeed).enumerated() {
                for side in order {
                    try Task.checkCancellation()
                    done += 1
                    let build = side == .base ? base : candidate
                    let directory = "\(output)/\(side.rawValue)/\(name)-\(round + 1)"
                    let started = ContinuousClock.now
                    let loaded = try await runOnce(
                        build: build,
                        scenario: scenario,
                        name: name,
                        reports: reports.isEmpty ? [name] : reports,
                        directory: directory
                    )
                    collected[side, default: []].append(contentsOf: loaded)
                    for report in loaded.map(\.report) {
                        let spawn = report.overall.latency(.spawn).map { formatMilliseconds($0.p95) } ?? "–"
                        let restore = report.overall.latency(.restore).map { formatMilliseconds($0.p95) } ?? "–"
                        progress(
                            "[\(done)/\(total)] \(report.scenario) \(side.rawValue) run \(round + 1): "
                                + "\(report.verdict.rawValue), spawn p95 \(spawn) ms, restore p95 \(restore) ms "
                                + "(\(Int(started.duration(to: .now).inSeconds)) s)"
                        )
                    }
                }
            }
        }
        return (collected[.base] ?? [], collected[.candidate] ?? [])
    }

    private func runOnce(
        build: BuildUnderTest,
        scenario: String,
        name: String,
        reports: [String],
        directory: String
    ) async throws -> [LoadedReport] {
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var arguments = ["run", scenario, "--output", directory, "--no-progress"]
        if let firecracker { arguments += ["--firecracker", firecracker] }
        if let guest { arguments += ["--guest", guest] }
        arguments += build.runArguments
        // ab records every report it reads itself, in the store it was given: a child recording it too would write
        // each run twice (into the default store, not ab's), and a store that is down would fail the child.
        var environment = Environment.inherit.updating(["SNAPBENCH_STORE": "none"])
        if let commit = build.commit { environment = environment.updating(["SNAPBENCH_COMMIT": commit]) }
        let log = directory + "/run.log"
        // Cancelled (ab interrupted): SIGTERM first, so the run drains its pool and reaps its VMMs; a SIGKILL
        // would leave them running until some later run reclaims them.
        var options = PlatformOptions()
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .seconds(30))]
        let result = try await Subprocess.run(
            .path(FilePath(build.executable)),
            arguments: Arguments(arguments),
            environment: environment,
            platformOptions: options,
            output: .string(limit: 8 << 20),
            error: .string(limit: 8 << 20)
        )
        let text = result.standardOutput + result.standardError
        try? text.write(toFile: log, atomically: true, encoding: .utf8)
        // One report, `<name>.json`; or one per variant, `<name>.<variant>.json`, each compared as a scenario of its own.
        let written = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        let missing = reports.filter { !written.contains($0 + ".json") }
        let status: Int32? =
            if case .exited(let code) = result.terminationStatus { code } else { nil }
        // Every code of a run that completed: pass, fail, inconclusive, simulated, store failed, host-bound.
        let completed: Set<Int32> = [0, 1, 4, 5, 6, 7]
        guard let status, completed.contains(status), missing.isEmpty else {
            let lacking = missing.isEmpty ? "" : ", without the report of " + missing.joined(separator: ", ")
            throw ABError(
                "\(build.specification) could not run \(name) (\(result.terminationStatus)\(lacking)); its output "
                    + "ends:\n" + String(text.suffix(1_500))
            )
        }
        return try reports.map { try ReportLoader.read(directory + "/" + $0 + ".json") }
    }
}
