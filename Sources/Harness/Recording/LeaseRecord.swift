import MicroVM
import SnapshotPool

/// What one scheduled acquire came to, recorded once it has ended (after its release, or at its error).
struct LeaseRecord: Sendable {
    /// The phase it was scheduled in.
    var phase: Int
    /// Its intended instant (open loop) or request (closed loop), in seconds since the run started.
    var intended: Double
    /// When it ended (served: when the guest proved readiness; failed: at the error), seconds since the start.
    var ended: Double
    /// From this instant on, a disturbance of the host could have touched it: its VM's restore, or its arrival.
    var exposedFrom: Double
    /// Actual dispatch − intended instant (open loop only).
    var dispatchLag: Duration?
    var outcome: Outcome

    enum Outcome: Sendable {
        case served(Served)
        case failed(code: String, after: Duration)
    }

    /// The figures of a served acquire.
    struct Served: Sendable {
        var spawn: Duration
        var path: LeasePath
        var queueWait: Duration
        var acquire: Duration
        /// The VM's stages as they stood at its release (restore stages complete, Firecracker's own load metric
        /// collected).
        var stages: StageTimings
        /// The guest's first work after the resume, when it does any.
        var work: Work? = nil
    }

    /// The guest's first work after the resume (re-touching its working set).
    struct Work: Sendable {
        /// Intended instant → the guest's report.
        var firstWork: Duration
        /// The guest's readiness line → its report, both read by the host.
        var workingSet: Duration
        /// The work by the guest's own clock.
        var guest: Duration
    }

    /// Time from the intended instant to the outcome: the spawn when served, the time to the error otherwise.
    var timeToOutcome: Duration {
        switch outcome {
        case .served(let served): served.spawn
        case .failed(_, let after): after
        }
    }
}
