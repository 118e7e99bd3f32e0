import Firecracker
import Harness
import HostSystem
import Reporting
import Testing

@Suite("Latency histograms")
struct LatencyHistogramTests {
    @Test("percentiles of 1…100 ms are within HdrHistogram's 3 significant digits")
    func percentiles() throws {
        var histogram = LatencyHistogram()
        for value in 1...100 { histogram.record(.milliseconds(value)) }
        #expect(histogram.count == 100)
        let p50 = try #require(histogram.percentile(50))
        let p95 = try #require(histogram.percentile(95))
        #expect(abs(p50.inMilliseconds - 50) < 0.1)
        #expect(abs(p95.inMilliseconds - 95) < 0.1)
        #expect(abs((histogram.max?.inMilliseconds ?? 0) - 100) < 0.1)
        #expect(abs((histogram.min?.inMilliseconds ?? 0) - 1) < 0.01)
        #expect(abs((histogram.mean?.inMilliseconds ?? 0) - 50.5) < 0.1)
        let summary = histogram.summary
        #expect(summary.count == 100)
        #expect(abs((summary.p99 ?? 0) - 99) < 0.1)
    }

    @Test("an empty histogram has no figures; merging adds counts; negative values count as zero")
    func emptyAndMerge() {
        var first = LatencyHistogram()
        #expect(first.percentile(50) == nil)
        #expect(first.max == nil && first.min == nil && first.mean == nil)
        #expect(first.summary.p50 == nil)
        var second = LatencyHistogram()
        second.record(.milliseconds(-5))
        second.record(.microseconds(250))
        first.add(second)
        #expect(first.count == 2)
        #expect(first.min == .zero)
    }

    @Test("the recorded distribution keeps every value class with its count, within 3 significant digits")
    func distribution() throws {
        var histogram = LatencyHistogram()
        for _ in 0..<3 { histogram.record(.microseconds(1500)) }
        histogram.record(.milliseconds(12))
        let spectrum = try #require(histogram.spectrum)
        let distribution = try #require(spectrum.distribution)
        #expect(distribution.counts == [3, 1])
        #expect(distribution.totalCount == 4)
        #expect(abs(distribution.valuesMilliseconds[0] - 1.5) < 0.002)
        #expect(abs(distribution.valuesMilliseconds[1] - 12) < 0.01)
        let expanded = distribution.expanded()
        #expect(expanded.count == 4)
        #expect(abs(expanded.reduce(0, +) / 4 - spectrum.mean) < 0.01)
    }
}
