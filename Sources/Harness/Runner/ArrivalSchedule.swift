import Firecracker
import Foundation
import SnapshotPool

/// The intended arrival instants of an open-loop phase, as offsets from the phase's start, computed before
/// the phase runs so that a slow system cannot thin out its own load (no coordinated omission).
///
/// ```swift
/// let offsets = ArrivalSchedule.offsets(for: .constantArrivalRate(rate: 10, duration: .seconds(1)), seed: 1)
/// // 0 ms, 100 ms, …, 900 ms
/// ```
public enum ArrivalSchedule {
    /// The offsets of every arrival; empty for closed-loop (`workers`) phases.
    public static func offsets(for load: LoadProfile, seed: UInt64) -> [Duration] {
        switch load {
        case .constantArrivalRate(let rate, let duration):
            let count = Int((rate * duration.inSeconds).rounded(.down))
            return (0..<count).map { .seconds(Double($0) / rate) }
        case .rampingArrivalRate(let startRate, let stages):
            return ramp(startRate: startRate, stages: stages)
        case .burst(let count, let spread, let bursts, let interval):
            var offsets: [Duration] = []
            for burst in 0..<bursts {
                let start = interval * burst
                for index in 0..<count {
                    offsets.append(count > 1 ? start + spread * (Double(index) / Double(count - 1)) : start)
                }
            }
            return offsets
        case .poisson(let rate, let duration):
            var random = SeededRandom(seed: seed)
            var offsets: [Duration] = []
            var time = 0.0
            while true {
                time += -log(1 - random.nextUnit()) / rate
                guard time < duration.inSeconds else { return offsets }
                offsets.append(.seconds(time))
            }
        case .workers:
            return []
        }
    }

    /// Arrivals of a rate that moves linearly within each stage: the n-th arrival is where the integral of
    /// the rate reaches n.
    private static func ramp(startRate: Double, stages: [RampStage]) -> [Duration] {
        var offsets: [Duration] = []
        var stageStart = 0.0
        var rate = startRate
        var accumulated = 0.0
        var next = 0.0
        for stage in stages {
            let length = stage.duration.inSeconds
            let slope = (stage.target - rate) / length
            // Step finely enough that each step holds far less than one arrival.
            let steps = max(1, Int(length * max(rate, stage.target) * 20))
            let step = length / Double(steps)
            for index in 0..<steps {
                let t = Double(index) * step
                let r = rate + slope * (t + step / 2)
                let gained = r * step
                while accumulated + gained >= next {
                    let fraction = r > 0 ? (next - accumulated) / r : 0
                    offsets.append(.seconds(stageStart + t + max(0, fraction)))
                    next += 1
                }
                accumulated += gained
            }
            stageStart += length
            rate = stage.target
        }
        return offsets
    }
}
