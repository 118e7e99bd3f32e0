/// How a VMM process ended.
package enum VMMExit: Sendable, Equatable, CustomStringConvertible {
    /// It exited with a status code.
    case exited(Int32)
    /// A signal ended it.
    case signaled(Int32)
    /// Its end could not be observed (monitoring failed); the message says why.
    case unknown(String)

    package var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        case .unknown(let reason): "ended in an unknown way (\(reason))"
        }
    }
}
