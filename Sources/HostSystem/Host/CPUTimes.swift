import Foundation
import Glibc

/// Where the host's CPUs spent their time, from the `cpu` line of `/proc/stat`, in clock ticks summed over
/// every CPU.
///
/// Two readings apart say how busy the host was, and how much time the hypervisor took away from this
/// (virtual) machine: *steal*, the time a runnable vCPU of ours waited while the host ran something else.
///
/// ```swift
/// let before = HostCPUTimes.read(), after = HostCPUTimes.read()
/// if let before, let after { print(after.steal - before.steal) }
/// ```
package struct HostCPUTimes: Sendable, Equatable {
    /// Ticks spent running tasks (user, nice, system, irq, softirq).
    package var busy: UInt64
    /// Ticks idle (idle and iowait).
    package var idle: UInt64
    /// Ticks stolen by the hypervisor.
    package var steal: UInt64

    package init(busy: UInt64, idle: UInt64, steal: UInt64) {
        self.busy = busy
        self.idle = idle
        self.steal = steal
    }

    /// Every tick accounted for.
    package var total: UInt64 { busy + idle + steal }

    /// Reads `/proc/stat` now; `nil` when it cannot be read.
    package static func read(path: String = "/proc/stat") -> HostCPUTimes? {
        SystemFile.readIfPresent(path).flatMap(parse)
    }

    /// Parses the aggregate `cpu` line: `cpu user nice system idle iowait irq softirq steal guest guest_nice`.
    package static func parse(_ text: String) -> HostCPUTimes? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard fields.count >= 8 else { return nil }
        return HostCPUTimes(
            busy: fields[0] + fields[1] + fields[2] + fields[5] + fields[6],
            idle: fields[3] + fields[4],
            steal: fields[7]
        )
    }
}

/// The CPU time of one process, from `/proc/PID/stat`, in clock ticks.
///
/// ```swift
/// let me = ProcessCPUTimes.read(pid: getpid())
/// print(me?.own ?? 0, me?.reapedChildren ?? 0)
/// ```
package struct ProcessCPUTimes: Sendable, Equatable {
    /// User + system time of the process itself (all its threads).
    package var own: UInt64
    /// User + system time of its children it has waited for.
    package var reapedChildren: UInt64

    package init(own: UInt64, reapedChildren: UInt64) {
        self.own = own
        self.reapedChildren = reapedChildren
    }

    /// Reads `/proc/PID/stat`; `nil` when the process is gone.
    package static func read(pid: Int32) -> ProcessCPUTimes? {
        SystemFile.readIfPresent("/proc/\(pid)/stat").flatMap(parse)
    }

    /// Parses a `stat` line: the fields after the command name's closing parenthesis, where `utime`, `stime`,
    /// `cutime` and `cstime` are the 12th to 15th.
    package static func parse(_ text: String) -> ProcessCPUTimes? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state; utime is field 14 of the line, i.e. fields[11] here.
        guard fields.count > 14, let user = UInt64(fields[11]), let system = UInt64(fields[12]),
            let childUser = Int64(fields[13]), let childSystem = Int64(fields[14])
        else { return nil }
        return ProcessCPUTimes(
            own: user + system,
            reapedChildren: UInt64(max(0, childUser)) + UInt64(max(0, childSystem))
        )
    }

    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`).
    package static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// CPU time in nanoseconds, where clock ticks (10 ms) are too coarse: a warm VM's resume costs about 2 ms.
///
/// ```swift
/// let before = CPURuntime.process(pid)
/// // … the VM resumes …
/// let cost = (CPURuntime.process(pid) ?? .zero) - (before ?? .zero)
/// ```
package enum CPURuntime {
    /// The time every thread of process `pid` has spent running, from each thread's `schedstat`; `nil` when
    /// the process is gone.
    package static func process(_ pid: Int32) -> Duration? {
        guard let threads = ProcessStatus.threads(of: pid) else { return nil }
        var total: UInt64 = 0
        for thread in threads {
            guard let text = SystemFile.readIfPresent("/proc/\(pid)/task/\(thread)/schedstat"),
                let first = text.split(separator: " ").first, let nanoseconds = UInt64(first)
            else { continue }
            total += nanoseconds
        }
        return .nanoseconds(Int64(total))
    }

    /// The CPU time of this whole process (every thread), from `CLOCK_PROCESS_CPUTIME_ID`.
    package static func ownProcess() -> Duration {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
    }
}
