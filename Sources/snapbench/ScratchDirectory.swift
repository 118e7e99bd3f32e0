import Foundation
import HostSystem

/// The scratch directory a command works in, below the work directory: named with this process's
/// ``OwnerTag`` (`bench-<pid>-pool`), so that the same command run later removes it — and stops the VMMs
/// still working in it — when this process was killed before it could.
enum ScratchDirectory {
    /// Sweeps away the directories of `kind` whose owners have ended, then names this process's own.
    ///
    /// ```swift
    /// let root = await ScratchDirectory.claim(kind: "bench", purpose: "pool", in: "/tmp/snapbench")
    /// // "/tmp/snapbench/bench-4242-pool"
    /// ```
    static func claim(kind: String, purpose: String, in workDirectory: String) async -> String {
        let sweep = await OrphanSweep.run(TaggedDirectories(parent: workDirectory, kind: kind))
        for (name, owner) in sweep.reclaimed {
            FileHandle.standardError.write(
                Data(
                    "snapbench: removed \(workDirectory)/\(name), left by process \(owner.pid) when it was killed\n"
                        .utf8
                )
            )
        }
        return workDirectory + "/" + OwnerTag(kind: kind).name(purpose)
    }
}
