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
public struct NetworkSlotError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: String, Hashable, Sendable {
            case commandFailed, exhausted, notLeased, destroyed, invalidConfiguration, processesRemain
        }

        private let storage: Storage

        /// An `ip` command could not be started or exited unsuccessfully; ``NetworkSlotError/command`` and
        /// ``NetworkSlotError/standardError`` say which and why.
        public static let commandFailed = Code(storage: .commandFailed)
        /// Every slot is leased.
        public static let exhausted = Code(storage: .exhausted)
        /// The slot released is not leased from this pool.
        public static let notLeased = Code(storage: .notLeased)
        /// The pool has been destroyed.
        public static let destroyed = Code(storage: .destroyed)
        /// The prefix, count or TAP names cannot be used.
        public static let invalidConfiguration = Code(storage: .invalidConfiguration)
        /// Processes were still in a namespace after they were killed.
        public static let processesRemain = Code(storage: .processesRemain)

        public var description: String { storage.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence saying what failed, for a person.
    public let message: String
    /// The command that failed, program first, when the failure is a command's.
    public let command: [String]?
    /// What the command wrote on stderr (trimmed), when the failure is a command's.
    public let standardError: String?
    /// The lower-level error, if any (e.g. the reason the command could not be started).
    public let underlying: (any Error)?

    public init(
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

    public var description: String {
        var text = "\(code): \(message)"
        if let command { text += " (command: \(command.joined(separator: " ")))" }
        if let standardError, !standardError.isEmpty { text += ": \(standardError)" }
        if let underlying { text += " [\(underlying)]" }
        return text
    }
}
