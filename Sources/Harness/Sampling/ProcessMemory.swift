import Foundation
import Glibc
import HostSystem
import SnapshotPool

/// Kernel memory figures of this process and of the VMMs it started.
enum ProcessMemory {
    /// This process's resident set size in bytes (`/proc/self/statm`).
    static func residentBytes() -> UInt64 {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return 0 }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Proportional set size of process `pid` in bytes (`/proc/PID/smaps_rollup`), or `nil` when it is gone.
    static func proportionalSetSize(of pid: Int32) -> UInt64? {
        guard let text = SystemFile.readIfPresent("/proc/\(pid)/smaps_rollup") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("Pss:") {
            let kib = line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) } ?? 0
            return kib * 1024
        }
        return nil
    }

    /// Memory PSI `some avg10`, percent, read with the pool's own PSI parser.
    static func pressureSomeAvg10() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/pressure/memory", encoding: .utf8) else { return nil }
        return MemoryPressureReading.parsePressure(text).some?.avg10
    }
}
