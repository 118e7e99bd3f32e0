import Firecracker
public import Histogram

/// Latencies of one metric, recorded in nanoseconds in an HdrHistogram (3 significant digits).
///
/// ```swift
/// var restore = LatencyHistogram()
/// restore.record(.milliseconds(12))
/// print(restore.percentile(95)?.inMilliseconds ?? 0)
/// ```
public struct LatencyHistogram: Sendable {
    /// The underlying histogram, in nanoseconds.
    public private(set) var histogram: Histogram<UInt64>

    /// Creates an empty histogram tracking 1 ns … 1 h.
    public init() {
        histogram = Histogram(
            lowestDiscernibleValue: 1,
            highestTrackableValue: 3_600_000_000_000,
            numberOfSignificantValueDigits: .three
        )
        histogram.autoResize = true
    }

    /// Number of recorded values.
    public var count: Int { Int(histogram.totalCount) }

    /// Records one duration (negative durations are recorded as zero).
    public mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        _ = histogram.record(UInt64(Swift.max(0, nanoseconds)))
    }

    /// The value at `percentile` (0–100), or `nil` when nothing was recorded.
    public func percentile(_ percentile: Double) -> Duration? {
        guard count > 0 else { return nil }
        return .nanoseconds(Int64(histogram.valueAtPercentile(percentile)))
    }

    /// The largest recorded value.
    public var max: Duration? {
        count > 0 ? .nanoseconds(Int64(histogram.max)) : nil
    }

    /// The smallest recorded value.
    public var min: Duration? {
        count > 0 ? .nanoseconds(Int64(histogram.min)) : nil
    }

    /// The mean.
    public var mean: Duration? {
        count > 0 ? .nanoseconds(Int64(histogram.mean.rounded())) : nil
    }

    /// Adds every value of `other`.
    public mutating func add(_ other: LatencyHistogram) {
        histogram.add(other.histogram)
    }

    /// p50, p95, p99 and max, in milliseconds, for a table or report.
    public var summary: LatencySummary {
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
public struct LatencySummary: Codable, Sendable, Equatable {
    /// How many values.
    public var count: Int
    /// Median.
    public var p50: Double?
    /// 95th percentile.
    public var p95: Double?
    /// 99th percentile.
    public var p99: Double?
    /// Largest.
    public var max: Double?
    /// Mean.
    public var mean: Double?

    public init(count: Int, p50: Double?, p95: Double?, p99: Double?, max: Double?, mean: Double?) {
        self.count = count
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
        self.max = max
        self.mean = mean
    }
}
