import Foundation
import Glibc
import HostSystem
import Synchronization

/// A line the guest printed on its serial console, and when the host saw it.
package struct SerialLine: Sendable, Equatable {
    /// The line, without its newline.
    package var text: String
    /// When the host read it.
    package var observedAt: ContinuousClock.Instant
}

/// Reads the guest's serial console (Firecracker's stdout, sent to a file) line by line.
///
/// Lines are consumed in order: each ``waitForLine(startingWith:deadline:abortIf:)`` returns the first
/// matching line after the ones earlier calls returned, so the token printed after the second resume is
/// never mistaken for the first.
///
/// ```swift
/// let line = try await vmm.serial.waitForLine(startingWith: "SNAPBENCH-READY", deadline: .now + .seconds(5))
/// ```
package final class SerialConsole: Sendable {
    /// The console file.
    package let path: String

    private struct State {
        var offset: Int = 0
        var partial: [UInt8] = []
        var lines: [String] = []
        var history: [String] = []
    }

    private let state = Mutex(State())

    /// Reads the console written to `path`.
    package init(path: String) {
        self.path = path
    }

    /// Waits for the next line that starts with `prefix`.
    ///
    /// - Parameters:
    ///   - prefix: what the line must start with.
    ///   - deadline: when to give up.
    ///   - abortIf: checked at every wake-up; a non-`nil` error ends the wait with that error (e.g. the VMM died).
    /// - Returns: the line and the instant it was read.
    /// - Throws: `FirecrackerError(.guestNotReady)` at the deadline, the `abortIf` error, or `CancellationError`.
    package func waitForLine(
        startingWith prefix: String,
        deadline: ContinuousClock.Instant,
        abortIf: @escaping @Sendable () -> FirecrackerError? = { nil }
    ) async throws -> SerialLine {
        let outcome = try await FileEvents.wait(on: path, for: .modified, until: deadline) {
            () -> Result<SerialLine, FirecrackerError>? in
            if let line = self.takeLine(startingWith: prefix) {
                return .success(SerialLine(text: line, observedAt: .now))
            }
            return abortIf().map { .failure($0) }
        }
        switch outcome {
        case .success(let line): return line
        case .failure(let error): throw error
        case nil:
            throw FirecrackerError(
                .guestNotReady,
                "the guest printed no line starting with \(prefix) in time; console so far: \(transcript().suffix(300))"
            )
        }
    }

    /// Everything read from the console so far (the last 200 lines).
    package func transcript() -> String {
        ingest()
        return state.withLock { $0.history.joined(separator: "\n") }
    }

    /// Returns and consumes the first unconsumed line with the prefix; earlier lines are consumed too.
    private func takeLine(startingWith prefix: String) -> String? {
        ingest()
        return state.withLock { state -> String? in
            guard let index = state.lines.firstIndex(where: { $0.hasPrefix(prefix) }) else {
                state.lines = []
                return nil
            }
            let line = state.lines[index]
            state.lines.removeFirst(index + 1)
            return line
        }
    }

    /// Reads what was appended since the last read and splits it into lines.
    private func ingest() {
        state.withLock { state in
            // Read under the lock so that two concurrent readers never append the same bytes twice.
            let fresh = Self.read(path, from: state.offset)
            guard !fresh.isEmpty else { return }
            state.offset += fresh.count
            state.partial += fresh
            while let newline = state.partial.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: state.partial[..<newline], as: UTF8.self)
                    .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
                state.partial.removeSubrange(...newline)
                state.lines.append(line)
                state.history.append(line)
                if state.history.count > 200 { state.history.removeFirst() }
            }
        }
    }

    /// What the file holds from `offset` on, read in small pieces: a console line is tens of bytes, and a
    /// 64 KiB buffer zeroed for every check cost more than the read (64 VMs resumed at once check their
    /// consoles thousands of times).
    private static func read(_ path: String, from offset: Int) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            // Unsafe: pread(2) fills our own buffer of known size.
            let count = chunk.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress, $0.count, off_t(offset + result.count))
            }
            guard count > 0 else { return result }
            result.append(contentsOf: chunk[..<count])
            if count < chunk.count { return result }
        }
    }
}
