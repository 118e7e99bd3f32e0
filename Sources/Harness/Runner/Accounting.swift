import Foundation
import Reporting
import SnapshotPool

/// "Nothing lost": every run proves that each scheduled acquire ended as exactly one outcome, that every
/// served lease came back, that the drain left nothing, that no lease got a dead VM, and that the audit log
/// is intact and holds every shed, crash and quarantine. A run that fails any of these fails, whatever its
/// latencies.
struct Accounting {
    /// What the audit log is checked against.
    struct AuditFigures {
        var path: String
        /// `.shed` events the pool emitted.
        var shedEvents: Int
        /// Snapshot quarantines the store made.
        var quarantines: Int
    }

    var phases: [PhaseReport]
    var counters: PoolStatistics.Counters
    /// Leases still out when the load had ended (before the drain).
    var leasedAfterLoad: Int
    var deadAtHandout: Int
    var leakProblems: [String]
    var audit: AuditFigures
    /// Problems with the audit log, in words; read and verified once, here.
    let auditProblems: [String]
    /// The log's end as verified: its record count, last hash, and whether it ends with the pool's shutdown.
    let anchor: AuditAnchor?

    init(
        phases: [PhaseReport],
        counters: PoolStatistics.Counters,
        leasedAfterLoad: Int,
        deadAtHandout: Int,
        leakProblems: [String],
        audit: AuditFigures
    ) {
        self.phases = phases
        self.counters = counters
        self.leasedAfterLoad = leasedAfterLoad
        self.deadAtHandout = deadAtHandout
        self.leakProblems = leakProblems
        self.audit = audit
        (auditProblems, anchor) = Self.problems(with: audit, counters: counters)
    }

    /// Acquires without exactly one outcome.
    var unaccounted: Int {
        phases.map { abs($0.scheduled - $0.outcomes.values.reduce(0, +)) }.reduce(0, +)
    }

    /// Served leases the pool did not get back.
    var unreleased: Int {
        let served = phases.map(\.served).reduce(0, +)
        let handedOut = counters.warmHits + counters.onDemand
        return leasedAfterLoad + abs(handedOut - served)
    }

    private static func problems(
        with audit: AuditFigures,
        counters: PoolStatistics.Counters
    ) -> ([String], AuditAnchor?) {
        let verification: AuditVerification
        do {
            verification = try AuditLog.verify(path: audit.path)
        } catch {
            return (["the audit log does not verify: \(error)"], nil)
        }
        var problems: [String] = []
        func expect(_ event: AuditEvent, _ count: Int, _ what: String) {
            let logged = verification.countsByEvent[event] ?? 0
            if logged != count {
                problems.append("audit log holds \(logged) \(event.rawValue) records for \(count) \(what)")
            }
        }
        expect(.pressureShed, audit.shedEvents, "sheds")
        expect(.vmCrash, counters.warmCrashes + counters.leasedCrashes, "crashes")
        expect(.snapshotQuarantine, audit.quarantines, "quarantines")
        if !verification.endsWithShutdown {
            problems.append("the audit log does not end with the pool's shutdown record")
        }
        let anchor = AuditAnchor(
            records: verification.recordCount,
            lastHash: verification.lastHash,
            endsWithShutdown: verification.endsWithShutdown
        )
        return (problems, anchor)
    }

    /// The counts gates may name.
    var figures: [Metric: Double] {
        [
            .deadAtHandout: Double(deadAtHandout),
            .unaccounted: Double(unaccounted),
            .unreleased: Double(unreleased),
            .auditProblems: Double(auditProblems.count),
            .quarantines: Double(audit.quarantines),
        ]
    }

    /// The checks every run gets, beside its scenario's gates.
    func gates() -> [GateResult] {
        let served = phases.map(\.served).reduce(0, +)
        let scheduled = phases.map(\.scheduled).reduce(0, +)
        return [
            Self.check(
                "nothing lost: every acquire has one outcome",
                measured: unaccounted,
                problem: "\(unaccounted) of \(scheduled) acquires have no single outcome"
            ),
            Self.check(
                "nothing lost: every served lease was released",
                measured: unreleased,
                problem: "\(leasedAfterLoad) leases still out after the load; the pool handed out "
                    + "\(counters.warmHits + counters.onDemand), the harness was served \(served)"
            ),
            Self.check(
                "nothing lost: no lease was handed a dead VM",
                measured: deadAtHandout,
                problem: "\(deadAtHandout) leases arrived with their VMM already gone"
            ),
            Self.check(
                "nothing lost: the drain left nothing",
                measured: leakProblems.count,
                problem: leakProblems.joined(separator: "; ")
            ),
            Self.check(
                "nothing lost: the audit log verifies and records every shed, crash and quarantine",
                measured: auditProblems.count,
                problem: auditProblems.joined(separator: "; ")
            ),
        ]
    }

    private static func check(_ expression: String, measured: Int, problem: String) -> GateResult {
        GateResult(
            expression: expression,
            measured: Double(measured),
            passed: measured == 0,
            reason: measured == 0 ? nil : problem
        )
    }
}
