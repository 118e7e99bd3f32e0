import Foundation
import Glibc
import Subprocess
import SystemPackage

/// Runs iproute2's `ip` and turns every failure into a ``NetworkSlotError`` that carries the command and its
/// stderr.
///
/// A netlink library would save the process per call, but `ip` is what an operator re-runs by hand from an
/// error message, and namespace set-up is off the latency-critical path (slots are made once, up front).
struct IPRoute: Sendable {
    /// Path of `ip`.
    let path: String

    /// Where Debian and most distributions install `ip`; the first executable one wins.
    static let defaultPath: String =
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { access($0, X_OK) == 0 } ?? "/usr/sbin/ip"

    /// Runs `ip arguments…` and returns its stdout.
    ///
    /// - Throws: ``NetworkSlotError/Code/commandFailed`` when `ip` cannot be started or exits unsuccessfully.
    @discardableResult
    func run(_ arguments: [String]) async throws -> String {
        let command = [path] + arguments
        let record: ExecutionResult<Void, StringOutput<UTF8>, StringOutput<UTF8>>
        do {
            record = try await Subprocess.run(
                .path(FilePath(path)),
                arguments: Arguments(arguments),
                output: .string(limit: 1 << 20),
                error: .string(limit: 64 << 10)
            )
        } catch {
            throw NetworkSlotError(.commandFailed, "cannot run ip", command: command, underlying: error)
        }
        guard record.terminationStatus.isSuccess else {
            throw NetworkSlotError(
                .commandFailed,
                "ip \(record.terminationStatus)",
                command: command,
                standardError: record.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            )
        }
        return record.standardOutput
    }

    /// The names of all named network namespaces (`ip netns list`).
    func namespaces() async throws -> [String] {
        Self.parseNamespaceList(try await run(["netns", "list"]))
    }

    /// Pids of the processes in `namespace` (`ip netns pids`).
    func pids(in namespace: String) async throws -> [Int32] {
        try await run(["netns", "pids", namespace]).split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
    }

    /// Kills every process in `namespace` and waits until none is left.
    ///
    /// A process left inside would keep the namespace, and the TAP device a VMM holds open, alive after the
    /// name is deleted, and would still own the TAP when the slot is handed out again.
    ///
    /// - Returns: the pids that were killed.
    /// - Throws: ``NetworkSlotError/Code/processesRemain`` when some survive `timeout`, or a command failure.
    @discardableResult
    func killProcesses(in namespace: String, timeout: Duration = .seconds(2)) async throws -> [Int32] {
        let found = try await pids(in: namespace)
        guard !found.isEmpty else { return [] }
        for pid in found { kill(pid, SIGKILL) }
        let deadline = ContinuousClock.now + timeout
        while true {
            // A killed child of this process turns into a zombie until its supervisor reaps it; `ip netns
            // pids` does not list zombies (they have left every namespace), so this loop never waits on a reap.
            let remaining = try await pids(in: namespace)
            if remaining.isEmpty { return found }
            guard ContinuousClock.now < deadline else {
                throw NetworkSlotError(
                    .processesRemain,
                    "processes \(remaining.map(String.init).joined(separator: ", ")) are still in \(namespace) "
                        + "\(timeout) after SIGKILL"
                )
            }
            for pid in remaining { kill(pid, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Deletes `namespace` after killing what runs in it; its TAP devices go with it.
    func deleteNamespace(_ namespace: String) async throws {
        try await killProcesses(in: namespace)
        try await run(["netns", "delete", namespace])
    }

    /// The names in `ip netns list` output, whose lines read `NAME` or `NAME (id: N)`.
    static func parseNamespaceList(_ output: String) -> [String] {
        output.split(separator: "\n").compactMap { line in
            line.split(whereSeparator: \.isWhitespace).first.map(String.init)
        }
    }
}
