import Firecracker
import Foundation
import Glibc
import HostSystem
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
    /// Where jails are made, when VMMs run through the jailer: a jailed VMM lives in a mount namespace of its
    /// own, so it is found by the marker in its root (`/proc/PID/root/.snapbench-vmm`), not by its cwd.
    var jailBase: String?
    /// The marker every VMM working directory holds (`pid=<owner>`).
    var vmmMarker = ".snapbench-vmm"

    /// Reclaims every orphaned pool directory; returns how many processes and directories were removed.
    func reclaim() async -> Int {
        let manager = FileManager.default
        let entries = (try? manager.contentsOfDirectory(atPath: workDirectory)) ?? []
        var reclaimed = 0
        for entry in entries where entry.hasPrefix("pool-") {
            let directory = workDirectory + "/" + entry
            guard let owner = ownerPid(of: directory), owner != getpid(), !ProcessStatus.isRunning(owner) else {
                continue
            }
            for pid in ProcessStatus.processes(workingIn: directory) {
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
        if let jailBase {
            reclaimed += await reclaimJails(base: jailBase)
        }
        return reclaimed
    }

    /// Kills jailed VMMs whose marker names a dead owner and removes such jails.
    private func reclaimJails(base: String) async -> Int {
        var reclaimed = 0
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in entries.compactMap({ Int32($0) }) where pid != getpid() {
            guard let owner = ownerPid(of: "/proc/\(pid)/root", marker: vmmMarker), owner != getpid(),
                !ProcessStatus.isRunning(owner)
            else { continue }
            kill(pid, SIGKILL)
            reclaimed += 1
            logger.notice("killed an orphaned jailed VMM", metadata: ["vm.pid": "\(pid)"])
        }
        let jails = base + "/firecracker"
        for id in (try? FileManager.default.contentsOfDirectory(atPath: jails)) ?? [] {
            let jail = jails + "/" + id
            guard let owner = ownerPid(of: jail + "/root", marker: vmmMarker), owner != getpid(),
                !ProcessStatus.isRunning(owner)
            else { continue }
            let deadline = ContinuousClock.now + .seconds(2)
            while (try? FileManager.default.removeItem(atPath: jail)) == nil, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
            reclaimed += 1
        }
        return reclaimed
    }

    private func ownerPid(of directory: String, marker: String? = nil) -> Int32? {
        let marker = marker ?? self.marker
        guard let text = try? String(contentsOfFile: directory + "/" + marker, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("pid=") }.flatMap { Int32($0.dropFirst(4)) }
    }

    /// Waits (bounded) until the killed processes are gone, so their directories can be removed.
    private func waitUntilGone(inside directory: String) async {
        let deadline = ContinuousClock.now + .seconds(2)
        while !ProcessStatus.processes(workingIn: directory).isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}
