import Firecracker
import HostSystem

/// What the test process holds that it should give back: child VMMs and open descriptors.
package enum Leftovers {
    /// Pids of live (not zombie) `firecracker` processes whose parent is this process.
    package static func childVMMs() -> [Int32] { ProcessStatus.firecrackerChildren() }

    /// Whether process `pid` exists (zombies included).
    package static func processExists(_ pid: Int32) -> Bool { ProcessStatus.exists(pid) }

    /// How many descriptors this process has open.
    package static func openDescriptorCount() -> Int { ProcessStatus.openDescriptorCount() }

    /// This process's open descriptors, each with what it refers to (`/proc/self/fd/N` → a path, `socket:[…]`,
    /// `anon_inode:[pidfd]`, …).
    package static func openDescriptors() -> [Int32: String] { ProcessStatus.openDescriptors() }

    /// The descriptors open now that were not open, to the same target, in `baseline`.
    package static func descriptorsOpened(since baseline: [Int32: String]) -> [Int32: String] {
        openDescriptors().filter { baseline[$0.key] != $0.value }
    }

    /// Of `descriptors`, those still open to the same target: what the operation that opened them left behind.
    ///
    /// Compared by number and target rather than counted, so that descriptors opened or closed meanwhile by
    /// anything else (another test, process-wide machinery started on first use) count neither way. A file
    /// removed since (a VM's directory is) still counts: its target has ` (deleted)` appended.
    package static func stillOpen(_ descriptors: [Int32: String]) -> [Int32: String] {
        let now = openDescriptors()
        return descriptors.filter { now[$0.key] == $0.value || now[$0.key] == $0.value + " (deleted)" }
    }

    /// Re-checks `condition` until it holds or `timeout` passes.
    ///
    /// Only for state that settles asynchronously after the operation under test returned — descriptors that
    /// a waiter thread closes after resuming its caller, or an event loop closing a channel — never as a
    /// stand-in for the work itself.
    package static func settle(within timeout: Duration = .seconds(2), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}
