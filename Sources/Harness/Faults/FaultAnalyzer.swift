import Foundation
import Reporting
import Scenarios
import SnapshotPool

/// Turns fault occurrences and the run's log into report records: what each fault hit, what the pool did,
/// spawn before, during and after, how fast the pool reacted and when spawn was back.
struct FaultAnalyzer: Sendable {
    /// The pool events by which a full disk shows: a restore that could not create its files, or a guest whose
    /// console could not be written (its readiness line never came).
    static let diskFullFailures: Set<String> = ["restore_failed", "readiness_failed"]

    let occurrences: [FaultOccurrence]
    let log: FaultLog
    /// Seconds since the run started at which the load ended.
    let loadEnd: Double

    /// How far before a fault the baseline reaches, and after it the "after" window.
    static let baselineWindow = 10.0
    static let afterWindow = 5.0
    static let recoveryWindow = 1.0
    static let recoveryStep = 0.1

    func records() -> [FaultRecord] {
        let leases = log.leases.sorted { $0.arrival < $1.arrival }
        let events = log.events
        return occurrences.map { occurrence in
            let start = occurrence.startedAt
            let end = occurrence.endedAt ?? start
            // An instant fault's "during" is the second after it: that is when the pool deals with it.
            let duringEnd = occurrence.endedAt ?? start + 1
            // The baseline leaves out the time other faults (and the 5 s after them) disturbed.
            let disturbed = occurrences.filter { $0.startedAt != start }.map {
                $0.startedAt...(($0.endedAt ?? $0.startedAt) + Self.afterWindow)
            }
            let before = leases.filter { lease in
                lease.arrival >= start - Self.baselineWindow && lease.arrival < start
                    && !disturbed.contains { $0.contains(lease.arrival) }
            }
            let during = leases.filter { $0.arrival >= start && $0.arrival < duringEnd }
            let after = leases.filter { $0.arrival >= end && $0.arrival < end + Self.afterWindow }
            let window = events.filter { $0.time >= start && $0.time <= end + Self.afterWindow }
            var counts: [String: Int] = [:]
            for event in window { counts[FaultLog.name(of: event.event), default: 0] += 1 }
            let baseline = Self.p95(before)
            let observations = FaultObservations(
                leasesDuring: during.count,
                errorsDuring: Self.errors(during),
                errorsAfter: Self.errors(after),
                spawnP95BeforeMs: baseline,
                spawnP95DuringMs: Self.p95(during),
                spawnP95AfterMs: Self.p95(after),
                poolEvents: counts,
                reactionSeconds: reaction(to: occurrence.spec.action, events: window).map { $0 - start },
                recoverySeconds: baseline.flatMap { recovery(after: end, baseline: $0, leases: leases) }
            )
            return FaultRecord(
                kind: occurrence.spec.kind,
                startedAt: start,
                endedAt: occurrence.endedAt,
                parameters: occurrence.spec.parameters,
                applied: occurrence.applied,
                targets: occurrence.targets,
                effect: Self.effect(occurrence, counts: counts, observations: observations),
                observations: occurrence.applied ? observations : nil
            )
        }
    }

    /// The time of the pool's first reaction of the kind the fault calls for.
    private func reaction(to action: FaultAction, events: [FaultLog.Event]) -> Double? {
        let wanted: Set<String>
        switch action {
        // The pool's first response to pressure: refills held at the floor (elevated) or the warm set destroyed
        // (critical, in the same step as the level change: shedding waits for nothing once critical is seen).
        case .memoryPressure: wanted = ["pressure_elevated", "pressure_critical", "shed"]
        case .vmmCrash: wanted = ["crashed", "restore_failed", "readiness_failed"]
        case .vmmHang: wanted = ["readiness_failed", "crashed", "hedged"]
        case .snapshotCorruption: wanted = ["snapshot_failed"]
        // A full disk fails a restore that creates files, or leaves a restored guest's console unwritable (its
        // readiness line never arrives). Refusing restores while the disk is full was tried and made it worse:
        // most clones still run there (their files' last pages have room), and ~100 acquires a run failed.
        case .diskFull: wanted = Self.diskFullFailures
        case .cpuContention: return nil
        }
        return events.first { wanted.contains(FaultLog.name(of: $0.event)) }?.time
    }

