import Foundation

/// The one seeded random number generator of snapbench (SplitMix64): arrivals, hold times, simulated
/// latencies, fault victims and the comparison statistics all draw from it, so a run or a comparison gives
/// the same answer on every machine: Foundation's and the standard library's generators cannot be seeded.
///
/// Each consumer takes a stream of its own (``init(seed:label:)``): arrivals and hold times drawn from one
/// stream would be correlated (an exponential hold would be a fixed multiple of the gap before it).
///
/// ```swift
/// var random = SplitMix64(seed: 42, label: "arrivals/steady")
/// let index = random.next(below: 10)  // 0..<10, the same on every run
/// ```
package struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    private var state: UInt64

    /// Creates a generator whose sequence is fixed by `seed`.
    package init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound` (Lemire's multiply-and-reject, spelled out here rather than taken
    /// from `Int.random(in:using:)` so the sequence cannot change with the standard library).
    ///
    /// - Precondition: `bound > 0`.
    package mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        var product = range.multipliedFullWidth(by: next())
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = range.multipliedFullWidth(by: next())
            }
        }
        return Int(product.high)
    }

    /// A uniform value in [0, 1).
    package mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }

    /// A standard normal value (Box–Muller).
    package mutating func nextGaussian() -> Double {
        let u1 = max(nextUnit(), .leastNonzeroMagnitude)
        let u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    /// A generator for one named stream: the same `seed` and `label` always give the same sequence, and
    /// other labels give unrelated ones (FNV-1a of the label, because `Hasher` is seeded per process).
    ///
    /// ```swift
    /// var random = SplitMix64(seed: 1, label: "smoke/overall/spawn")
    /// ```
    package init(seed: UInt64, label: String) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in label.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        var mixer = SplitMix64(seed: seed ^ hash)
        self.init(seed: mixer.next())
    }
}
