import Firecracker
import Foundation
import HostSystem
import SnapshotPool
import TestSupport
import Testing

@Suite("Audit log")
struct AuditLogTests {
    /// 2027-01-15T08:00:00.250Z: a fixed clock makes lines byte-identical from run to run.
    static let fixedTime = Date(timeIntervalSince1970: 1_800_000_000.25)

    // MARK: - Writing and verifying

    @Test("records are JSON lines with sorted keys, chained by the SHA-256 of the previous line")
    func writeAndVerify() throws {
        let directory = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(directory) }
        let path = "\(directory)/audit.jsonl"

        let log = try AuditLog(path: path, clock: { Self.fixedTime })
        log.record(.poolStart, ["pool.size": "4", "work.dir": "/tmp/pool"])
        log.record(.vmLease, ["vm.id": "vm-1"])
        log.record(.vmRelease, ["vm.id": "vm-1"])
        log.record(.poolShutdown)
        let anchor = log.lastHash
        log.close()
        #expect(log.writeFailures == 0)
        #expect(log.lastWriteError == nil)

        let lines = try Self.lines(of: path)
        #expect(lines.count == 4)
        #expect(
            lines[0]
                == #"{"event":"pool.start","fields":{"pool.size":"4","work.dir":"/tmp/pool"},"previousHash":"#
                + #""0000000000000000000000000000000000000000000000000000000000000000","sequence":0,"#
                + #""time":"2027-01-15T08:00:00.250Z"}"#
        )
        for index in 1..<lines.count {
            let record = try JSONDecoder().decode(AuditRecord.self, from: Data(lines[index].utf8))
            #expect(record.sequence == UInt64(index))
            #expect(record.previousHash == FileDigest.sha256(of: Data(lines[index - 1].utf8)))
        }
        #expect(lines[3].contains(#""fields":{}"#))

        let result = try AuditLog.verify(path: path)
        #expect(result.recordCount == 4)
        #expect(result.countsByEvent == [.poolStart: 1, .vmLease: 1, .vmRelease: 1, .poolShutdown: 1])
        #expect(result.lastHash == anchor)
        #expect(result.lastHash == FileDigest.sha256(of: Data(lines[3].utf8)))
        #expect(result.firstTime == Self.fixedTime)
    }

    @Test("an empty file verifies as zero records ending at the genesis hash")
    func emptyLog() throws {
        let directory = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(directory) }
        let path = "\(directory)/audit.jsonl"
        let log = try AuditLog(path: path)
        #expect(log.nextSequence == 0)
        #expect(log.lastHash == AuditRecord.genesisHash)
        log.close()

        let result = try AuditLog.verify(path: path)
        #expect(result.recordCount == 0)
        #expect(result.countsByEvent.isEmpty)
        #expect(result.lastHash == String(repeating: "0", count: 64))
    }

    @Test("events this build does not know still decode, verify and are counted")
    func unknownEvent() throws {
        let directory = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(directory) }
        let path = "\(directory)/audit.jsonl"
        let log = try AuditLog(path: path)
        log.record(AuditEvent(rawValue: "harness.fault"), ["reason": "injected"])
        log.record(.vmCrash, ["vm.id": "vm-9"])
        log.close()

        let result = try AuditLog.verify(path: path)
        #expect(result.countsByEvent[AuditEvent(rawValue: "harness.fault")] == 1)
        #expect(result.countsByEvent[.vmCrash] == 1)
    }

    // MARK: - Resuming

    @Test("reopening an existing log continues its sequence and chain")
    func reopenContinuesChain() throws {
        let directory = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(directory) }
        let path = "\(directory)/audit.jsonl"

        let first = try AuditLog(path: path)
        first.record(.poolStart)
        first.record(.vmRestore, ["vm.id": "vm-1"])
        first.record(.poolShutdown)
        let firstHash = first.lastHash
        first.close()

        let second = try AuditLog(path: path)
        #expect(second.nextSequence == 3)
        #expect(second.lastHash == firstHash)
        second.record(.poolStart)
        second.record(.orphanReclaimed, ["vm.id": "vm-1", "reason": "marker left by pid 4242"])
        second.close()

        let lines = try Self.lines(of: path)
        #expect(lines.count == 5)
        let fourth = try JSONDecoder().decode(AuditRecord.self, from: Data(lines[3].utf8))
        #expect(fourth.sequence == 3)
        #expect(fourth.previousHash == FileDigest.sha256(of: Data(lines[2].utf8)))

        let result = try AuditLog.verify(path: path)
        #expect(result.recordCount == 5)
        #expect(result.countsByEvent[.poolStart] == 2)
        #expect(result.countsByEvent[.orphanReclaimed] == 1)
    }

    @Test("a second writer on an open log is refused, so the chain cannot fork")
    func secondWriterRefused() throws {
        let directory = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(directory) }
        let path = "\(directory)/audit.jsonl"

        let log = try AuditLog(path: path)
        let error = try #require(throws: AuditLogError.self) { try AuditLog(path: path) }
        #expect(error.code == .locked)
        log.close()

        let again = try AuditLog(path: path)
        again.record(.poolStart)
        again.close()
        #expect(try AuditLog.verify(path: path).recordCount == 1)
    }

    @Test("a log whose last line was cut is not appended to")
    func resumeRefusesTruncatedLog() throws {
        let directory = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(directory) }
        let path = "\(directory)/audit.jsonl"
        try Self.writeSampleLog(at: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.dropLast(10).write(to: URL(fileURLWithPath: path))

        let error = try #require(throws: AuditLogError.self) { try AuditLog(path: path) }
        #expect(error.code == .truncatedLastLine)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == data.count - 10)
    }

    @Test("opening a log in a missing directory throws an I/O error")
    func missingDirectory() throws {
        let directory = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(directory) }
        let error = try #require(throws: AuditLogError.self) {
            try AuditLog(path: "\(directory)/absent/audit.jsonl")
        }
        #expect(error.code == .io)
    }

    // MARK: - Tampering

    @Test("editing a field in a middle line breaks the chain at the next line")
    func editedMiddleLine() throws {
        let error = try Self.tamper { lines in
            #expect(lines[2].contains(#""vm.id":"vm-2""#))
            lines[2] = lines[2].replacingOccurrences(of: #""vm.id":"vm-2""#, with: #""vm.id":"vm-9""#)
        }
        #expect(error.code == .brokenChain)
        #expect(error.line == 4)
        #expect(error.message.contains("line 3"))
    }

    @Test("deleting a line shows as a sequence gap at the line that follows it")
    func deletedLine() throws {
        let error = try Self.tamper { lines in lines.remove(at: 2) }
        #expect(error.code == .sequenceGap)
        #expect(error.line == 3)
        #expect(error.message.contains("sequence 3 follows 1"))
    }

    @Test("deleting a line and renumbering the rest still breaks the chain")
    func deletedAndRenumbered() throws {
        let error = try Self.tamper { lines in
            lines.remove(at: 2)
            for index in 2..<lines.count {
                lines[index] = lines[index].replacingOccurrences(
                    of: #""sequence":\#(index + 1)"#,
                    with: #""sequence":\#(index)"#
                )
            }
        }
        #expect(error.code == .brokenChain)
        #expect(error.line == 3)
    }

    @Test("a log cut at its end verifies on its own but not against its end; and says it lost its shutdown record")
    func truncatedEnd() throws {
        let directory = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(directory) }
        let path = "\(directory)/audit.jsonl"
        try Self.writeSampleLog(at: path)
        let whole = try AuditLog.verify(path: path)
        #expect(whole.endsWithShutdown && whole.lastEvent == .poolShutdown)
        let end = AuditLogEnd(records: whole.recordCount, lastHash: whole.lastHash)
        #expect(try AuditLog.verify(path: path, end: end).recordCount == 5)
        // Cut the last three records: the chain of what is left is intact.
        let lines = try Self.lines(of: path)
        try (lines.prefix(2).joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        let cut = try AuditLog.verify(path: path)
        #expect(cut.recordCount == 2 && !cut.endsWithShutdown)
        let error = try #require(throws: AuditLogError.self) { try AuditLog.verify(path: path, end: end) }
        #expect(error.code == .endMismatch)
        #expect(error.message.contains("3 records were cut from its end"))
        // Records appended after the recorded end are caught too.
        try FileManager.default.removeItem(atPath: path)
        try Self.writeSampleLog(at: path)
        let log = try AuditLog(path: path)
        log.record(.vmLease, ["vm.id": "vm-4"])
        log.close()
        let added = try #require(throws: AuditLogError.self) {
            try AuditLog.verify(path: path, end: AuditLogEnd(records: 5, lastHash: whole.lastHash))
        }
        #expect(added.code == .endMismatch && added.message.contains("1 records were added after its end"))
    }

    @Test("swapping two lines shows as a sequence gap at the first of them")
    func reorderedLines() throws {
        let error = try Self.tamper { lines in lines.swapAt(1, 2) }
        #expect(error.code == .sequenceGap)
        #expect(error.line == 2)
    }

    @Test("cutting the last line short is reported as a truncated last line")
    func truncatedLastLine() throws {
        let error = try Self.tamper(keepFinalNewline: false) { lines in
            lines[4] = String(lines[4].prefix(lines[4].count / 2))
        }
        #expect(error.code == .truncatedLastLine)
        #expect(error.line == 5)
    }

    @Test("a line that is not JSON is reported with its number")
    func badJSON() throws {
        let error = try Self.tamper { lines in lines[1] = "{not json" }
        #expect(error.code == .badJSON)
        #expect(error.line == 2)
    }

    @Test("a log that does not start at sequence 0 with the genesis hash is rejected at line 1")
    func missingBeginning() throws {
        let error = try Self.tamper { lines in lines.removeFirst() }
        #expect(error.code == .sequenceGap)
        #expect(error.line == 1)
    }

    // MARK: - Concurrency

    @Test("records from many concurrent tasks form one unbroken chain with none lost")
    func concurrentWriters() async throws {
        let directory = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(directory) }
        let path = "\(directory)/audit.jsonl"
        let log = try AuditLog(path: path)
        let tasks = 16
        let perTask = 100

        await withTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for index in 0..<perTask {
                        log.record(.vmLease, ["task": String(task), "index": String(index)])
                    }
                }
            }
        }
        log.close()

        #expect(log.writeFailures == 0)
        let result = try AuditLog.verify(path: path)
        #expect(result.recordCount == tasks * perTask)
        #expect(result.countsByEvent == [.vmLease: tasks * perTask])

        var seen = Set<String>()
        for line in try Self.lines(of: path) {
            let record = try JSONDecoder().decode(AuditRecord.self, from: Data(line.utf8))
            seen.insert("\(record.fields["task"] ?? "?")/\(record.fields["index"] ?? "?")")
        }
        #expect(seen.count == tasks * perTask)
    }

    // MARK: - Failures

    @Test(
        "a failed write is counted, not thrown, and does not advance the chain",
        .enabled(if: FileManager.default.fileExists(atPath: "/dev/full"))
    )
    func writeFailureIsCounted() throws {
        // /dev/full accepts the open and fails every write with ENOSPC: a full disk on demand.
        let log = try AuditLog(path: "/dev/full")
        log.record(.vmLease, ["vm.id": "vm-1"])
        log.record(.vmRelease, ["vm.id": "vm-1"])
        #expect(log.writeFailures == 2)
        let error = try #require(log.lastWriteError)
        #expect(error.code == .io)
        #expect("\(error)".contains("No space left on device"))
        #expect(log.nextSequence == 0)
        #expect(log.lastHash == AuditRecord.genesisHash)
        log.close()
    }

    @Test("records after close are counted as failures and leave the file as it was")
    func recordAfterClose() throws {
        let directory = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(directory) }
        let path = "\(directory)/audit.jsonl"
        let log = try AuditLog(path: path)
        log.record(.poolStart)
        log.close()
        log.close()
        log.record(.vmLease)

        #expect(log.writeFailures == 1)
        #expect(log.lastWriteError?.code == .closed)
        #expect(try AuditLog.verify(path: path).recordCount == 1)
    }

    // MARK: - Helpers

    /// The file's lines, without the newline that ends each; fails if the file does not end with one.
    static func lines(of path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        try #require(lines.last == "")
        lines.removeLast()
        return lines
    }

    /// Five records: pool.start, then vm.lease for vm-1 … vm-3 (lines 2–4), then pool.shutdown.
    static func writeSampleLog(at path: String) throws {
        let log = try AuditLog(path: path)
        log.record(.poolStart)
        for vm in 1...3 {
            log.record(.vmLease, ["vm.id": "vm-\(vm)"])
        }
        log.record(.poolShutdown)
        log.close()
        try #require(try AuditLog.verify(path: path).recordCount == 5)
    }

    /// Writes the sample log, changes its lines, and returns the error verification then throws.
    static func tamper(
        keepFinalNewline: Bool = true,
        _ change: (inout [String]) -> Void
    ) throws -> AuditLogError {
        let directory = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(directory) }
        let path = "\(directory)/audit.jsonl"
        try writeSampleLog(at: path)
        var lines = try lines(of: path)
        change(&lines)
        let text = lines.joined(separator: "\n") + (keepFinalNewline ? "\n" : "")
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return try #require(throws: AuditLogError.self) { try AuditLog.verify(path: path) }
    }
}
