/// The CPU-bound floor of a scenario's bursts — the time the host's CPUs need for one burst's spawns if
/// nothing else ran and no CPU idled — and what it was computed from.
///
/// Each cost is the CPU one spawn takes when it runs alone (VMM threads and snapbench, kernel time on their
/// behalf included, from `schedstat`): a warm spawn is resume → readiness, an on-demand one process start →
/// readiness. A burst whose p95 spawn is close to its floor leaves nothing to gain but CPU work itself.
///
/// ```swift
/// let floor = BurstFloor(warmSpawnCPUMilliseconds: 1.9, onDemandSpawnCPUMilliseconds: 9.0, samples: 8,
///                        cores: 2, warmHitsPerBurst: 4, onDemandPerBurst: 12)
/// floor.milliseconds  // (4 × 1.9 + 12 × 9.0) ÷ 2 = 57.8
/// ```
package struct BurstFloor: Codable, Sendable, Equatable {
    /// The median CPU of one warm spawn alone, in ms.
    package var warmSpawnCPUMilliseconds: Double
    /// The median CPU of one on-demand spawn alone, in ms.
    package var onDemandSpawnCPUMilliseconds: Double
    /// Spawns measured alone for each cost.
    package var samples: Int
    /// How many of them were measured between the bursts, halfway from one to the next with the pool idle (the
    /// rest before the load); absent in reports made before they were.
    package var samplesBetweenBursts: Int?
    /// The median CPU of one on-demand spawn alone before the load and between the bursts, in ms (absent when
    /// none was measured between bursts): how far the host moved while the run ran.
    package var onDemandBeforeLoadMilliseconds: Double?
    package var onDemandBetweenBurstsMilliseconds: Double?
    /// The median of snapbench's own CPU in one on-demand spawn alone (its process: the pool, the harness and
    /// their threads; the rest is the VMM's), in ms; absent in reports made before it was measured apart.
    package var ownOnDemandMilliseconds: Double?
    /// Online CPUs.
    package var cores: Int
    /// Served warm hits per burst in the measured burst phases.
    package var warmHitsPerBurst: Double
    /// Served on-demand spawns per burst in the measured burst phases.
    package var onDemandPerBurst: Double
    /// The floor of one burst: (warm hits × warm cost + on-demand × on-demand cost) ÷ cores, in ms.
    package var milliseconds: Double

    package init(
        warmSpawnCPUMilliseconds: Double,
        onDemandSpawnCPUMilliseconds: Double,
        samples: Int,
        samplesBetweenBursts: Int? = nil,
        onDemandApart: (beforeLoad: Double, betweenBursts: Double?)? = nil,
        ownOnDemandMilliseconds: Double? = nil,
        cores: Int,
        warmHitsPerBurst: Double,
        onDemandPerBurst: Double
    ) {
        self.warmSpawnCPUMilliseconds = warmSpawnCPUMilliseconds
        self.onDemandSpawnCPUMilliseconds = onDemandSpawnCPUMilliseconds
        self.samples = samples
        self.samplesBetweenBursts = samplesBetweenBursts
        if let onDemandApart, let between = onDemandApart.betweenBursts {
            self.onDemandBeforeLoadMilliseconds = onDemandApart.beforeLoad
            self.onDemandBetweenBurstsMilliseconds = between
        }
        self.ownOnDemandMilliseconds = ownOnDemandMilliseconds
        self.cores = cores
        self.warmHitsPerBurst = warmHitsPerBurst
        self.onDemandPerBurst = onDemandPerBurst
        self.milliseconds =
            (warmHitsPerBurst * warmSpawnCPUMilliseconds + onDemandPerBurst * onDemandSpawnCPUMilliseconds)
            / Double(max(1, cores))
    }

    /// The floor in one sentence, with what it was computed from.
    ///
    /// ```swift
    /// floor.summary  // "spawn floor (CPU-bound): 39.9 ms per burst — 4 warm × 1.59 ms + 12 on demand × 6.12 ms …"
    /// ```
    package var summary: String {
        "spawn floor (CPU-bound): \(formatNumber(milliseconds)) ms per burst — "
            + "\(formatNumber(warmHitsPerBurst)) warm × \(formatNumber(warmSpawnCPUMilliseconds)) ms "
            + "+ \(formatNumber(onDemandPerBurst)) on demand × "
            + "\(formatNumber(onDemandSpawnCPUMilliseconds)) ms of CPU, ÷ \(cores) cores "
            + "(medians of \(samples) spawns alone: "
            + "\(samples - (samplesBetweenBursts ?? 0)) before the load, "
            + "\(samplesBetweenBursts ?? 0) between bursts"
            + (onDemandBetweenBurstsMilliseconds.map { between in
                "; on demand \(formatNumber(onDemandBeforeLoadMilliseconds ?? 0)) ms before the load, "
                    + "\(formatNumber(between)) ms between bursts"
            } ?? "")
            + (ownOnDemandMilliseconds.map { "; snapbench's own part of an on-demand one \(formatNumber($0)) ms" } ?? "")
            + ")"
    }
}
