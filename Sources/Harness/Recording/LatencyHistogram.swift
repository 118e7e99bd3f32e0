import Firecracker
package import Histogram
import HostSystem
package import Reporting

/// Latencies of one metric, recorded in nanoseconds in an HdrHistogram (3 significant digits, 1 µs resolution
/// at the bottom, 60 s at the top and growing when a value goes beyond: about 70 KiB each, where 1 ns … 1 h
/// took 270 KiB and a run keeps a few dozen).
///
/// ```swift
/// var restore = LatencyHistogram()
/// restore.record(.milliseconds(12))
/// print(restore.percentile(95)?.inMilliseconds ?? 0)
/// ```
package struct LatencyHistogram: Sendable {
    /// The underlying histogram, in nanoseconds.
    package private(set) var histogram: Histogram<UInt32>

    /// Creates an empty histogram tracking 1 µs … 60 s (and more, resized when needed).
    package init() {
        histogram = Histogram(
            lowestDiscernibleValue: 1_000,
            highestTrackableValue: 60_000_000_000,
            numberOfSignificantValueDigits: .three
        )
        histogram.autoResize = true
    }

    /// Number of recorded values.
    package var count: Int { Int(histogram.totalCount) }

    /// Records one duration (negative durations are recorded as zero).
    package mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        _ = histogram.record(UInt64(Swift.max(0, nanoseconds)))
    }

    /// The value at `percentile` (0–100), or `nil` when nothing was recorded.
    package func percentile(_ percentile: Double) -> Duration? {
        guard count > 0 else { return nil }
        return .nanoseconds(Int64(histogram.valueAtPercentile(percentile)))
    }

    /// The largest recorded value.
    package var max: Duration? {
        count > 0 ? .nanoseconds(Int64(histogram.max)) : nil
    }

    /// The smallest recorded value.
    package var min: Duration? {
        count > 0 ? .nanoseconds(Int64(histogram.min)) : nil
    }

    /// The mean.
    package var mean: Duration? {
        count > 0 ? .nanoseconds(Int64(histogram.mean.rounded())) : nil
    }

    /// Adds every value of `other`.
    package mutating func add(_ other: LatencyHistogram) {
        histogram.add(other.histogram)
    }

    /// This histogram without the values of `other`, which must have been recorded into this one too.
    package func subtracting(_ other: LatencyHistogram) -> LatencyHistogram {
        var result = LatencyHistogram()
        for recorded in histogram.recordedValues() where recorded.count > 0 {
            let removed = UInt64(other.histogram.countForValue(recorded.value))
            let kept = UInt64(recorded.count) > removed ? UInt64(recorded.count) - removed : 0
            if kept > 0 { _ = result.histogram.record(recorded.value, count: UInt32(kept)) }
        }
        return result
    }

    /// p50, p95, p99 and max, in milliseconds, for a table or report.
    package var summary: LatencySummary {
        LatencySummary(
            count: count,
            p50: percentile(50)?.inMilliseconds,
            p95: percentile(95)?.inMilliseconds,
            p99: percentile(99)?.inMilliseconds,
            max: max?.inMilliseconds,
            mean: mean?.inMilliseconds
        )
    }
}

/// The headline figures of one latency metric, in milliseconds.
package struct LatencySummary: Codable, Sendable, Equatable {
    /// How many values.
    package var count: Int
    /// Median.
    package var p50: Double?
    /// 95th percentile.
    package var p95: Double?
    /// 99th percentile.
    package var p99: Double?
    /// Largest.
    package var max: Double?
    /// Mean.
    package var mean: Double?

    package init(count: Int, p50: Double?, p95: Double?, p99: Double?, max: Double?, mean: Double?) {
        self.count = count
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
        self.max = max
        self.mean = mean
    }
}

extension LatencyHistogram {
    /// Every recorded value class (its median-equivalent value, in milliseconds) with its count.
    package var distribution: RecordedDistribution {
        var values: [Double] = []
        var counts: [Int] = []
        for recorded in histogram.recordedValues() where recorded.count > 0 {
            let median = histogram.medianEquivalentForValue(recorded.value)
            values.append(Duration.nanoseconds(Int64(median)).inMilliseconds)
            counts.append(Int(recorded.count))
        }
        return RecordedDistribution(valuesMilliseconds: values, counts: counts)
    }

    /// The percentile spectrum, in milliseconds; `nil` when empty.
    package var spectrum: Spectrum? {
        guard count > 0 else { return nil }
        func ms(_ percentile: Double) -> Double { self.percentile(percentile)?.inMilliseconds ?? 0 }
        let plotted: [Double] = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100]
        return Spectrum(
            count: count,
            min: min?.inMilliseconds ?? 0,
            mean: mean?.inMilliseconds ?? 0,
            p50: ms(50),
            p90: ms(90),
            p95: ms(95),
            p99: ms(99),
            p999: ms(99.9),
            max: max?.inMilliseconds ?? 0,
            points: plotted.map { [$0, ms($0)] },
            distribution: distribution
        )
    }
}
