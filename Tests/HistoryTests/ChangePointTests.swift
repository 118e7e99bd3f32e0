import Foundation
import History
import TestSupport
import Testing

@Suite("E-Divisive change points on series whose answer is known")
struct ChangePointTests {
    /// `count` normal values (seeded) around `mean`.
    static func noise(_ mean: Double, _ deviation: Double, _ count: Int, seed: UInt64) -> [Double] {
        ReportFixtures.normal(mean: mean, deviation: deviation, count: count, seed: seed)
    }

    @Test("the split score equals the energy statistic computed pair by pair", arguments: [7, 12, 25])
    func scoreMatchesDefinition(count: Int) throws {
        let values = Self.noise(10, 2, count, seed: UInt64(count))
        let (index, score) = try #require(EDivisive.bestSplit(values, minimum: 3))
        func mean(_ a: ArraySlice<Double>, _ b: ArraySlice<Double>, sameSide: Bool) -> Double {
            var sum = 0.0
            var pairs = 0
            for (i, x) in a.enumerated() {
                for (j, y) in b.enumerated() where !sameSide || j > i {
                    sum += abs(x - y)
                    pairs += 1
                }
            }
            return sum / Double(pairs)
        }
        var best = (index: 0, score: -Double.infinity)
        for tau in 3...(count - 3) {
            let x = values[..<tau]
            let y = values[tau...]
            let energy = 2 * mean(x, y, sameSide: false) - mean(x, x, sameSide: true) - mean(y, y, sameSide: true)
            let scaled = Double(tau * (count - tau)) / Double(count) * energy
            if scaled > best.score { best = (tau, scaled) }
        }
        #expect(index == best.index)
        #expect(abs(score - best.score) < 1e-9 * max(1, abs(best.score)))
    }

    @Test("a 30 % step in the mean is found at its index (±1)", arguments: [(60, 100), (20, 40), (10, 20)])
    func step(at: Int, count: Int) {
        let series = Self.noise(10, 0.8, at, seed: 1) + Self.noise(13, 0.8, count - at, seed: 2)
        let changes = EDivisive().changePoints(in: series)
        #expect(changes.count == 1, "\(changes)")
        #expect(changes.first.map { abs($0.index - at) <= 1 } == true, "\(changes)")
        #expect(changes.first.map { $0.meanAfter > $0.meanBefore } == true)
    }

    @Test("two steps are both found")
    func twoSteps() {
        let series =
            Self.noise(10, 0.5, 30, seed: 3) + Self.noise(14, 0.5, 40, seed: 4) + Self.noise(11, 0.5, 30, seed: 5)
        let indices = EDivisive().changePoints(in: series).map(\.index)
        #expect(indices.count == 2, "\(indices)")
        #expect(indices.count == 2 && abs(indices[0] - 30) <= 1 && abs(indices[1] - 70) <= 1, "\(indices)")
    }

    @Test("series without a change rarely get one: at most 3 false alarms in 40 (significance 5 %)")
    func falseAlarms() {
        let alarms = (0..<40).filter { seed in
            !EDivisive().changePoints(in: Self.noise(10, 1, 50, seed: 100 + UInt64(seed))).isEmpty
        }
        #expect(alarms.count <= 3, "false alarms on seeds \(alarms)")
    }

    @Test("too short a series, or a constant one, has no change point")
    func degenerate() {
        #expect(EDivisive().changePoints(in: [1, 2, 3, 4, 5]).isEmpty)
        #expect(EDivisive().changePoints(in: Array(repeating: 4, count: 30)).isEmpty)
        #expect(EDivisive().changePoints(in: []).isEmpty)
    }
}
