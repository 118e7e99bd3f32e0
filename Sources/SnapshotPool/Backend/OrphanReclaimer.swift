import Foundation
import Glibc
import HostSystem
import Logging

/// Removes what killed predecessors left in a work directory: pool directories whose ``OwnerTag``
/// (`pool-<pid>-…`) names an owner that has ended, and every process still running inside them; with the
/// jailer, jailed VMMs and jails whose marker names such an owner.
///
/// A process is recognised by its working directory lying inside such a pool directory — a name the pool
/// gave it — never by its name alone.
struct OrphanReclaimer {
    static var kind: String { FirecrackerBackend.poolDirectoryKind }

    var workDirectory: String
    var logger: Logger
    /// Where jails are made, when VMMs run through the jailer: a jailed VMM lives in a mount namespace of its
    /// own, so it is found by the marker in its root (`/proc/PID/root/.snapbench-vmm`), not by its cwd.
    var jailBase: String?
    /// The marker every VMM working directory holds (`pid=<owner>`).
    var vmmMarker = ".snapbench-vmm"

    /// Reclaims every orphaned pool directory; returns how many processes and directories were removed.
    func reclaim() async -> Int {
        let directories = TaggedDirectories(parent: workDirectory, kind: Self.kind, noun: "pool directory")
        let sweep = await OrphanSweep.run(directories)
        for (name, owner) in sweep.reclaimed {
            logger.notice(
                "removed an orphaned pool directory and the VMMs in it",
                metadata: ["pool.directory": "\(workDirectory)/\(name)", "pool.owner_pid": "\(owner.pid)"]
            )
        }
        for failure in sweep.failures {
            logger.warning(
                "cannot remove an orphaned pool directory",
                metadata: ["pool.directory": "\(workDirectory)/\(failure.name)", "error": "\(failure.error)"]
            )
        }
        var reclaimed = sweep.reclaimed.count + directories.killed
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
            guard owner(markedIn: "/proc/\(pid)/root")?.isOrphaned == true else { continue }
            kill(pid, SIGKILL)
            reclaimed += 1
            logger.notice("killed an orphaned jailed VMM", metadata: ["vm.pid": "\(pid)"])
        }
        let jails = base + "/firecracker"
        for id in (try? FileManager.default.contentsOfDirectory(atPath: jails)) ?? [] {
            let jail = jails + "/" + id
            guard owner(markedIn: jail + "/root")?.isOrphaned == true else { continue }
            let deadline = ContinuousClock.now + .seconds(2)
            while (try? FileManager.default.removeItem(atPath: jail)) == nil, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
            reclaimed += 1
        }
        return reclaimed
    }

    private func owner(markedIn directory: String) -> OwnerTag? {
        guard let text = try? String(contentsOfFile: directory + "/" + vmmMarker, encoding: .utf8) else { return nil }
        return OwnerTag(marker: text, kind: "vmm")
    }
}
