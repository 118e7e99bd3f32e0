import Foundation
import Glibc
import Logging

/// Removes what killed predecessors left in a work directory: pool directories whose marker names a pid
/// that is no longer alive, and every process still running inside them.
///
/// A process is recognised by its working directory lying inside such a pool directory — a marker the pool
/// wrote — never by its name alone.
struct OrphanReclaimer {
    var workDirectory: String
    var marker: String
    var logger: Logger

    /// Reclaims every orphaned pool directory; returns how many processes and directories were removed.
    func reclaim() async -> Int {
        let manager = FileManager.default
        let entries = (try? manager.contentsOfDirectory(atPath: workDirectory)) ?? []
        var reclaimed = 0
        for entry in entries where entry.hasPrefix("pool-") {
            let directory = workDirectory + "/" + entry
            guard let owner = ownerPid(of: directory), owner != getpid(), !isAlive(owner) else { continue }
            for pid in processes(inside: directory) {
                kill(pid, SIGKILL)
                reclaimed += 1
                logger.notice(
                    "killed an orphaned VMM",
                    metadata: ["vm.pid": "\(pid)", "pool.directory": "\(directory)"]
                )
            }
            await waitUntilGone(inside: directory)
            if (try? manager.removeItem(atPath: directory)) != nil {
                reclaimed += 1
            }
        }
        return reclaimed
    }

    private func ownerPid(of directory: String) -> Int32? {
        guard let text = try? String(contentsOfFile: directory + "/" + marker, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("pid=") }.flatMap { Int32($0.dropFirst(4)) }
    }

    private func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Processes whose working directory is inside `directory`.
    func processes(inside directory: String) -> [Int32] {
        let prefix = directory + "/"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else {
                return false
            }
            return cwd.hasPrefix(prefix) || cwd == directory
        }
    }

    /// Waits (bounded) until the killed processes are gone, so their directories can be removed.
    private func waitUntilGone(inside directory: String) async {
        let deadline = ContinuousClock.now + .seconds(2)
        while !processes(inside: directory).isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}
