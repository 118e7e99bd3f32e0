import Firecracker
package import Foundation
import Glibc
import HostSystem

/// What ``AuditLog/verify(path:)`` found in an intact log.
///
/// ```swift
/// let result = try AuditLog.verify(path: path)
/// for (event, count) in result.countsByEvent.sorted(by: { $0.key < $1.key }) {
///     print(event, count)
/// }
/// ```
package struct AuditVerification: Sendable, Equatable {
    /// How many records the log holds.
    package var recordCount: Int
    /// How many records of each event.
    package var countsByEvent: [AuditEvent: Int]
    /// Lowercase hex SHA-256 of the last line (64 zeros for an empty log). Compare it with a copy kept
    /// elsewhere to detect lines cut from the end, which the chain alone cannot show.
    package var lastHash: String
    /// The first record's time, if any.
    package var firstTime: Date?
    /// The last record's time, if any.
    package var lastTime: Date?
    /// The last record's event, if any.
    package var lastEvent: AuditEvent?

    /// Whether the log ends with the pool's shutdown record, as a pool's log does once it has drained; one
    /// that does not was cut short (or its pool was killed).
    package var endsWithShutdown: Bool { lastEvent == .poolShutdown }

    /// A summary; ``AuditLog/verify(path:)`` makes these.
    package init(
        recordCount: Int = 0,
        countsByEvent: [AuditEvent: Int] = [:],
        lastHash: String = AuditRecord.genesisHash,
        firstTime: Date? = nil,
        lastTime: Date? = nil
    ) {
        self.recordCount = recordCount
        self.countsByEvent = countsByEvent
        self.lastHash = lastHash
        self.firstTime = firstTime
        self.lastTime = lastTime
    }
}

/// Where a log ended, as kept outside it (a run's report carries it): the chain proves every line up to the
/// last one, and only this proves the last one is the end.
package struct AuditLogEnd: Sendable, Equatable {
    /// Records in the log.
    package var records: Int
    /// The SHA-256 of its last line.
    package var lastHash: String

    package init(records: Int, lastHash: String) {
        self.records = records
        self.lastHash = lastHash
    }
}

extension AuditLog {
    /// Verifies the log (``verify(path:)``) and that it ends where `end` says: the same record count and last
    /// hash. A log with records cut from its end verifies on its own; against its end it does not.
    ///
    /// ```swift
    /// try AuditLog.verify(path: "Reports/smoke.audit.jsonl", end: AuditLogEnd(records: 348, lastHash: hash))
    /// ```
    /// - Throws: ``AuditLogError`` as ``verify(path:)`` does, and `.endMismatch` when the log ends elsewhere.
    package static func verify(path: String, end: AuditLogEnd) throws -> AuditVerification {
        let result = try verify(path: path)
        guard result.recordCount == end.records, result.lastHash == end.lastHash else {
            let how =
                result.recordCount < end.records
                ? "\(end.records - result.recordCount) records were cut from its end"
                : result.recordCount > end.records
                    ? "\(result.recordCount - end.records) records were added after its end"
                    : "its last record is not the one recorded"
            throw AuditLogError(
                .endMismatch,
                "the log holds \(result.recordCount) records ending in \(result.lastHash.prefix(16))…, but it ended with "
                    + "\(end.records) records ending in \(end.lastHash.prefix(16))…: \(how)",
                line: result.recordCount,
                path: path
            )
        }
        return result
    }

