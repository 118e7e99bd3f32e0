import Foundation
import Glibc
import Synchronization

/// Directories below one parent whose names carry an ``OwnerTag`` (`pool-<pid>-…`, `bench-<pid>-…`), as
/// ``TaggedResources``: removing one first SIGKILLs every process working inside it — a VMM runs in its
/// VM's directory — and waits (bounded) for them to go.
///
/// ```swift
/// let sweep = await OrphanSweep.run(TaggedDirectories(parent: "/tmp/snapbench/run/vms", kind: "pool"))
/// ```
package final class TaggedDirectories: TaggedResources {
    package let parent: String
    package let kind: String
    package let noun: String
    private let killedCount = Mutex(0)

    package init(parent: String, kind: String, noun: String = "working directory") {
        self.parent = parent
        self.kind = kind
        self.noun = noun
    }

    /// How many processes the removals killed.
    package var killed: Int { killedCount.withLock { $0 } }

    package func names() throws -> [String] {
        guard FileManager.default.fileExists(atPath: parent) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: parent)
    }

    package func remove(_ name: String) async throws {
        let directory = parent + "/" + name
        let processes = ProcessStatus.processes(workingIn: directory).filter { $0 != getpid() }
        for pid in processes { kill(pid, SIGKILL) }
        killedCount.withLock { $0 += processes.count }
        let deadline = ContinuousClock.now + .seconds(2)
        while !ProcessStatus.processes(workingIn: directory).isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        try FileManager.default.removeItem(atPath: directory)
    }
}
