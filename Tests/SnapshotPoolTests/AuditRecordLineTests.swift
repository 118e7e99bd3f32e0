import Foundation
import Randomness
import SnapshotPool
import Testing

@Suite("Audit record lines")
struct AuditRecordLineTests {
    /// The encoder the log used before it wrote its lines itself: the reference for their bytes.
    static func reference(_ record: AuditRecord) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(record))
    }

    static let awkward = [
        "", "plain", "with \"quotes\" and \\ backslashes", "path/with/slashes", "line\nbreak\r\ttab",
        "bell\u{07} back\u{08} feed\u{0C} unit\u{1F} del\u{7F}", "ünïcödé ✓ 🚀", "{\"json\":[1,2]}",
        "nul\u{0} vt\u{0B}", "separators \u{2028} \u{2029}",
    ]

    @Test("each line is the bytes JSONEncoder gives with sorted keys and unescaped slashes, and decodes back")
    func sameBytesAsJSONEncoder() throws {
        var generator = SplitMix64(seed: 2028)
        let keys = [
            "vm.id", "vm.10", "vm.9", "Reason", "reason", "a", "a.b", "z_last", "lease.id", "snapshot.digest", "é", "Z",
            "\u{212B}", "Å",
        ]
        for round in 0..<200 {
            var fields: [String: String] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &generator) {
                let key = keys.randomElement(using: &generator) ?? "k"
                fields[key] = Self.awkward.randomElement(using: &generator) ?? ""
            }
            let record = AuditRecord(
                sequence: UInt64(round) * 1_000_003,
                time: Date(timeIntervalSince1970: 1_800_000_000 + Double(round) * 0.25),
                event: AuditEvent(rawValue: Self.awkward[round % Self.awkward.count] + ".event"),
                fields: fields,
                previousHash: String(repeating: "ab", count: 32)
            )
            let line = record.jsonLine()
            #expect(line == (try Self.reference(record)), "\(String(decoding: line, as: UTF8.self))")
            // Decoded (the time to its milliseconds, as stored), it gives the same line again.
            let decoded = try JSONDecoder().decode(AuditRecord.self, from: Data(line))
            #expect(decoded.fields == record.fields && decoded.event == record.event && decoded.jsonLine() == line)
        }
    }
}
