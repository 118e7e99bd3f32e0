package import Foundation

/// One line of an audit log: what happened, when, to what, and the hash that ties it to the line before.
///
/// A log is a hash chain: each record carries the SHA-256 of the previous record's exact line, so editing,
/// removing, inserting or reordering a line breaks the chain at the next line. The record's own hash is not
/// stored in it (a line cannot contain the hash of itself); it is the `previousHash` of the next line, and
/// ``AuditVerification/lastHash`` for the last one.
///
/// One record is one JSON object on one line, keys sorted, for example:
///
/// ```json
/// {"event":"vm.lease","fields":{"lease.id":"42","vm.id":"vm-7"},"previousHash":"9f86…","sequence":12,"time":"2026-11-03T10:15:30.123Z"}
/// ```
///
/// ```swift
/// let record = try JSONDecoder().decode(AuditRecord.self, from: Data(line.utf8))
/// if record.event == .vmCrash { print(record.fields["vm.id"] ?? "?") }
/// ```
package struct AuditRecord: Codable, Sendable, Equatable {
    /// The `previousHash` of the first record of a log: 64 zeros.
    package static let genesisHash = String(repeating: "0", count: 64)

    /// Position in the log: 0 for the first record, then one more per record, with no gaps.
    package var sequence: UInt64
    /// When the record was written, stored as ISO 8601 UTC with milliseconds.
    package var time: Date
    /// What happened.
    package var event: AuditEvent
    /// Details, under dotted keys such as `"vm.id"`, `"snapshot.digest"` or `"reason"`.
    package var fields: [String: String]
    /// Lowercase hex SHA-256 of the previous record's line (without its newline); ``genesisHash`` for the first.
    package var previousHash: String

    /// A record; ``AuditLog`` makes these, so callers only need this to build fixtures.
    package init(
        sequence: UInt64,
        time: Date,
        event: AuditEvent,
        fields: [String: String] = [:],
        previousHash: String
    ) {
        self.sequence = sequence
        self.time = time
        self.event = event
        self.fields = fields
        self.previousHash = previousHash
    }

    private enum CodingKeys: String, CodingKey {
        case sequence, time, event, fields, previousHash
    }

    /// The time is coded here as a string, not through the coder's date strategy, so the line format does not
    /// depend on how a caller configured its `JSONEncoder` or `JSONDecoder`.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sequence = try container.decode(UInt64.self, forKey: .sequence)
        let text = try container.decode(String.self, forKey: .time)
        guard let time = try? Self.timeStyle.parse(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .time,
                in: container,
                debugDescription: "time \"\(text)\" is not ISO 8601 with fractional seconds"
            )
        }
        self.time = time
        event = try container.decode(AuditEvent.self, forKey: .event)
        fields = try container.decode([String: String].self, forKey: .fields)
        previousHash = try container.decode(String.self, forKey: .previousHash)
    }

    /// Writes the five keys, the time as an ISO 8601 string with milliseconds.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sequence, forKey: .sequence)
        try container.encode(Self.timeStyle.format(time), forKey: .time)
        try container.encode(event, forKey: .event)
        try container.encode(fields, forKey: .fields)
        try container.encode(previousHash, forKey: .previousHash)
    }

    /// UTC with milliseconds: enough to order events by eye; the sequence number orders them exactly.
    static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
