import HostSystem
import Randomness
import Reporting
import Testing

@Suite("Comparison statistics")
struct ComparisonStatisticsTests {
    // MARK: - Random numbers

    @Test("SplitMix64 gives the reference sequence, and bounded draws stay in range and even")
    func splitMix() {
        var random = SplitMix64(seed: 0)
        // The first outputs of the reference implementation (Vigna's splitmix64.c) for seed 0.
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
        var buckets = [Int](repeating: 0, count: 10)
        for _ in 0..<100_000 { buckets[random.next(below: 10)] += 1 }
        #expect(buckets.allSatisfy { abs($0 - 10_000) < 500 }, "\(buckets)")
        // A bound of 3·2^61 makes about a quarter of the raw draws rejected: still in range, still even.
        let large = 3 << 61
        let draws = (0..<4_000).map { _ in random.next(below: large) }
        #expect(draws.allSatisfy { $0 >= 0 && $0 < large })
        #expect(abs(draws.map { Double($0) / Double(large) }.reduce(0, +) / 4_000 - 0.5) < 0.02)
        var labelled = SplitMix64(seed: 1, label: "smoke/overall/spawn")
        var again = SplitMix64(seed: 1, label: "smoke/overall/spawn")
        var other = SplitMix64(seed: 1, label: "smoke/overall/restore")
        let first = labelled.next()
        #expect(first == again.next())
        #expect(first != other.next())
        let units = (0..<10_000).map { _ in random.nextUnit() }
        #expect(units.allSatisfy { $0 >= 0 && $0 < 1 })
        let gaussians = (0..<10_000).map { _ in random.nextGaussian() }
        #expect(abs(gaussians.reduce(0, +) / 10_000) < 0.05)
    }

    @Test("nearest-rank percentiles and means")
    func basics() {
        #expect(SampleStatistics.percentile(95, ofSorted: Array(1...100).map(Double.init)) == 95)
        #expect(SampleStatistics.percentile(50, ofSorted: [1, 2, 3, 4]) == 2)
        #expect(SampleStatistics.percentile(100, ofSorted: [1, 2, 3]) == 3)
        #expect(SampleStatistics.percentile(0, ofSorted: [1, 2, 3]) == 1)
        #expect(SampleStatistics.percentile(95, ofSorted: []) == 0)
        #expect(SampleStatistics.mean([1, 2, 6]) == 3)
        #expect(SampleStatistics.mean([]) == 0)
    }

    // MARK: - Permutation test over runs

    @Test("the exact permutation p-value of separated runs is 2 of C(2n, n); of one value per side, 1")
    func exactPermutation() {
        var random = SplitMix64(seed: 1)
        let p3 = RunStatistics.permutationTest(base: [10, 11, 12], candidate: [15, 16, 17], using: &random)
        #expect(abs(p3 - 2.0 / 20) < 1e-12)
        let p5 = RunStatistics.permutationTest(
            base: [10, 11, 12, 11, 10.5],
            candidate: [15, 16, 17, 15.5, 16.5],
            using: &random
        )
        #expect(abs(p5 - 2.0 / 252) < 1e-12)
        #expect(RunStatistics.permutationTest(base: [1], candidate: [2], using: &random) == 1)
        // Identical sides: every split is at least as extreme as a difference of zero.
        #expect(RunStatistics.permutationTest(base: [3, 3, 3], candidate: [3, 3, 3], using: &random) == 1)
        #expect(RunStatistics.smallestPValue(base: 3, candidate: 3) == 0.1)
        #expect(abs(RunStatistics.smallestPValue(base: 5, candidate: 5) - 2.0 / 252) < 1e-12)
        #expect(abs(RunStatistics.smallestPValue(base: 4, candidate: 6) - 1.0 / 210) < 1e-12)
        #expect(RunStatistics.smallestPValue(base: 0, candidate: 3) == 1)
    }

