import Foundation
import Glibc
import HostSystem

/// How the host's CPUs were used between two readings: by this run (snapbench and every process it started),
/// by everything else, and by the hypervisor (steal); and how late the real-time heartbeat woke. The evidence
/// that tells a disturbed host from a slow pool.
struct HostActivity: Sendable, Equatable {
    /// CPU the hypervisor stole, in percent of one CPU.
    var stealPercent: Double
    /// CPU this run used, in percent of one CPU.
    var runPercent: Double
    /// CPU everything else used, in percent of one CPU.
    var otherPercent: Double
    /// The heartbeat's worst lateness, in ms.
    var heartbeatLateMs: Double
}

/// Takes ``HostActivity`` readings: each one covers the time since the previous.
final class HostActivityMeter: @unchecked Sendable {
    // @unchecked: only ever used from the sampler's own worker thread, one reading at a time.
    private var previousHost: HostCPUTimes?
    private var previousRun: UInt64?
    private var previousTime: ContinuousClock.Instant?
    private let heartbeat: Heartbeat

    init(heartbeat: Heartbeat) {
        self.heartbeat = heartbeat
    }

    /// CPU ticks of this process, the children it has reaped and the children still running.
    static func runTicks() -> UInt64? {
        guard let me = ProcessCPUTimes.read(pid: getpid()) else { return nil }
        let children = ProcessStatus.children(includingZombies: true).compactMap { ProcessCPUTimes.read(pid: $0.pid) }
        return me.own + me.reapedChildren + children.map { $0.own + $0.reapedChildren }.reduce(0, +)
    }

    /// Readings closer together than this are not turned into percentages: CPU time comes in 10 ms ticks, so
    /// over a few milliseconds one tick reads as hundreds of percent.
    static let shortestInterval = 0.1

    /// The activity since the previous call; `nil` on the first call, when `/proc` cannot be read, or when the
    /// previous reading is too recent (the next reading then covers both intervals).
    func read() -> HostActivity? {
        let now = ContinuousClock.now
        if let previousTime, previousTime.duration(to: now).inSeconds < Self.shortestInterval { return nil }
        let host = HostCPUTimes.read()
        let run = Self.runTicks()
        let late = heartbeat.takeLatestLateness()
        defer {
            previousHost = host
            previousRun = run
            previousTime = now
        }
        guard let host, let run, let previousHost, let previousRun, let previousTime else { return nil }
        let seconds = previousTime.duration(to: now).inSeconds
        let perTick = 100 / (seconds * ProcessCPUTimes.ticksPerSecond)
        let busy = Double(host.busy &- previousHost.busy)
        let ours = Double(run >= previousRun ? run - previousRun : 0)
        return HostActivity(
            stealPercent: Double(host.steal &- previousHost.steal) * perTick,
            runPercent: ours * perTick,
            otherPercent: max(0, busy - ours) * perTick,
            heartbeatLateMs: late.inMilliseconds
        )
    }
}
