import Logging
import SnapshotPool

/// Measures one spawn alone in each gap of a burst phase, halfway between two bursts, once the pool is idle.
///
/// A burst's floor measured only before the load describes the minute before it: on a shared host whose VM
/// loses and regains its CPUs from minute to minute, the CPU of one spawn alone moved from 4.7 to 7.8 ms between
/// runs, and a floor taken in one second of a busy minute judged the bursts of a quiet one. Samples taken
/// between the bursts see the same minutes the bursts do. A gap is sampled only when the pool is idle — no
/// lease out, no acquire waiting, no restore under way, the warm set full — and at least ``margin`` remains
/// before the next burst, so that no sample overlaps the load it is a floor for.
///
/// ```swift
/// let sampler = SpawnCostsBetweenBursts(clock: ContinuousClock(), isIdle: { await pool.isIdle() },
///                                       measureOne: probe)
/// let gaps = await sampler.run(start: phaseStart, bursts: 18, interval: .seconds(2))
/// gaps.costs.warm.count  // up to 17: the phase ends with its last burst
/// ```
struct SpawnCostsBetweenBursts<SamplingClock: Clock<Duration>>: Sendable {
    let clock: SamplingClock
    /// Whether the pool is idle: no lease out, no acquire waiting, no restore under way, the warm set full.
    let isIdle: @Sendable () async -> Bool
    /// Restores, resumes and destroys one clone alone (its index names its directory).
    let measureOne: @Sendable (_ index: Int) async throws -> SpawnCostProbe.Costs
    var logger = Logger(label: "snapbench.spawn-cost")

    /// The least time that must remain before the next burst for a sample to start: a spawn alone takes
    /// 15–40 ms here, so a sample started this early ends long before the burst.
    static var margin: Duration { .milliseconds(300) }
    /// How often an idle pool is looked for once a gap's midpoint has passed.
    static var poll: Duration { .milliseconds(20) }

    /// Samples the gaps of a phase whose bursts start at `start`, `interval` apart, until the last gap or until
    /// cancelled (the phase ended); a sample under way when cancelled is abandoned, its clone destroyed.
    func run(start: SamplingClock.Instant, bursts: Int, interval: Duration) async -> SpawnCostsSampled {
        var sampled = SpawnCostsSampled()
        guard interval / 2 >= Self.margin else { return sampled }
        for gap in 0..<max(0, bursts - 1) {
            let nextBurst = start.advanced(by: interval * (gap + 1))
            guard
                (try? await clock.sleep(until: start.advanced(by: interval * gap + interval / 2), tolerance: nil))
                    != nil,
                await waitUntilIdle(before: nextBurst)
            else {
                if Task.isCancelled { break }
                continue
            }
            do {
                let costs = try await measureOne(sampled.costs.warm.count)
                sampled.costs = sampled.costs.adding(betweenBursts: costs)
            } catch {
                if !Task.isCancelled {
                    let problem = "a spawn between bursts could not be measured: \(error)"
                    sampled.problem = problem
                    logger.warning("\(problem)")
                }
                break
            }
        }
        return sampled
    }

    /// Whether the pool became idle while at least ``margin`` remained before `nextBurst`.
    private func waitUntilIdle(before nextBurst: SamplingClock.Instant) async -> Bool {
        while clock.now.advanced(by: Self.margin) <= nextBurst, !Task.isCancelled {
            if await isIdle() { return true }
            guard (try? await clock.sleep(for: Self.poll)) != nil else { return false }
        }
        return false
    }
}

/// What the gaps between bursts gave: the samples, and why sampling stopped early if it did.
struct SpawnCostsSampled: Sendable {
    var costs = SpawnCostProbe.Costs()
    var problem: String?
}

extension SnapshotPool {
    /// Whether nothing runs in the pool but its full warm set: no lease out, no acquire waiting, no restore
    /// under way, no straggler.
    func isIdle() async -> Bool {
        let statistics = statistics()
        return statistics.leased == 0 && statistics.waiting == 0 && statistics.restoring == 0
            && statistics.stragglers == 0 && statistics.warm >= configuration.warmTarget
    }
}
