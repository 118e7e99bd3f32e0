import Firecracker
import HostSystem

/// What the test process holds that it should give back: child VMMs and open descriptors.
public enum Leftovers {
    /// Pids of live (not zombie) `firecracker` processes whose parent is this process.
    public static func childVMMs() -> [Int32] { ProcessStatus.firecrackerChildren() }

    /// Whether process `pid` exists (zombies included).
    public static func processExists(_ pid: Int32) -> Bool { ProcessStatus.exists(pid) }

    /// How many descriptors this process has open.
    public static func openDescriptorCount() -> Int { ProcessStatus.openDescriptorCount() }

    /// Re-checks `condition` until it holds or `timeout` passes.
    ///
    /// Only for state that settles asynchronously after the operation under test returned — descriptors that
    /// a waiter thread closes after resuming its caller, or an event loop closing a channel — never as a
    /// stand-in for the work itself.
    public static func settle(within timeout: Duration = .seconds(2), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}
