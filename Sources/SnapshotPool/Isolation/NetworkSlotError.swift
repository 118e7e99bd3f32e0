/// A failure of a ``NetworkSlotPool``: a code to switch on, and for a failed `ip` command the command and
/// what it printed on stderr, so the cause shows without re-running anything.
///
/// ```swift
/// do {
///     let slot = try await pool.acquire()
/// } catch let error as NetworkSlotError where error.code == .exhausted {
///     // every namespace is leased: wait for a release, or restore elsewhere
/// }
/// ```
package struct NetworkSlotError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: String, Hashable, Sendable {
            case commandFailed, exhausted, notLeased, destroyed, invalidConfiguration, processesRemain
        }

        private let storage: Storage

        /// An `ip` command could not be started or exited unsuccessfully; ``NetworkSlotError/command`` and
        /// ``NetworkSlotError/standardError`` say which and why.
        package static let commandFailed = Code(storage: .commandFailed)
        /// Every slot is leased.
        package static let exhausted = Code(storage: .exhausted)
        /// The slot released is not leased from this pool.
        package static let notLeased = Code(storage: .notLeased)
        /// The pool has been destroyed.
        package static let destroyed = Code(storage: .destroyed)
        /// The prefix, count or TAP names cannot be used.
        package static let invalidConfiguration = Code(storage: .invalidConfiguration)
        /// Processes were still in a namespace after they were killed.
        package static let processesRemain = Code(storage: .processesRemain)

        package var description: String { storage.rawValue }
    }

    /// What kind of failure this is.
    package let code: Code
    /// A sentence saying what failed, for a person.
    package let message: String
    /// The command that failed, program first, when the failure is a command's.
    package let command: [String]?
    /// What the command wrote on stderr (trimmed), when the failure is a command's.
    package let standardError: String?
    /// The lower-level error, if any (e.g. the reason the command could not be started).
    package let underlying: (any Error)?

    package init(
        _ code: Code,
        _ message: String,
        command: [String]? = nil,
        standardError: String? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.command = command
        self.standardError = standardError
        self.underlying = underlying
    }

    package var description: String {
        var text = "\(code): \(message)"
        if let command { text += " (command: \(command.joined(separator: " ")))" }
        if let standardError, !standardError.isEmpty { text += ": \(standardError)" }
        if let underlying { text += " [\(underlying)]" }
        return text
    }
}
