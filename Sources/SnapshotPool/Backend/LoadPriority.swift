import HostSystem

/// How the pool puts a clone's snapshot load before everything else on the host's CPUs.
///
/// A load is the latency-critical step of a restore: in a burst it competes with other VMs' resumes, their
/// guests and snapbench. What counts is the *difference* in niceness between a loading VMM and everything
/// else, so the same order can be had two ways: raise the loading VMM (needs `CAP_SYS_NICE`, as root), or, for
/// a user without it (a CI runner's user in the `kvm` group), leave loads at the default and lower each VMM once
/// it has loaded, for the rest of its single-use life — an unprivileged process may always lower its own
/// children's priority, never raise it back.
///
/// ```swift
/// LoadPriority.automatic.resolved  // .raised(-10) as root, .lowered(10) for a plain user
/// ```
package enum LoadPriority: Sendable, Equatable, CustomStringConvertible {
    /// `raised` where allowed, else `lowered`, by ten levels either way.
    case automatic
    /// The loading VMM runs at this niceness (below 0), every thread back at 0 once it has loaded.
    case raised(Int32)
    /// The loading VMM keeps the default niceness; once loaded every thread goes to this niceness (above 0).
    case lowered(Int32)
    /// Loads and VMs all run at the default niceness.
    case unchanged

    /// The niceness difference both ways use: a load at -10 came first in a burst (restore p95 14.6–17.8 ms
    /// against 18.4–19.5 unchanged, 4 interleaved `burst` runs each).
    package static let levels: Int32 = 10

    /// What `automatic` means for this process; the others as they are.
    package var resolved: LoadPriority {
        guard self == .automatic else { return self }
        return ProcessPriority.mayRaise(to: -Self.levels) ? .raised(-Self.levels) : .lowered(Self.levels)
    }

    /// The niceness a VMM's threads get before its load, if any.
    var beforeLoad: Int32? {
        if case .raised(let niceness) = resolved { niceness } else { nil }
    }

    /// The scheduler slice a VMM's threads ask for while it loads, when it cannot be raised: the fair scheduler's
    /// shortest, so a load that wakes from the kernel's waits (most of its wall time) preempts the burst's other
    /// work at once, as a raised load does, without a privilege.
    var sliceWhileLoading: Duration? {
        if case .lowered = resolved { Self.loadSlice } else { nil }
    }

    /// The shortest slice Linux grants (it clamps requests to 0.1–100 ms).
    package static let loadSlice = Duration.microseconds(100)

    /// The niceness a VMM's threads get once loaded (the vCPU thread the load started inherited the load's).
    var afterLoad: Int32? {
        switch resolved {
        case .raised: 0
        case .lowered(let niceness): niceness
        case .unchanged, .automatic: nil
        }
    }

    package var description: String {
        switch resolved {
        case .raised(let niceness): "each VMM at nice \(niceness) while it loads, then 0"
        case .lowered(let niceness):
            "each VMM at the default priority and the shortest slice while it loads, then nice \(niceness) (no CAP_SYS_NICE to raise loads)"
        case .unchanged, .automatic: "every VMM at the default priority"
        }
    }
}
