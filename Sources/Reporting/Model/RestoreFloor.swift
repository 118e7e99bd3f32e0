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
package struct RestoreFloor: Codable, Sendable, Equatable {
    /// Loads sent at once in each round: the on-demand restores one of the scenario's bursts makes.
    package var concurrency: Int
    /// Rounds measured (after one thrown away).
    package var rounds: Int
    /// `PUT /snapshot/load` sent → response, every load of every round, in ms.
    package var loads: Spectrum

    package init(concurrency: Int, rounds: Int, loads: Spectrum) {
        self.concurrency = concurrency
        self.rounds = rounds
        self.loads = loads
    }

    /// The floor's value of `statistic`, in ms; `nil` for a statistic a latency does not have.
    package func value(of statistic: Statistic) -> Double? {
        loads.value(of: statistic)
    }
}

extension RunReport {
    /// The floors a burst's gates were judged against, one sentence each; `nil` when the run measured none.
    ///
    /// ```swift
    /// report.floorSummary  // ["restore floor: 12 loads at once with nothing else running, 16 rounds: p50 9.8 ms, …"]
    /// ```
    package var floorSummary: [String]? {
        var lines: [String] = []
        if let restoreFloor {
            let loads = restoreFloor.loads
            lines.append(
                "restore floor: \(restoreFloor.concurrency) loads at once with nothing else running, "
                    + "\(restoreFloor.rounds) rounds (\(loads.count) loads): p50 \(formatNumber(loads.p50)) ms, "
                    + "p95 \(formatNumber(loads.p95)) ms, max \(formatNumber(loads.max)) ms"
            )
        }
        if let burstFloor { lines.append(burstFloor.summary) }
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
