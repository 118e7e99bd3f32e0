import Dispatch
import Foundation
import Glibc

/// How every command that starts VMMs ends on Ctrl-C or `kill`: the signal cancels its work instead of
/// killing the process, so the pool drains, every VMM is stopped and reaped and every directory removed
/// before it exits. (A SIGKILL cannot be caught: the next command's orphan sweep reclaims what it left.)
enum Interruption {
    /// Runs `body` in a task that SIGINT and SIGTERM cancel; returns or throws what it does.
    ///
    /// ```swift
    /// let result = try await Interruption.cancellingOnSignals { try await benchmark.run() }
    /// ```
    static func cancellingOnSignals<Result: Sendable>(
        _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let work = Task { try await body() }
        let signals = SignalCanceller(signals: [SIGINT, SIGTERM]) { work.cancel() }
        defer { signals.stop() }
        return try await work.value
    }
}

/// Calls `action` when one of `signals` arrives (the default action — dying — is replaced while it lives).
final class SignalCanceller {
    private let sources: [any DispatchSourceSignal]
    private let signals: [Int32]

    init(signals: [Int32], action: @escaping @Sendable () -> Void) {
        self.signals = signals
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\nsnapbench: interrupted; stopping the VMs…\n".utf8))
                action()
            }
            source.resume()
            return source
        }
    }

    func stop() {
        for source in sources {
            source.cancel()
        }
        for number in signals { signal(number, SIG_DFL) }
    }
}
