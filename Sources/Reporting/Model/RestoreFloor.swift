/// The host's own floor for the restores of a burst: the same number of snapshot loads at once, with nothing
/// else running (no pool, no resumed guest, no load generator), measured at the start of the run.
///
/// A burst scenario's restores are judged against it (`restore_floor_ratio`): the pool controls how far its
/// restores are from this floor, not the floor itself, which moves with the host's speed that hour.
///
/// ```swift
/// let floor = RestoreFloor(concurrency: 12, rounds: 16, loads: spectrum)
/// floor.value(of: .p95)  // e.g. 15.7 (ms)
/// ```
public struct RestoreFloor: Codable, Sendable, Equatable {
    /// Loads sent at once in each round: the on-demand restores one of the scenario's bursts makes.
    public var concurrency: Int
    /// Rounds measured (after one thrown away).
    public var rounds: Int
    /// `PUT /snapshot/load` sent → response, every load of every round, in ms.
    public var loads: Spectrum

    public init(concurrency: Int, rounds: Int, loads: Spectrum) {
        self.concurrency = concurrency
        self.rounds = rounds
        self.loads = loads
    }

    /// The floor's value of `statistic`, in ms; `nil` for a statistic a latency does not have.
    public func value(of statistic: Statistic) -> Double? {
        loads.value(of: statistic)
    }
}

extension RunReport {
    /// The floors a burst's gates were judged against, one sentence each; `nil` when the run measured none.
    ///
    /// ```swift
    /// report.floorSummary  // ["restore floor: 12 loads at once with nothing else running, 16 rounds: p50 9.8 ms, …"]
    /// ```
    public var floorSummary: [String]? {
        var lines: [String] = []
        if let restoreFloor {
            let loads = restoreFloor.loads
            lines.append(
                "restore floor: \(restoreFloor.concurrency) loads at once with nothing else running, "
                    + "\(restoreFloor.rounds) rounds (\(loads.count) loads): p50 \(formatNumber(loads.p50)) ms, "
                    + "p95 \(formatNumber(loads.p95)) ms, max \(formatNumber(loads.max)) ms"
            )
        }
        if let burstFloor {
            lines.append(
                "spawn floor (CPU-bound): \(formatNumber(burstFloor.milliseconds)) ms per burst — "
                    + "\(formatNumber(burstFloor.warmHitsPerBurst)) warm × \(formatNumber(burstFloor.warmSpawnCPUMilliseconds)) ms "
                    + "+ \(formatNumber(burstFloor.onDemandPerBurst)) on demand × "
                    + "\(formatNumber(burstFloor.onDemandSpawnCPUMilliseconds)) ms of CPU, ÷ \(burstFloor.cores) cores"
            )
        }
        if let hedging {
            lines.append(
                "hedged acquires: \(hedging.fired) fired (\(hedging.won) won, \(hedging.wasted) wasted, \(hedging.restores) "
                    + "restored on demand), \(formatNumber(hedging.extraVMsPerThousand)) extra VMs per 1 000 acquires"
            )
        }
        if let workFloor {
            lines.append(
                "work floor: \(workFloor.touchMiB) MiB re-touched with every page present, by the guest's clock: "
                    + "\(formatNumber(workFloor.milliseconds)) ms (median of \(workFloor.samples) clones: "
                    + workFloor.guestMilliseconds.map { formatNumber($0) }.joined(separator: ", ") + ")"
            )
        }
        return lines.isEmpty ? nil : lines
    }
}

/// What hedged acquires did over a run's measured phases: how many fired, which VM won, and what they cost.
///
/// ```swift
/// let hedging = HedgingSummary(fired: 4, won: 3, wasted: 1, restores: 0, acquires: 600)
/// hedging.extraVMsPerThousand  // 6.7: each hedge takes a VM that must be restored again
/// ```
public struct HedgingSummary: Codable, Sendable, Equatable {
    /// Hedges fired.
    public var fired: Int
    /// Hedges whose second VM was leased.
    public var won: Int
    /// Hedges whose first VM was leased after all.
    public var wasted: Int
    /// Hedges that restored their second VM on demand.
    public var restores: Int
    /// Acquires scheduled in the measured phases.
    public var acquires: Int

    public init(fired: Int, won: Int, wasted: Int, restores: Int, acquires: Int) {
        self.fired = fired
        self.won = won
        self.wasted = wasted
        self.restores = restores
        self.acquires = acquires
    }

    /// Extra VMs restored per 1 000 acquires: each hedge uses up one VM more than the acquire needed.
    public var extraVMsPerThousand: Double { acquires > 0 ? Double(fired) * 1000 / Double(acquires) : 0 }
}

/// The floor of the guest's first work after a resume: the same re-touch with every page of it already
/// present, measured at the start of the run. What a memory backend adds to the first work — page faults,
/// copies, waits on a page server — is the distance from this floor; the floor itself is the guest's own loop,
/// which on a nested host moves with the host's speed that hour.
///
/// Each sample is one clone re-touching its working set twice over its agent (`touch <MiB>`, once to bring the
/// pages in, once more with them all present); the second is the sample, timed by the guest's own TSC.
///
/// ```swift
/// let floor = WorkFloor(touchMiB: 16, samples: 5, guestMilliseconds: [9.8, 10.1, 9.9, 10.4, 10.0])
/// floor.milliseconds  // 10.0, the median
/// ```
public struct WorkFloor: Codable, Sendable, Equatable {
    /// MiB re-touched, as the scenario's work does.
    public var touchMiB: Int
    /// Clones measured.
    public var samples: Int
    /// Each clone's second re-touch, by the guest's TSC, in ms.
    public var guestMilliseconds: [Double]
    /// Their median, in ms: the floor `work_floor_ratio` divides by.
    public var milliseconds: Double

    public init(touchMiB: Int, samples: Int, guestMilliseconds: [Double]) {
        self.touchMiB = touchMiB
        self.samples = samples
        self.guestMilliseconds = guestMilliseconds
        let sorted = guestMilliseconds.sorted()
        let middle = sorted.count / 2
        self.milliseconds =
            sorted.isEmpty ? 0 : sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
