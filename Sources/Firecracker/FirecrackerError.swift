/// An error from driving a Firecracker process, with a code to switch on and the cause to show a person.
///
/// ```swift
/// do {
///     try await client.loadSnapshot(parameters)
/// } catch let error as FirecrackerError where error.code == .apiFault {
///     print(error.faultMessage ?? "")  // Firecracker's own explanation
/// }
/// ```
public struct FirecrackerError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: String, Hashable, Sendable {
            case apiFault, timeout, connectionClosed, connectFailed, invalidResponse
            case binaryNotFound, launchFailed, processExited, socketNotReady
            case guestNotReady, snapshotMissing, snapshotInvalid, workspace, system
            case agentRefused, agentReset, agentTimeout, agentProtocol, agentMismatch
        }

        private let storage: Storage

        /// Firecracker answered with an error status; `faultMessage` carries its reason.
        package static let apiFault = Code(storage: .apiFault)
        /// A request or wait outlived its deadline.
        package static let timeout = Code(storage: .timeout)
        /// The API socket closed before the response was complete (the VMM died or hung up).
        package static let connectionClosed = Code(storage: .connectionClosed)
        /// The API socket could not be connected.
        package static let connectFailed = Code(storage: .connectFailed)
        /// The response was not valid HTTP or not the JSON expected.
        public static let invalidResponse = Code(storage: .invalidResponse)
        /// The `firecracker` binary (or the guest image) does not exist or is not executable.
        package static let binaryNotFound = Code(storage: .binaryNotFound)
        /// The process could not be started.
        package static let launchFailed = Code(storage: .launchFailed)
        /// The VMM process exited while it was needed.
        package static let processExited = Code(storage: .processExited)
        /// The API socket did not appear in time.
        package static let socketNotReady = Code(storage: .socketNotReady)
        /// The guest did not print its readiness token in time.
        package static let guestNotReady = Code(storage: .guestNotReady)
        /// A snapshot file is missing.
        package static let snapshotMissing = Code(storage: .snapshotMissing)
        /// A snapshot file is present but damaged or incompatible.
        package static let snapshotInvalid = Code(storage: .snapshotInvalid)
        /// The working directory could not be prepared or cleaned.
        package static let workspace = Code(storage: .workspace)
        /// A system call failed.
        package static let system = Code(storage: .system)
        /// The guest agent's vsock port refused the connection: no socket, or nothing listens on the port.
        package static let agentRefused = Code(storage: .agentRefused)
        /// The connection to the guest agent closed before its reply was complete.
        package static let agentReset = Code(storage: .agentReset)
        /// The guest agent did not answer before the deadline.
        package static let agentTimeout = Code(storage: .agentTimeout)
        /// Firecracker or the agent broke the line protocol (not `OK <port>`, a line too long).
        package static let agentProtocol = Code(storage: .agentProtocol)
        /// The agent answered, but not what readiness expects.
        package static let agentMismatch = Code(storage: .agentMismatch)

        public var description: String { storage.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence saying what failed, for a person.
    public let message: String
    /// Firecracker's `fault_message`, when it sent one.
    package let faultMessage: String?
    /// The HTTP status, for API faults.
    package let httpStatus: Int?
    /// The lower-level error, if any.
    package let underlying: (any Error)?

    package init(
        _ code: Code,
        _ message: String,
        faultMessage: String? = nil,
        httpStatus: Int? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.faultMessage = faultMessage
        self.httpStatus = httpStatus
        self.underlying = underlying
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let httpStatus { text += " (HTTP \(httpStatus))" }
        if let faultMessage { text += ": \(faultMessage)" }
        if let underlying { text += " [\(underlying)]" }
        return text
    }
}
