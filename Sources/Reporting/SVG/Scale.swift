import Foundation

/// A labelled position on an axis, in data units.
struct Tick: Sendable, Equatable {
    var value: Double
    var label: String
}

/// Maps data values onto an axis (0 at the start, 1 at the end) and says where the ticks go.
///
/// One type serves every chart: linear for time and counts, logarithmic for latencies that span decades,
/// percentile for spectra (spaced by 1/(1−p) so each added nine gets the same room), categories for bars.
struct Scale: Sendable {
    enum Kind: Sendable {
        case linear
        case log
        /// Data are percentiles in 0..<100, placed at log10(1/(1−p)).
        case percentile
    }

    var kind: Kind
    /// The visible range, in data units.
    var lower: Double
    var upper: Double
    var ticks: [Tick]

    /// Where `value` falls: 0 at `lower`, 1 at `upper`, clamped so marks never leave the plot.
    func fraction(_ value: Double) -> Double {
        let low = transform(lower)
        let span = transform(upper) - low
        guard span != 0, value.isFinite else { return 0 }
        return Swift.min(1, Swift.max(0, (transform(value) - low) / span))
    }

    private func transform(_ value: Double) -> Double {
        switch kind {
        case .linear: value
        case .log: log10(Swift.max(value, 1e-9))
        case .percentile: -log10(Swift.max(1e-9, 1 - Swift.min(value, 99.999_999_9) / 100))
        }
    }

    // MARK: - Factories

    /// A linear scale over `lower...upper`, widened to round tick steps (1, 2 or 5 × 10ⁿ); `integer`
    /// keeps steps whole for counts.
    static func linear(_ lower: Double, _ upper: Double, tickCount: Int = 5, integer: Bool = false) -> Scale {
        var low = lower
        var high = upper
        if !(high > low) { high = low + 1 }
        let raw = niceStep((high - low) / Double(Swift.max(1, tickCount)))
        let step = integer ? Swift.max(1, raw) : raw
        low = (low / step).rounded(.down) * step
        high = (high / step).rounded(.up) * step
        let count = Int(((high - low) / step).rounded())
        let ticks = (0...count).map { index -> Tick in
            let value = low + Double(index) * step
            return Tick(value: value, label: formatTick(value, step: step))
        }
        return Scale(kind: .linear, lower: low, upper: high, ticks: ticks)
    }

    /// A logarithmic scale from the 1-2-5 step at or below `lower` to the one at or above `upper`.
    static func log(_ lower: Double, _ upper: Double) -> Scale {
        let low = Swift.max(lower, 1e-6)
        let high = Swift.max(upper, low * 1.01)
        let candidates = stride(from: floor(log10(low)) - 1, through: ceil(log10(high)) + 1, by: 1).flatMap {
            decade in [1.0, 2.0, 5.0].map { $0 * pow(10, decade) }
        }
        let start = candidates.last { $0 <= low * 1.000_001 } ?? low
        let end = candidates.first { $0 >= high / 1.000_001 } ?? high
        let inside = candidates.filter { $0 >= start / 1.000_001 && $0 <= end * 1.000_001 }
        // Many decades: label only the powers of ten so the labels do not run into each other.
        let decades = log10(end / start)
        let shown = decades > 3 ? inside.filter { abs(log10($0).rounded() - log10($0)) < 1e-9 } : inside
        let ticks = shown.map { Tick(value: $0, label: formatTick($0, step: $0)) }
        return Scale(kind: .log, lower: start, upper: end, ticks: ticks)
    }

    /// A percentile scale from 0 % to `nines` nines (2 → 99 %, 3 → 99.9 %), ticked at 50 % and each nine.
    static func percentile(nines: Int) -> Scale {
        let count = Swift.max(1, nines)
        var ticks = [Tick(value: 0, label: "0%"), Tick(value: 50, label: "50%")]
        for nine in 1...count {
            let value = 100 - 100 / pow(10, Double(nine))
            ticks.append(Tick(value: value, label: formatPercent(value)))
        }
        return Scale(kind: .percentile, lower: 0, upper: ticks[ticks.count - 1].value, ticks: ticks)
    }

    /// One slot per category, the first at the top (or the start); slot `i` is centred on `i`.
    static func categories(_ names: [String]) -> Scale {
        Scale(
            kind: .linear,
            lower: Double(Swift.max(1, names.count)) - 0.5,
            upper: -0.5,
            ticks: names.enumerated().map { Tick(value: Double($0.offset), label: $0.element) }
        )
    }

    private static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(raw)))
        let residual = raw / magnitude
        // The nearest round factor (in ratio), so a 0–66 s run gets steps of 10 s rather than an axis to 80 s.
        let factor = [1.0, 2, 5, 10].min { abs(log10($0 / residual)) < abs(log10($1 / residual)) } ?? 1
        return factor * magnitude
    }
}

/// A tick label with as many decimals as the step needs and no more.
func formatTick(_ value: Double, step: Double) -> String {
    let decimals = step >= 1 ? 0 : Int(ceil(-log10(step) - 1e-9))
    if abs(value) >= 10_000 && decimals == 0 { return String(format: "%.0fk", value / 1000) }
    return String(format: "%.\(decimals)f", value)
}

/// "99.9%", "50%": a percentile without trailing zeros.
func formatPercent(_ value: Double) -> String {
    var text = String(format: "%.6f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text + "%"
}
