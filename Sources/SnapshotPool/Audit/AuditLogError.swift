import Glibc

/// Why an audit log could not be opened, or where and how a log failed verification.
///
/// ```swift
/// do {
///     let result = try AuditLog.verify(path: "/var/lib/snapbench/audit.jsonl")
///     print("ok: \(result.recordCount) records")
/// } catch let error as AuditLogError where error.code == .brokenChain {
///     print("tampered near line \(error.line ?? 0): \(error.message)")
/// }
/// ```
package struct AuditLogError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: String, Hashable, Sendable {
            case io, locked, closed, badJSON, brokenChain, sequenceGap, truncatedLastLine, endMismatch
        }

        private let storage: Storage

        /// The file could not be opened, read or written; `underlying` carries the errno.
        package static let io = Code(storage: .io)
        /// Another ``AuditLog`` (in this or another process) has the file open; two writers would fork the chain.
        package static let locked = Code(storage: .locked)
        /// A record was offered after ``AuditLog/close()``; it was not written.
        package static let closed = Code(storage: .closed)
        /// A line is not a JSON audit record (or is empty).
        package static let badJSON = Code(storage: .badJSON)
        /// A line's `previousHash` is not the SHA-256 of the line before it: a line was edited, inserted or
        /// removed.
        package static let brokenChain = Code(storage: .brokenChain)
        /// A line's `sequence` is not one more than the line before: lines are missing, repeated or reordered.
        package static let sequenceGap = Code(storage: .sequenceGap)
        /// The last line has no newline: a write was cut short (a crash or a full disk) or the file was cut.
        package static let truncatedLastLine = Code(storage: .truncatedLastLine)
        /// The log verifies, but does not end where a record kept elsewhere (a run's report) says it ended:
        /// records were cut from its end, or added after it.
        package static let endMismatch = Code(storage: .endMismatch)

        /// The code's name, e.g. `brokenChain`.
        package var description: String { storage.rawValue }
    }

    /// What kind of failure this is.
    package let code: Code
    /// A sentence saying what is wrong, for a person.
    package let message: String
    /// The 1-based line where the problem was found, when it concerns one line.
    package let line: Int?
    /// The file concerned.
    package let path: String?
    /// The lower-level error, if any (a decoding error, an errno).
    package let underlying: (any Error)?

    /// An error; the audit log makes these, callers only need this to fake one in tests.
    ///
    /// ```swift
    /// let error = AuditLogError(.brokenChain, "previousHash does not match line 3", line: 4, path: "audit.jsonl")
    /// ```
    package init(
        _ code: Code,
        _ message: String,
        line: Int? = nil,
        path: String? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.line = line
        self.path = path
        self.underlying = underlying
    }

    /// One line for a person: code, file, line, message and cause, e.g.
    /// `sequenceGap in audit.jsonl at line 3: sequence 3 follows 1 …`.
    package var description: String {
        var text = "\(code)"
        if let path { text += " in \(path)" }
        if let line { text += " at line \(line)" }
        text += ": \(message)"
        if let underlying { text += " [\(underlying)]" }
        return text
    }
}
