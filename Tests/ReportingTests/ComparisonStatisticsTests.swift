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
    }

    @Test("nearest-rank percentiles, means and subsamples")
    func basics() {
        #expect(SampleStatistics.percentile(95, ofSorted: Array(1...100).map(Double.init)) == 95)
        #expect(SampleStatistics.percentile(50, ofSorted: [1, 2, 3, 4]) == 2)
        #expect(SampleStatistics.percentile(100, ofSorted: [1, 2, 3]) == 3)
        #expect(SampleStatistics.percentile(0, ofSorted: [1, 2, 3]) == 1)
        #expect(SampleStatistics.percentile(95, ofSorted: []) == 0)
        #expect(SampleStatistics.mean([1, 2, 6]) == 3)
        #expect(SampleStatistics.mean([]) == 0)
        var random = SplitMix64(seed: 3)
        let values = Array(0..<1_000).map(Double.init)
        let subsample = SampleStatistics.subsample(values, count: 100, using: &random)
        #expect(subsample.count == 100)
        #expect(Set(subsample).count == 100)
        #expect(subsample != Array(values[0..<100]))
        #expect(SampleStatistics.subsample([1, 2], count: 100, using: &random) == [1, 2])
    }

    // MARK: - Permutation test

    @Test("permutation p-value of a tiny sample matches the exact one (2 of 20 splits as extreme)")
    func exactSmallCase() {
        var random = SplitMix64(seed: 9)
        let result = PermutationTest().run(base: [10, 11, 12], candidate: [15, 16, 17], using: &random)
        #expect(result.difference == 5)
        #expect(abs(result.pValue - 0.1) < 0.015, "p = \(result.pValue)")
    }

    @Test("two samples of one seeded distribution: not significant, within noise")
    func sameDistribution() {
        let base = ReportFixtures.normal(mean: 12, deviation: 1.5, count: 300, seed: 1)
        let candidate = ReportFixtures.normal(mean: 12, deviation: 1.5, count: 300, seed: 2)
        let row = SampleComparer().compare(
            scenario: "s",
            phase: "overall",
            metric: "restore",
            base: base,
            candidate: candidate
        )
        #expect(row.pValue > 0.05, "p = \(row.pValue)")
        #expect(row.verdict == .withinNoise)
        #expect(row.p95Change.contains(0))
    }

    @Test("5 ms added to every value: p < 0.01, regressed; taken away: improved")
    func shifted() {
        let base = ReportFixtures.normal(mean: 12, deviation: 1.5, count: 100, seed: 1)
        let slower = ReportFixtures.normal(mean: 12, deviation: 1.5, count: 100, seed: 2).map { $0 + 5 }
        let comparer = SampleComparer()
        let regressed = comparer.compare(scenario: "s", phase: "p", metric: "m", base: base, candidate: slower)
        #expect(regressed.pValue < 0.01)
        #expect(regressed.pValue == 1.0 / 10_001)
        #expect(regressed.verdict == .regressed)
        #expect(abs((regressed.meanChange ?? 0) - 5.0 / 12) < 0.05)
        #expect(regressed.p95Change.lower > 3 && regressed.p95Change.upper < 7)
        let improved = comparer.compare(scenario: "s", phase: "p", metric: "m", base: slower, candidate: base)
        #expect(improved.pValue < 0.01)
        #expect(improved.verdict == .improved)
        #expect((improved.meanChange ?? 0) < -0.25)
    }

    @Test("runs of one build that differ by 20 % widen the noise threshold: +10 % is noise, +40 % is not")
    func runToRunSpread() {
        // Two base runs whose levels differ by 20 % of the pooled mean, as runs on a busy nested host do.
        let first = ReportFixtures.normal(mean: 10.9, deviation: 0.3, count: 500, seed: 1)
        let second = ReportFixtures.normal(mean: 13.1, deviation: 0.3, count: 500, seed: 2)
        let base = first + second
        let runMeans = [SampleStatistics.mean(first), SampleStatistics.mean(second)]
        let comparer = SampleComparer()
        let slightly = ReportFixtures.normal(mean: 13.2, deviation: 0.3, count: 1_000, seed: 3)
        let noisy = comparer.compare(
            scenario: "s",
            phase: "p",
            metric: "m",
            base: base,
            candidate: slightly,
            runMeans: (runMeans, [SampleStatistics.mean(slightly)])
        )
        #expect(noisy.pValue < 0.01)
        #expect(abs((noisy.noiseThreshold ?? 0) - 0.2) < 0.03)
        #expect(noisy.verdict == .withinNoise)
        // Without the runs' means the same samples would be called a regression.
        #expect(
            comparer.compare(scenario: "s", phase: "p", metric: "m", base: base, candidate: slightly).verdict
                == .regressed
        )
        let clearly = ReportFixtures.normal(mean: 16.8, deviation: 0.3, count: 1_000, seed: 4)
        let regressed = comparer.compare(
            scenario: "s",
            phase: "p",
            metric: "m",
            base: base,
            candidate: clearly,
            runMeans: (runMeans, [SampleStatistics.mean(clearly)])
        )
        #expect(regressed.verdict == .regressed)
        #expect(SampleComparer.spread([5], around: 5) == 0)
        #expect(SampleComparer.spread([4, 6], around: 0) == 0)
    }

    @Test("a 1 % shift over thousands of samples: significant, yet within the 5 % noise threshold")
    func significantButSmall() {
        let base = ReportFixtures.normal(mean: 12, deviation: 0.5, count: 2_000, seed: 1)
        let candidate = ReportFixtures.normal(mean: 12, deviation: 0.5, count: 2_000, seed: 2).map { $0 * 1.01 }
        let row = SampleComparer().compare(scenario: "s", phase: "p", metric: "m", base: base, candidate: candidate)
        #expect(row.pValue < 0.01)
        #expect(abs((row.meanChange ?? 0) - 0.01) < 0.004)
        #expect(row.verdict == .withinNoise)
        // The threshold is what decides: at 0.5 % the same change is a regression.
        let strict = SampleComparer(settings: ComparisonSettings(noiseThreshold: 0.005))
        #expect(
            strict.compare(scenario: "s", phase: "p", metric: "m", base: base, candidate: candidate).verdict
                == .regressed
        )
    }

    @Test("a significant change smaller than the minimum change in ms is within noise")
    func minimumChange() {
        let comparer = SampleComparer()
        #expect(comparer.verdict(pValue: 0.0001, baseMean: 0.02, candidateMean: 0.04) == .withinNoise)
        #expect(comparer.verdict(pValue: 0.0001, baseMean: 0.02, candidateMean: 0.08) == .regressed)
        #expect(comparer.verdict(pValue: 0.02, baseMean: 10, candidateMean: 15) == .withinNoise)
        #expect(comparer.verdict(pValue: 0.0001, baseMean: 10, candidateMean: 10.4) == .withinNoise)
        #expect(comparer.verdict(pValue: 0.0001, baseMean: 10, candidateMean: 9.4) == .improved)
        let none = SampleComparer(settings: ComparisonSettings(minimumChangeMilliseconds: 0))
        #expect(none.verdict(pValue: 0.0001, baseMean: 0.02, candidateMean: 0.04) == .regressed)
    }

    // MARK: - Bootstrap

    @Test("the 99 % bootstrap interval of the p95 change contains the true change of a seeded case")
    func bootstrap() {
        let base = ReportFixtures.normal(mean: 12, deviation: 1.5, count: 500, seed: 5)
        let candidate = ReportFixtures.normal(mean: 15, deviation: 1.5, count: 500, seed: 6)
        var random = SplitMix64(seed: 1)
        let interval = BootstrapInterval().differenceOfPercentile(base: base, candidate: candidate, using: &random)
        // Both are normal with one deviation: their p95s differ by exactly the shift of the means.
        #expect(interval.contains(3))
        #expect(!interval.contains(0))
        #expect(interval.upper - interval.lower < 2)
        #expect(interval.lower <= interval.estimate && interval.estimate <= interval.upper)
        #expect(interval.level == 0.99)
        var again = SplitMix64(seed: 1)
        let same = BootstrapInterval().differenceOfPercentile(base: base, candidate: base, using: &again)
        #expect(same.estimate == 0 && same.contains(0))
    }

    // MARK: - Determinism

    @Test("the same seed gives the same row; another seed other resamples")
    func determinism() {
        let base = ReportFixtures.normal(mean: 12, deviation: 1.5, count: 200, seed: 1)
        let candidate = ReportFixtures.normal(mean: 12.3, deviation: 1.5, count: 200, seed: 2)
        func row(seed: UInt64) -> ComparisonRow {
            SampleComparer(settings: ComparisonSettings(seed: seed))
                .compare(scenario: "s", phase: "p", metric: "m", base: base, candidate: candidate)
        }
        #expect(row(seed: 1) == row(seed: 1))
        #expect(row(seed: 1).pValue != row(seed: 2).pValue)
        #expect(row(seed: 1).p95Change != row(seed: 2).p95Change)
    }

    @Test("a side larger than the cap is tested on a subsample; means and p95 stay of every sample")
    func subsampled() {
        let base = ReportFixtures.normal(mean: 12, deviation: 1.5, count: 3_000, seed: 1)
        let candidate = ReportFixtures.normal(mean: 12, deviation: 1.5, count: 500, seed: 2)
        let row = SampleComparer(settings: ComparisonSettings(maximumSamplesPerSide: 1_000))
            .compare(scenario: "s", phase: "p", metric: "m", base: base, candidate: candidate)
        #expect(row.base.samples == 3_000 && row.base.tested == 1_000)
        #expect(row.candidate.samples == 500 && row.candidate.tested == 500)
        #expect(row.base.mean == SampleStatistics.mean(base))
        #expect(row.base.p95 == SampleStatistics.percentile(95, ofSorted: base.sorted()))
    }
}
