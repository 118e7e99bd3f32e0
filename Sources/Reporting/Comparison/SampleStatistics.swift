/// The plain statistics a comparison needs, on samples in milliseconds.
///
/// ```swift
/// SampleStatistics.mean([1, 2, 3])                           // 2
/// SampleStatistics.percentile(95, ofSorted: [1, 2, 3, 4])     // 4
/// ```
package enum SampleStatistics {
    /// The arithmetic mean; 0 for no samples.
    package static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// The nearest-rank percentile of ascending `sorted` values: the smallest value with at least
    /// `percentile` % of the values at or below it, as HdrHistogram reports it; 0 for no samples.
    package static func percentile(_ percentile: Double, ofSorted sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[rankIndex(percentile, count: sorted.count)]
    }

    /// The 0-based index of the nearest-rank `percentile` among `count` ascending values.
    static func rankIndex(_ percentile: Double, count: Int) -> Int {
        let rank = Int((percentile / 100 * Double(count)).rounded(.up))
        return Swift.min(Swift.max(rank, 1), count) - 1
    }
}
