import Firecracker
import Foundation

/// A distribution stage latencies are drawn from in the ``SimulatedBackend``.
///
/// ```swift
/// let load = LatencyDistribution.logNormal(median: .microseconds(12_400), p95: .microseconds(15_500))
/// ```
public enum LatencyDistribution: Sendable, Equatable, Codable {
    /// Always the same value.
    case fixed(Duration)
    /// Uniform between the bounds.
    case uniform(Duration, Duration)
    /// Exponential with this mean.
    case exponential(mean: Duration)
    /// Log-normal with this median and 95th percentile.
    case logNormal(median: Duration, p95: Duration)

    /// Draws one value with `random`.
    public func sample(_ random: inout SeededRandom) -> Duration {
        switch self {
        case .fixed(let value):
            return value
        case .uniform(let low, let high):
            return low + (high - low) * random.nextUnit()
        case .exponential(let mean):
            return mean * -log(1 - random.nextUnit())
        case .logNormal(let median, let p95):
            let sigma = max(0, log(p95.inSeconds / median.inSeconds) / 1.6448536)
            return .seconds(median.inSeconds * exp(sigma * random.nextGaussian()))
        }
    }
}

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same run.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 1).
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }

    /// A standard normal value (Box–Muller).
    public mutating func nextGaussian() -> Double {
        let u1 = max(nextUnit(), .leastNonzeroMagnitude)
        let u2 = nextUnit()
        return sqrt(-2 * log(u1)) * cos(2 * .pi * u2)
    }
}