    @Test("beyond the exact limit the splits are drawn at random, seeded: the p-value is close to the exact one")
    func sampledPermutation() {
        // 13 + 13 runs: C(26, 13) ≈ 10.4 million splits, drawn rather than counted.
        let base = (0..<13).map { 10 + Double($0 % 5) * 0.3 }
        let candidate = (0..<13).map { 10.4 + Double($0 % 5) * 0.3 }
        var random = SplitMix64(seed: 9)
        let p = RunStatistics.permutationTest(base: base, candidate: candidate, using: &random)
        #expect(p > 0.0005 && p < 0.05, "\(p)")
        var again = SplitMix64(seed: 9)
        #expect(RunStatistics.permutationTest(base: base, candidate: candidate, using: &again) == p)
    }

    @Test("A/A: runs of one distribution reach p ≤ 0.05 about 5 % of the time, never more than chance allows")
    func falseAlarmRate() {
        var random = SplitMix64(seed: 5)
        var significant = 0
        let trials = 400
        for _ in 0..<trials {
            let base = (0..<5).map { _ in 10 + random.nextGaussian() }
            let candidate = (0..<5).map { _ in 10 + random.nextGaussian() }
            if RunStatistics.permutationTest(base: base, candidate: candidate, using: &random) <= 0.05 {
                significant += 1
            }
        }
        // Exact test at 5 %: at most 5 % in expectation; 400 trials put 3 standard deviations at about 33.
        #expect(significant <= 33, "\(significant) of \(trials)")
        #expect(significant >= 3, "an exact test that never rejects would be broken too: \(significant)")
    }

    // MARK: - False-discovery correction

    @Test("Benjamini–Hochberg: the known adjusted values, order kept, monotone, capped at 1")
    func benjaminiHochberg() {
        let q = RunStatistics.benjaminiHochberg([0.01, 0.04, 0.03, 0.5])
        // Sorted 0.01, 0.03, 0.04, 0.5 times m / rank: 0.04, 0.06, 0.0533, 0.5; the running minimum from the top
        // gives 0.04, 0.0533, 0.0533, 0.5, put back in the input's order.
        #expect(abs(q[0] - 0.04) < 1e-12)
        #expect(abs(q[1] - 0.04 * 4 / 3) < 1e-12)
        #expect(abs(q[2] - 0.04 * 4 / 3) < 1e-12)
        #expect(abs(q[3] - 0.5) < 1e-12)
        #expect(RunStatistics.benjaminiHochberg([]).isEmpty)
        #expect(RunStatistics.benjaminiHochberg([0.9, 0.95]) == [0.95, 0.95])
        #expect(RunStatistics.benjaminiHochberg([1, 1, 1]).allSatisfy { $0 == 1 })
    }

    // MARK: - Bootstrap over runs

    @Test("the bootstrap interval of the change holds its estimate, the same statistic on the runs")
    func bootstrap() {
        var random = SplitMix64(seed: 4)
        let base = [10.0, 10.4, 9.8, 10.1, 10.2]
        let candidate = [15.0, 15.3, 14.9, 15.2, 14.8]
        let interval = RunStatistics.bootstrapDifference(
            base: base,
            candidate: candidate,
            resamples: 2_000,
            level: 0.95,
            using: &random
        )
        #expect(abs(interval.estimate - (15.04 - 10.1)) < 1e-9)
        #expect(interval.lower <= interval.estimate && interval.estimate <= interval.upper)
        #expect(interval.lower > 4.5 && interval.upper < 5.4)
        let none = RunStatistics.bootstrapDifference(
            base: [1],
            candidate: [2],
            resamples: 0,
            level: 0.95,
            using: &random
        )
        #expect(none.estimate == 1 && none.lower == 1 && none.upper == 1)
    }

    @Test("the settings say how many runs a side a decision needs: 4 at 5 %, 5 at 1 %")
    func minimumRuns() {
        #expect(ComparisonSettings().minimumRuns == 4)
        #expect(ComparisonSettings(falseDiscoveryLevel: 0.01).minimumRuns == 5)
    }
}
