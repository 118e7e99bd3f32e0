import Firecracker
package import Foundation
import Glibc
import HostSystem
import Synchronization
import SystemPackage

/// An append-only, hash-chained record of what the snapshot pool did, one JSON line per event.
///
/// Each record carries the SHA-256 of the line before it, so ``verify(path:)`` can tell afterwards whether
/// any line was edited, removed, reordered or cut (see ``AuditRecord`` for the line format). The chain shows
/// tampering inside the file; to catch a cut at the end too, keep ``lastHash`` (or
/// ``AuditVerification/lastHash``) somewhere else, such as a run report.
///
/// ``record(_:_:)`` is synchronous and never throws, because it sits on the pool's hot path (every lease and
/// release): a failed write is counted in ``writeFailures`` and kept in ``lastWriteError`` instead, and the
/// chain then continues from the last record that did reach the file, so the log stays verifiable.
///
/// ```swift
/// let log = try AuditLog(path: "\(workDirectory)/audit.jsonl")
/// log.record(.poolStart, ["pool.size": "8"])
/// log.record(.vmLease, ["vm.id": "vm-3", "snapshot.digest": manifest.stateSHA256])
/// // …
/// log.record(.poolShutdown)
/// log.close()
/// if log.writeFailures > 0 { logger.warning("audit log incomplete: \(log.lastWriteError!)") }
/// ```
///
/// The file is opened with `O_APPEND`, and each record is written by one `write(2)` of the whole line, so a
/// reader never sees half of a record except after a crash or a full disk. An existing file is continued:
/// the chain resumes from its last line. While a log is open it holds an exclusive `flock(2)` on the file,
/// so a second writer (another pool, another process) fails at once instead of forking the chain.
package final class AuditLog: Sendable {
    /// The file this log appends to.
    package let path: String

    private let clock: @Sendable () -> Date
    private let state: Mutex<State>

    private struct State {
        /// -1 once closed.
        var fd: Int32
        /// Only regular files are locked, resumed and repaired; a device such as `/dev/null` is just written.
        var regularFile: Bool
        var nextSequence: UInt64
        var lastHash: String
        var writeFailures = 0
        var lastWriteError: AuditLogError?
        /// Set when a partial line could not be removed: the next record starts on a fresh line so that only
        /// the damaged line is lost, not the record after it too.
        var needsNewline = false
    }

    /// Opens (or creates) the log at `path`, continuing its chain if it already has records.
    ///
    /// ```swift
    /// let log = try AuditLog(path: "/var/lib/snapbench/audit.jsonl")
    /// print("next record is number \(log.nextSequence)")
    /// ```
    /// - Parameters:
    ///   - path: the JSON Lines file; created with mode 0640 if missing. Its directory must exist.
    ///   - clock: where record times come from; tests pass a fixed clock to get byte-identical lines.
    /// - Throws: ``AuditLogError`` with code `.io` when the file cannot be opened or read, `.locked` when
    ///   another log has it open, and `.truncatedLastLine` or `.badJSON` when its last line is damaged
    ///   (appending after a damaged line would bury the damage; run `snapbench audit verify` on it).
    package init(path: String, clock: @escaping @Sendable () -> Date = { Date() }) throws {
        self.path = path
        self.clock = clock
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            throw AuditLogError(
                .io,
                "cannot open the audit log",
                path: path,
                underlying: SystemError.last("audit log I/O")
            )
        }
        do {
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                throw AuditLogError(
                    .io,
                    "cannot stat the audit log",
                    path: path,
                    underlying: SystemError.last("audit log I/O")
                )
            }
            let regularFile = (info.st_mode & S_IFMT) == S_IFREG
            var tail = (nextSequence: UInt64(0), lastHash: AuditRecord.genesisHash)
            if regularFile {
                guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                    let cause = SystemError.last("audit log I/O")
                    throw AuditLogError(
                        cause.errno?.rawValue == EWOULDBLOCK ? .locked : .io,
                        cause.errno?.rawValue == EWOULDBLOCK
                            ? "another audit log has this file open; two writers would fork the chain"
                            : "cannot lock the audit log",
                        path: path,
                        underlying: cause
                    )
                }
                tail = try Self.readTail(fd: fd, size: info.st_size, path: path)
            }
            // Each line is `AuditRecord.jsonLine()`: keys sorted, so a record's bytes are a function of its
            // content alone and a line can be rebuilt and compared; slashes unescaped, so paths stay readable.
            state = Mutex(
                State(
                    fd: fd,
                    regularFile: regularFile,
                    nextSequence: tail.nextSequence,
                    lastHash: tail.lastHash
                )
            )
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit {
        close()
    }

    // MARK: - Writing

    /// Appends one record; never throws and never blocks on anything but the file write.
    ///
    /// Records from concurrent callers are serialized: each gets the next sequence number and chains to the
    /// record written just before it.
    ///
    /// ```swift
    /// log.record(.vmCrash, ["vm.id": vm.id, "reason": "exit status 1"])
    /// ```
    /// - Parameters:
    ///   - event: what happened.
    ///   - fields: details under dotted keys (`"vm.id"`, `"snapshot.digest"`, `"reason"`).
    package func record(_ event: AuditEvent, _ fields: [String: String] = [:]) {
        state.withLock { state in
            guard state.fd >= 0 else {
                Self.fail(&state, AuditLogError(.closed, "a \(event) record arrived after close()", path: path))
                return
            }
            let record = AuditRecord(
                sequence: state.nextSequence,
                time: clock(),
                event: event,
                fields: fields,
                previousHash: state.lastHash
            )
            let line = Data(record.jsonLine())
            var bytes = Data(capacity: line.count + 2)
            if state.needsNewline { bytes.append(0x0A) }
            bytes.append(line)
            bytes.append(0x0A)
            let result = Self.writeAll(bytes, to: state.fd)
            guard let failure = result.error else {
                state.needsNewline = false
                state.nextSequence += 1
                state.lastHash = FileDigest.sha256(of: line)
                return
            }
            var message = "cannot write a \(event) record; the chain continues from the record before it"
            if result.written > 0 && !Self.removePartial(result.written, fd: state.fd, regular: state.regularFile) {
                state.needsNewline = true
                message += "; a partial line is left in the file and verification will stop there"
            }
            Self.fail(&state, AuditLogError(.io, message, path: path, underlying: failure))
        }
    }

    /// Flushes the file to disk and closes it; later records are counted as failures. Safe to call twice.
    ///
    /// Records are not synced one by one (that would cost a disk flush per lease); this is where they are.
    ///
    /// ```swift
    /// log.record(.poolShutdown)
    /// log.close()
    /// ```
    package func close() {
        state.withLock { state in
            guard state.fd >= 0 else { return }
            // Devices such as /dev/null cannot be synced; that is not worth reporting.
            _ = fsync(state.fd)
            Glibc.close(state.fd)
            state.fd = -1
        }
    }

    // MARK: - State

    /// How many records were not written (I/O error, encoding error, or offered after ``close()``).
    package var writeFailures: Int {
        state.withLock { $0.writeFailures }
    }

    /// Why the most recent failed record was not written, or `nil` if every record was.
    package var lastWriteError: AuditLogError? {
        state.withLock { $0.lastWriteError }
    }

    /// The sequence number the next record will get: the number of records in the file.
    package var nextSequence: UInt64 {
        state.withLock { $0.nextSequence }
    }

    /// Lowercase hex SHA-256 of the last record's line (64 zeros for an empty log): the anchor that makes a
    /// cut at the end detectable when it is kept outside the file.
    package var lastHash: String {
        state.withLock { $0.lastHash }
    }

    // MARK: - Helpers

    private static func fail(_ state: inout State, _ error: AuditLogError) {
        state.writeFailures += 1
        state.lastWriteError = error
    }

    /// Writes `bytes` with as few `write(2)` calls as the kernel allows: one, unless it writes short.
    private static func writeAll(_ bytes: Data, to fd: Int32) -> (written: Int, error: SystemError?) {
        bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let result = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return (written, SystemError.last("audit log I/O"))
                }
                written += result
            }
            return (written, nil)
        }
    }

    /// Cuts a partly written line off the end of the file, so the next record starts on a line of its own.
    private static func removePartial(_ count: Int, fd: Int32, regular: Bool) -> Bool {
        guard regular else { return false }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size >= off_t(count) else { return false }
        return ftruncate(fd, info.st_size - off_t(count)) == 0
    }

    /// Reads the file's last line backwards from the end, to resume the chain without reading the whole log.
    private static func readTail(
        fd: Int32,
        size: off_t,
        path: String
    ) throws -> (nextSequence: UInt64, lastHash: String) {
        guard size > 0 else { return (0, AuditRecord.genesisHash) }
        var last: UInt8 = 0
        guard pread(fd, &last, 1, size - 1) == 1 else {
            throw AuditLogError(
                .io,
                "cannot read the audit log's end",
                path: path,
                underlying: SystemError.last("audit log I/O")
            )
        }
        guard last == 0x0A else {
            throw AuditLogError(
                .truncatedLastLine,
                "the last line has no newline (a write was cut short); not appending after it",
                path: path
            )
        }
        // Collect chunks backwards from just before the final newline until the previous newline (or the start).
        var line: [UInt8] = []
        var end = size - 1
        let chunkSize: off_t = 64 * 1024
        search: while end > 0 {
            let start = max(0, end - chunkSize)
            var chunk = [UInt8](repeating: 0, count: Int(end - start))
            let count = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, start) }
            guard count == chunk.count else {
                throw AuditLogError(.io, "cannot read the audit log's last line", path: path)
            }
            if let newline = chunk.lastIndex(of: 0x0A) {
                line.insert(contentsOf: chunk[(newline + 1)...], at: 0)
                break search
            }
            line.insert(contentsOf: chunk, at: 0)
            end = start
        }
        let record: AuditRecord
        do {
            record = try JSONDecoder().decode(AuditRecord.self, from: Data(line))
        } catch {
            throw AuditLogError(
                .badJSON,
                "the last line is not an audit record; not appending after it",
                path: path,
                underlying: error
            )
        }
        guard record.sequence < UInt64.max else {
            throw AuditLogError(.sequenceGap, "the last record's sequence cannot be followed", path: path)
        }
        return (record.sequence + 1, FileDigest.sha256(of: line))
    }
}
