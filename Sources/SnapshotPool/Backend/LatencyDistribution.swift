import Foundation
import HostSystem
package import Randomness

/// A distribution stage latencies are drawn from in the ``SimulatedBackend``.
///
/// ```swift
/// let load = LatencyDistribution.logNormal(median: .microseconds(12_400), p95: .microseconds(15_500))
/// ```
package enum LatencyDistribution: Sendable, Equatable, Codable {
    /// Always the same value.
    case fixed(Duration)
    /// Uniform between the bounds.
    case uniform(Duration, Duration)
    /// Exponential with this mean.
    case exponential(mean: Duration)
    /// Log-normal with this median and 95th percentile.
    case logNormal(median: Duration, p95: Duration)

    /// Draws one value with `random`.
    package func sample(_ random: inout SplitMix64) -> Duration {
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
