import Foundation
import HostSystem
import Randomness

/// The intended arrival instants of an open-loop phase, as offsets from the phase's start, fixed before the
/// phase runs so that a slow system cannot thin out its own load (no coordinated omission).
///
/// A sequence, generated as it is read: a day-long soak at 100/s would otherwise hold 8.6 million instants.
/// Poisson arrivals draw from their own random stream (`arrivals/<phase>`), apart from hold times.
///
/// ```swift
/// let schedule = ArrivalSchedule(load: .constantArrivalRate(rate: 10, duration: .seconds(1)), seed: 1, phase: "p")!
/// Array(schedule)  // 0 ms, 100 ms, …, 900 ms
/// schedule.plannedCount   // 10
/// ```
package struct ArrivalSchedule: Sequence, Sendable {
    private let load: LoadProfile
    private let seed: UInt64
    private let phase: String

    /// The schedule of an open-loop phase; `nil` for closed-loop (`workers`) phases, which have none.
    package init?(load: LoadProfile, seed: UInt64, phase: String) {
        if case .workers = load { return nil }
        self.load = load
        self.seed = seed
        self.phase = phase
    }

    /// The mean time between arrivals: the phase's length over its planned arrivals (a burst phase's bursts
    /// apart, its arrivals at once counted as one).
    package var meanGap: Duration {
        if case .burst(_, _, let bursts, let interval) = load { return bursts > 1 ? interval : .seconds(1) }
        return load.duration / Swift.max(1, plannedCount)
    }

    /// How many arrivals it holds: exact for constant rates and bursts, the expected number for Poisson
    /// arrivals, the integral of the rate for a ramp (within one of the generated count). Computed, never
    /// generated: a scenario may schedule billions.
    package var plannedCount: Int {
        switch load {
        case .constantArrivalRate(let rate, let duration): Self.constantCount(rate: rate, duration: duration)
        case .burst(let count, _, let bursts, _): count * bursts
        case .poisson(let rate, let duration): Self.constantCount(rate: rate, duration: duration)
        case .rampingArrivalRate(let start, let stages):
            Int(
                stages.reduce((total: 0.0, rate: start)) { sum, stage in
                    (sum.total + (sum.rate + stage.target) / 2 * stage.duration.inSeconds, stage.target)
                }.total.rounded(.down)
            )
        case .workers: 0
        }
    }

    private static func constantCount(rate: Double, duration: Duration) -> Int {
        Int((rate * duration.inSeconds).rounded(.down))
    }

    package func makeIterator() -> Iterator {
        Iterator(load: load, random: SplitMix64(seed: seed, label: "arrivals/\(phase)"))
    }

    /// Produces the offsets one by one.
    package struct Iterator: IteratorProtocol {
        private let load: LoadProfile
        private var random: SplitMix64
        private var index = 0
        private var time = 0.0
        // Ramping state: the current stage, the time and integral reached, the next arrival's integral.
        private var stage = 0
        private var stageStart = 0.0
        private var stageRate = 0.0
        private var step = 0
        private var accumulated = 0.0
        private var nextArrival = 0.0
        private var pending: [Double] = []

        init(load: LoadProfile, random: SplitMix64) {
            self.load = load
            self.random = random
            if case .rampingArrivalRate(let start, _) = load { stageRate = start }
        }

        package mutating func next() -> Duration? {
            defer { index += 1 }
            switch load {
            case .constantArrivalRate(let rate, let duration):
                guard index < ArrivalSchedule.constantCount(rate: rate, duration: duration) else { return nil }
                return .seconds(Double(index) / rate)
            case .burst(let count, let spread, let bursts, let interval):
                guard index < count * bursts else { return nil }
                let (burst, position) = index.quotientAndRemainder(dividingBy: count)
                let start = interval * burst
                return count > 1 ? start + spread * (Double(position) / Double(count - 1)) : start
            case .poisson(let rate, let duration):
                time += -log(1 - random.nextUnit()) / rate
                return time < duration.inSeconds ? .seconds(time) : nil
            case .rampingArrivalRate(_, let stages):
                return nextRamp(stages).map { .seconds($0) }
            case .workers:
                return nil
            }
        }

        /// The n-th arrival is where the integral of the rate (linear within each stage) reaches n; stepped finely
        /// enough that each step holds far less than one arrival.
        private mutating func nextRamp(_ stages: [RampStage]) -> Double? {
            while pending.isEmpty {
                guard stage < stages.count else { return nil }
                let current = stages[stage]
                let length = current.duration.inSeconds
                let slope = (current.target - stageRate) / length
                let steps = Swift.max(1, Int(length * Swift.max(stageRate, current.target) * 20))
                guard step < steps else {
                    stageStart += length
                    stageRate = current.target
                    stage += 1
                    step = 0
                    continue
                }
                let width = length / Double(steps)
                let t = Double(step) * width
                let r = stageRate + slope * (t + width / 2)
                let gained = r * width
                while accumulated + gained >= nextArrival {
                    let fraction = r > 0 ? (nextArrival - accumulated) / r : 0
                    pending.append(stageStart + t + Swift.max(0, fraction))
                    nextArrival += 1
                }
                accumulated += gained
                step += 1
            }
            return pending.removeFirst()
        }
    }
}
