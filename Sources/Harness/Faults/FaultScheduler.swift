import Firecracker
import Foundation
import HostSystem
import Randomness
import Scenarios
import SnapshotPool

/// One fault as it happened.
struct FaultOccurrence: Sendable {
    var spec: FaultSpec
    /// Its place in the scenario's list (faults due at the same instant keep the file's order).
    var index = 0
    /// Seconds since the run started.
    var startedAt: Double
    var endedAt: Double?
    var applied: Bool
    var targets: [String]
    var notes: [String]
}

/// Applies a scenario's faults at their instants (measured from the first phase's start) and reverts the
/// lasting ones after their duration, or at once when cancelled: nothing a fault did outlives the run.
struct FaultScheduler: Sendable {
    let faults: [FaultSpec]
    let injector: FaultInjector
    let seed: UInt64

    /// Runs every fault; returns when all have ended.
    ///
    /// - Parameters:
    ///   - runStart: the timeline's origin.
    ///   - phaseStart: the instant `at` is measured from.
    func run(runStart: ContinuousClock.Instant, phaseStart: ContinuousClock.Instant) async -> [FaultOccurrence] {
        func seconds(_ instant: ContinuousClock.Instant) -> Double { runStart.duration(to: instant).inSeconds }
        return await withTaskGroup(of: FaultOccurrence.self) { group in
            for (index, spec) in faults.enumerated() {
                group.addTask {
                    try? await Task.sleep(until: phaseStart + spec.at, clock: .continuous)
                    var random = SplitMix64(seed: seed, label: "faults/\(index)")
                    let started = ContinuousClock.now
                    let applied: AppliedFault =
                        Task.isCancelled
                        ? AppliedFault(applied: false, targets: [], notes: ["not applied: the run ended first"])
                        : await injector.apply(spec.action, random: &random)
                    var occurrence = FaultOccurrence(
                        spec: spec,
                        index: index,
                        startedAt: seconds(started),
                        endedAt: nil,
                        applied: applied.applied,
                        targets: applied.targets,
                        notes: applied.notes
                    )
                    if let revert = applied.revert {
                        if let duration = spec.duration {
                            try? await Task.sleep(until: started + duration, clock: .continuous)
                        }
                        // Reverted even when cancelled: the sleep above ends early, this does not.
                        occurrence.notes += await revert()
                        occurrence.endedAt = seconds(.now)
                    } else if spec.duration != nil {
                        occurrence.endedAt = occurrence.startedAt
                    }
                    return occurrence
                }
            }
            var occurrences: [FaultOccurrence] = []
            for await occurrence in group { occurrences.append(occurrence) }
            // In schedule order: faults due at the same instant start microseconds apart in any order.
            return occurrences.sorted { ($0.spec.at, $0.index) < ($1.spec.at, $1.index) }
        }
    }
}