    /// Reads a whole audit log and checks every line: valid JSON, sequence 0, 1, 2… and the hash chain.
    ///
    /// The file is streamed in 1 MiB chunks, so a long log is never held in memory whole. It may be verified
    /// while a writer is appending; records written after the read reaches the end are not included.
    ///
    /// ```swift
    /// do {
    ///     let result = try AuditLog.verify(path: "audit.jsonl")
    ///     print("ok: \(result.recordCount) records, last hash \(result.lastHash)")
    /// } catch let error as AuditLogError {
    ///     print(error)  // e.g. "brokenChain in audit.jsonl at line 4: previousHash does not match …"
    /// }
    /// ```
    /// - Parameter path: the JSON Lines file.
    /// - Returns: the number of records, the count per event and the last line's hash.
    /// - Throws: ``AuditLogError`` at the first problem, naming its 1-based line: `.badJSON`, `.sequenceGap`
    ///   (lines missing, repeated or reordered), `.brokenChain` (a line edited, inserted or removed: the
    ///   reported line is the one *after* the change, since it is that line's `previousHash` that no longer
    ///   matches), `.truncatedLastLine`; or `.io` when the file cannot be read.
    package static func verify(path: String) throws -> AuditVerification {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw AuditLogError(
                .io,
                "cannot open the audit log",
                path: path,
                underlying: SystemError.last("audit log I/O")
            )
        }
        defer { Glibc.close(fd) }

        var verifier = ChainVerifier(path: path)
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw AuditLogError(
                    .io,
                    "cannot read the audit log after line \(verifier.lineNumber)",
                    path: path,
                    underlying: SystemError.last("audit log I/O")
                )
            }
            if count == 0 { break }
            var start = 0
            while let newline = chunk[start..<count].firstIndex(of: 0x0A) {
                if pending.isEmpty {
                    try verifier.check(chunk[start..<newline])
                } else {
                    pending.append(contentsOf: chunk[start..<newline])
                    try verifier.check(pending[...])
                    pending.removeAll(keepingCapacity: true)
                }
                start = newline + 1
            }
            pending.append(contentsOf: chunk[start..<count])
        }
        guard pending.isEmpty else {
            throw AuditLogError(
                .truncatedLastLine,
                "the last line has no newline (\(pending.count) bytes): a write was cut short or the file was cut",
                line: verifier.lineNumber + 1,
                path: path
            )
        }
        return verifier.result
    }
}

/// Checks lines one at a time, carrying the expected sequence and hash from each line to the next.
private struct ChainVerifier {
    let path: String
    let decoder = JSONDecoder()
    /// The 1-based number of the last line checked.
    var lineNumber = 0
    var result = AuditVerification()
    var previousSequence: UInt64?

    init(path: String) {
        self.path = path
    }

    mutating func check(_ line: ArraySlice<UInt8>) throws {
        lineNumber += 1
        guard !line.isEmpty else {
            throw AuditLogError(.badJSON, "empty line", line: lineNumber, path: path)
        }
        let record: AuditRecord
        do {
            record = try decoder.decode(AuditRecord.self, from: Data(line))
        } catch {
            throw AuditLogError(
                .badJSON,
                "not a JSON audit record",
                line: lineNumber,
                path: path,
                underlying: error
            )
        }
        // Sequence before chain: a removed or swapped line breaks both, and "sequence 3 follows 1" says more
        // about what happened than a hash mismatch does.
        let expected = previousSequence.map { $0 + 1 } ?? 0
        guard record.sequence == expected else {
            let message =
                if let previousSequence {
                    "sequence \(record.sequence) follows \(previousSequence) (expected \(expected)): records are "
                        + "missing, repeated or out of order"
                } else {
                    "the first record has sequence \(record.sequence), expected 0: the log does not start at its "
                        + "beginning"
                }
            throw AuditLogError(.sequenceGap, message, line: lineNumber, path: path)
        }
        guard record.previousHash == result.lastHash else {
            let message =
                lineNumber == 1
                ? "the first record's previousHash is not 64 zeros"
                : "previousHash does not match the SHA-256 of line \(lineNumber - 1): line \(lineNumber - 1) was "
                    + "edited, or a line was inserted or removed before this one"
            throw AuditLogError(.brokenChain, message, line: lineNumber, path: path)
        }
        previousSequence = record.sequence
        result.recordCount += 1
        result.countsByEvent[record.event, default: 0] += 1
        result.lastHash = FileDigest.sha256(of: line)
        if result.firstTime == nil { result.firstTime = record.time }
        result.lastTime = record.time
        result.lastEvent = record.event
    }
}
