/// The units scenario files write values in: durations (`250ms`, `5s`, `2m`, `1.5s`, `100us`) and
/// rates (`20/s`, `600/m`). Sizes are integers in MiB and need no parser.
enum Units {
    /// Why a value was refused: the code (``ScenarioError/Code/badUnit`` or ``ScenarioError/Code/invalidValue``)
    /// and a sentence.
    struct Problem: Error {
        var code: ScenarioError.Code
        var message: String
    }

    /// Duration units and their length in nanoseconds.
    static let durationUnits: [(suffix: String, nanoseconds: Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3_600e9),
    ]
    /// Rate units and their length in seconds.
    static let rateUnits: [(suffix: String, seconds: Double)] = [("s", 1), ("m", 60), ("h", 3_600)]

    /// The longest duration a scenario may name (30 days), which keeps every sum far from overflow.
    static let longestDuration: Double = 30 * 86_400e9
    /// The highest rate a scenario may name, per second.
    static let highestRate: Double = 1_000_000

    static let durationHint =
        "write a number and a unit: `250ms`, `5s`, `2m`, `1.5s`, `100us` (units: ns, us, ms, s, m, h)"
    static let rateHint = "write a number of arrivals per unit of time: `20/s`, `600/m`, `3600/h`"

    /// Parses a duration such as `250ms`; negative values are refused as invalid, not as bad units.
    static func duration(_ text: String) throws(Problem) -> Duration {
        let trimmed = text.trimmed
        let (negative, number, unit) = split(trimmed)
        guard let number, let value = Double(number) else {
            throw Problem(code: .badUnit, message: "`\(trimmed)` is not a duration; \(durationHint)")
        }
        guard !unit.isEmpty else {
            throw Problem(code: .badUnit, message: "`\(trimmed)` has no unit; \(durationHint)")
        }
        guard let scale = durationUnits.first(where: { $0.suffix == unit })?.nanoseconds else {
            throw Problem(code: .badUnit, message: "`\(unit)` is not a duration unit; \(durationHint)")
        }
        if negative { throw Problem(code: .invalidValue, message: "`\(trimmed)`: a duration cannot be negative") }
        let nanoseconds = (value * scale).rounded()
        guard nanoseconds <= longestDuration else {
            throw Problem(code: .invalidValue, message: "`\(trimmed)` is longer than the 30 days a scenario may last")
        }
        return .nanoseconds(Int64(nanoseconds))
    }

    /// Parses a rate such as `20/s` into arrivals per second; negative rates are refused as invalid.
    static func rate(_ text: String) throws(Problem) -> Double {
        let trimmed = text.trimmed
        let parts = trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw Problem(code: .badUnit, message: "`\(trimmed)` is not a rate; \(rateHint)")
        }
        let (negative, number, rest) = split(String(parts[0]).trimmed)
        guard let number, rest.isEmpty, let value = Double(number) else {
            throw Problem(code: .badUnit, message: "`\(trimmed)` is not a rate; \(rateHint)")
        }
        let unit = String(parts[1]).trimmed
        guard let seconds = rateUnits.first(where: { $0.suffix == unit })?.seconds else {
            throw Problem(code: .badUnit, message: "`/\(unit)` is not a rate unit; \(rateHint)")
        }
        if negative { throw Problem(code: .invalidValue, message: "`\(trimmed)`: a rate cannot be negative") }
        let perSecond = value / seconds
        guard perSecond <= highestRate else {
            throw Problem(code: .invalidValue, message: "`\(trimmed)` is above the highest rate, 1000000/s")
        }
        return perSecond
    }

    /// Splits `-1.5ms` into (negative, "1.5", "ms"); the number is `nil` when it is not `digits[.digits]`.
    private static func split(_ text: String) -> (negative: Bool, number: String?, unit: String) {
        var scalars = Substring(text)
        let negative = scalars.first == "-"
        if negative || scalars.first == "+" { scalars = scalars.dropFirst() }
        let number = scalars.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = String(scalars.dropFirst(number.count)).trimmed
        let pieces = number.split(separator: ".", omittingEmptySubsequences: false)
        let wellFormed =
            !number.isEmpty && pieces.count <= 2 && pieces.allSatisfy { !$0.isEmpty }
        return (negative, wellFormed ? String(number) : nil, unit)
    }

    /// A duration as a scenario file would write it: `13s`, `1.5s`, `250ms`, `100us`.
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Double(seconds) * 1e9 + Double(attoseconds / 1_000_000_000)
        for (suffix, scale) in [("s", 1e9), ("ms", 1e6), ("us", 1e3)] where nanoseconds.magnitude >= scale {
            return "\(trim(nanoseconds / scale))\(suffix)"
        }
        return "\(trim(nanoseconds))ns"
    }

    /// A rate per second as `20/s`.
    static func format(rate: Double) -> String { "\(trim(rate))/s" }

    private static func trim(_ value: Double) -> String {
        let rounded = (value * 1_000).rounded() / 1_000
        return rounded == rounded.rounded() && rounded.magnitude < 1e15 ? String(Int64(rounded)) : String(rounded)
    }
}

extension String {
    var trimmed: String {
        let scalars = unicodeScalars.drop { $0.properties.isWhitespace }
        var end = scalars.endIndex
        while end > scalars.startIndex, scalars[scalars.index(before: end)].properties.isWhitespace {
            end = scalars.index(before: end)
        }
        return String(scalars[scalars.startIndex..<end])
    }
}
