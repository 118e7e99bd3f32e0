/// A VM generation id (VMGenID) as the guest prints it: 16 bytes, 32 lowercase hex digits. Firecracker writes
/// a new random one into the guest on every restore, so no two clones, and no clone and its golden VM, share
/// one.
///
/// ```swift
/// GenerationID(line: "R00112233445566778899aabbccddeeff/1")?.description       // a clone's proof
/// // "00112233445566778899aabbccddeeff"
/// GenerationID(line: "SNAPBENCH-READY ws=16 gen=00112233445566778899aabbccddeeff")  // the golden VM's
/// ```
package struct GenerationID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The first and last 8 bytes, as the hex digits read.
    package var high: UInt64
    package var low: UInt64

    package init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The id in a guest's line: the 32 hex digits after `gen=` (the boot line), or right after the `R` that
    /// starts a clone's proof (`R<32 hex>/<n>`); `nil` when there is none or it is not 32 hex digits.
    package init?(line: String) {
        let bytes = Array(line.utf8)
        let marker = Array("gen=".utf8)
        let start: Int
        if let found = bytes.indices.first(where: { bytes[$0...].starts(with: marker) }) {
            start = found + marker.count
        } else if bytes.first == UInt8(ascii: "R") {
            start = 1
        } else {
            return nil
        }
        let digits = bytes[start...].prefix { Self.isLowercaseHex($0) }
        guard digits.count == 32,
            let high = UInt64(String(decoding: digits.prefix(16), as: UTF8.self), radix: 16),
            let low = UInt64(String(decoding: digits.suffix(16), as: UTF8.self), radix: 16)
        else { return nil }
        self.init(high: high, low: low)
    }

    private static func isLowercaseHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    package var description: String {
        func hex(_ value: UInt64) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }
        return hex(high) + hex(low)
    }
}
