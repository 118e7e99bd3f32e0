package import Firecracker
import Foundation
package import Logging
package import MicroVM

/// Restores clones of one golden snapshot one after another and measures every stage: the floor any pool
/// is compared against.
///
/// Each run starts a fresh Firecracker process, loads the snapshot paused, resumes it, waits for the
/// guest's readiness line, then reads Firecracker's own load metric and destroys the clone. The
/// readiness tokens must all differ (each names its clone's VM generation id); a repeat is an error.
///
/// ```swift
/// let result = try await RestoreProbe(installation: installation, snapshot: snapshot, workRoot: "/tmp/probe")
///     .run(runs: 30)
/// print(result.load.summary.p50 ?? 0)
/// ```
package struct RestoreProbe: Sendable {
    /// What a probe measured.
    package struct Result: Sendable {
        /// Spawn → API socket accepting.
        package var processStart = LatencyHistogram()
        /// `PUT /snapshot/load` round trip (the restore time).
        package var load = LatencyHistogram()
        /// Firecracker's `latencies_us.load_snapshot`.
        package var firecrackerLoad = LatencyHistogram()
        /// `PATCH /vm` resume round trip.
        package var resume = LatencyHistogram()
        /// Resume response → guest readiness line.
        package var readiness = LatencyHistogram()
        /// Wall time from the start of the restore to the guest's readiness line: a spawn from nothing.
        package var spawn = LatencyHistogram()
        /// The readiness tokens, one per run, all distinct.
        package var tokens: [String] = []
        /// Every run's stages, in order.
        package var samples: [StageTimings] = []

        /// The rows of a stage table, in order.
        package var stages: [(name: String, histogram: LatencyHistogram)] {
            [
                ("process start → API socket", processStart),
                ("restore (PUT /snapshot/load)", load),
                ("firecracker load_snapshot metric", firecrackerLoad),
                ("resume (PATCH /vm)", resume),
                ("resume → guest ready", readiness),
                ("spawn from nothing", spawn),
            ]
        }
    }

    /// The Firecracker binary.
    package var installation: FirecrackerInstallation
    /// The golden snapshot.
    package var snapshot: GoldenSnapshot
    /// A directory the clones' working directories are made in.
    package var workRoot: String
    /// How long a clone may take to print its readiness line after resume.
    package var readinessTimeout: Duration = .seconds(2)
    /// Where to log.
    package var logger: Logger = Logger(label: "snapbench.probe")

    package init(installation: FirecrackerInstallation, snapshot: GoldenSnapshot, workRoot: String) {
        self.installation = installation
        self.snapshot = snapshot
        self.workRoot = workRoot
    }

    /// Runs `runs` restores in turn.
    ///
    /// - Parameters:
    ///   - runs: how many clones.
    ///   - progress: called after each clone with the number done.
    /// - Returns: the histograms of every stage.
    /// - Throws: the first `FirecrackerError`; the failing clone is destroyed first.
    package func run(runs: Int, progress: @Sendable (Int) -> Void = { _ in }) async throws -> Result {
        var result = Result()
        for index in 0..<runs {
            let started = ContinuousClock.now
            let clone = try await ClonedVM.restore(
                from: snapshot,
                installation: installation,
                workingDirectory: "\(workRoot)/probe-\(index)",
                id: "probe-\(index)",
                options: ClonedVM.RestoreOptions(
                    logger: logger
                )
            )
            do {
                let proof = try await clone.resume(deadline: .now + readinessTimeout)
                try await clone.collectFirecrackerMetrics()
                await clone.destroy()
                guard !result.tokens.contains(proof.token) else {
                    throw FirecrackerError(.guestNotReady, "clone \(index) repeated an earlier token: \(proof.token)")
                }
                result.tokens.append(proof.token)
                record(clone.timings, into: &result)
                // Wall time, so every gap between the stages (directory set-up, hops) counts too.
                result.spawn.record(started.duration(to: proof.observedAt))
            } catch {
                await clone.destroy()
                throw error
            }
            progress(index + 1)
        }
        return result
    }

    private func record(_ timings: StageTimings, into result: inout Result) {
        result.samples.append(timings)
        if let value = timings.processStart { result.processStart.record(value) }
        if let value = timings.load { result.load.record(value) }
        if let value = timings.firecrackerLoad { result.firecrackerLoad.record(value) }
        if let value = timings.resume { result.resume.record(value) }
        if let value = timings.readiness { result.readiness.record(value) }
    }
}
