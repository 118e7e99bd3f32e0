import Foundation
import Glibc

/// What the test process holds that it should give back: child VMMs and open descriptors.
public enum Leftovers {
    /// Pids of live (not zombie) `firecracker` processes whose parent is this process.
    public static func childVMMs() -> [Int32] {
        let me = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { return false }
            let name = stat[stat.index(after: open)..<close]
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 1 else { return false }
            return name.hasPrefix("firecracker") && fields[0] != "Z" && Int32(fields[1]) == me
        }
    }

    /// Whether process `pid` exists (zombies included).
    public static func processExists(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// How many descriptors this process has open.
    public static func openDescriptorCount() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count
    }

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
