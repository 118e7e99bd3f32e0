/// A VM generation id (VMGenID) as the guest prints it: 16 bytes, 32 lowercase hex digits. Firecracker writes
/// a new random one into the guest on every restore, so no two clones, and no clone and its golden VM, share
/// one.
///
/// ```swift
/// GenerationID(line: "SNAPBENCH-RESUMED gen=00112233445566778899aabbccddeeff n=1")?.description
/// // "00112233445566778899aabbccddeeff"
/// ```
public struct GenerationID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The first and last 8 bytes, as the hex digits read.
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The id after `gen=` in a guest's line; `nil` when there is none or it is not 32 hex digits.
    public init?(line: String) {
        let marker = Array("gen=".utf8)
        let bytes = Array(line.utf8)
        guard let start = bytes.indices.first(where: { bytes[$0...].starts(with: marker) }) else { return nil }
        let digits = String(decoding: bytes[(start + marker.count)...].prefix { $0 < 0x80 }, as: UTF8.self)
            .prefix { $0.isHexDigit }
        guard digits.count == 32, let high = UInt64(digits.prefix(16), radix: 16),
            let low = UInt64(digits.suffix(16), radix: 16)
        else { return nil }
        self.init(high: high, low: low)
    }

    public var description: String {
        func hex(_ value: UInt64) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }
        return hex(high) + hex(low)
    }
}
