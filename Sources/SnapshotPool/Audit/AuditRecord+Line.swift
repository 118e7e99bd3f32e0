import Foundation

extension AuditRecord {
    /// The record's line (without its newline), written directly: the bytes `JSONEncoder` gives with
    /// `[.sortedKeys, .withoutEscapingSlashes]`, for a fraction of its CPU.
    ///
    /// The pool writes a record for every lease, release and restore, from inside its actor: on the path of a
    /// burst. Encoding each through `JSONEncoder` was the largest single item of the pool's own CPU after the
    /// timeline sampler (`perf` of a vsock burst run, 2026-12-07); a test holds the two to the same bytes.
    ///
    /// ```swift
    /// let line = record.jsonLine()  // {"event":"vm.lease","fields":{"vm.id":"vm-1"},"previousHash":"00…","sequence":0,"time":"…"}
    /// ```
    package func jsonLine() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + fields.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 })
        out.append(contentsOf: #"{"event":"#.utf8)
        Self.appendString(event.rawValue, to: &out)
        out.append(contentsOf: #","fields":{"#.utf8)
        for (index, field) in fields.sorted(by: { Self.keyOrder($0.key, $1.key) }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            Self.appendString(field.key, to: &out)
            out.append(UInt8(ascii: ":"))
            Self.appendString(field.value, to: &out)
        }
        out.append(contentsOf: #"},"previousHash":"#.utf8)
        Self.appendString(previousHash, to: &out)
        out.append(contentsOf: #","sequence":"#.utf8)
        out.append(contentsOf: String(sequence).utf8)
        out.append(contentsOf: #","time":"#.utf8)
        Self.appendString(Self.timeStyle.format(time), to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The order `JSONEncoder`'s `.sortedKeys` gives dictionary keys (on Linux: their UTF-8 bytes).
    static func keyOrder(_ left: String, _ right: String) -> Bool {
        left.utf8.lexicographicallyPrecedes(right.utf8)
    }

    /// A JSON string as `JSONEncoder` writes it: `"` and `\` escaped, control characters as their short
    /// escape or `\u00xx`, everything else (slashes, non-ASCII) as it is.
    static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            case 0..<0x20:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