    /// The first instant from `end` on where a 1 s window of arrivals is all served within the threshold.
    private func recovery(after end: Double, baseline: Double, leases: [FaultLog.LeaseSample]) -> Double? {
        let threshold = max(baseline * 1.5, baseline + 2)
        var t = end
        while t + Self.recoveryWindow <= loadEnd + 1e-9 {
            let window = leases.filter { $0.arrival >= t && $0.arrival < t + Self.recoveryWindow }
            if window.count >= 3, window.allSatisfy({ $0.error == nil }), let p95 = Self.p95(window), p95 <= threshold {
                return t - end
            }
            t += Self.recoveryStep
        }
        return nil
    }

    /// Gate figures over every applied fault: worst reaction and recovery, and how many were (not) applied.
    ///
    /// A fault that calls for a reaction (every kind but CPU contention, which the pool has nothing to do about,
    /// and a full disk that failed nothing) and got none counts as infinitely slow, as does a fault spawn never
    /// came back from.
    static func figures(_ records: [FaultRecord]) -> [Metric: Double] {
        let applied = records.filter(\.applied)
        var figures: [Metric: Double] = [
            .faultsApplied: Double(applied.count),
            .faultsNotApplied: Double(records.count - applied.count),
        ]
        // A full disk that failed nothing (its clones still ran: their files' last pages had room) gave the pool
        // nothing to react to, like CPU contention; one that did must show the pool's reaction.
        let reacting = applied.filter { record in
            guard record.kind != "cpu_contention" else { return false }
            guard record.kind == "disk_full", let observations = record.observations else { return true }
            let failures = Self.diskFullFailures.map { observations.poolEvents[$0] ?? 0 }
            return observations.errorsDuring.values.reduce(0, +) + failures.reduce(0, +) > 0
        }
        if !reacting.isEmpty {
            figures[.faultReaction] = reacting.map { $0.observations?.reactionSeconds ?? .infinity }.max()
        }
        let withBaseline = applied.filter { $0.observations?.spawnP95BeforeMs != nil }
        if !withBaseline.isEmpty {
            figures[.faultRecovery] = withBaseline.map { $0.observations?.recoverySeconds ?? .infinity }.max()
        }
        return figures
    }

    static func p95(_ samples: [FaultLog.LeaseSample]) -> Double? {
        let values = samples.compactMap(\.spawnMs).sorted()
        return values.isEmpty ? nil : SampleStatistics.percentile(95, ofSorted: values)
    }

    static func errors(_ samples: [FaultLog.LeaseSample]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for sample in samples { if let error = sample.error { counts[error, default: 0] += 1 } }
        return counts
    }

    static func effect(_ occurrence: FaultOccurrence, counts: [String: Int], observations: FaultObservations) -> String
    {
        guard occurrence.applied else { return "not applied: " + occurrence.notes.joined(separator: "; ") }
        var parts = occurrence.notes
        let interesting = [
            "crashed", "shed", "snapshot_failed", "restore_failed", "readiness_failed", "pressure_changed",
        ]
        let seen = interesting.compactMap { name in counts[name].map { "\(name) ×\($0)" } }
        parts.append(seen.isEmpty ? "the pool logged no failure" : "pool: " + seen.joined(separator: ", "))
        if let reaction = observations.reactionSeconds {
            parts.append("first reaction after \(String(format: "%.3f", reaction)) s")
        }
        if let recovery = observations.recoverySeconds {
            parts.append("spawn back within \(String(format: "%.1f", recovery)) s of the end")
        } else if observations.spawnP95BeforeMs != nil {
            parts.append("spawn did not come back before the load ended")
        }
        return parts.joined(separator: "; ")
    }
}
