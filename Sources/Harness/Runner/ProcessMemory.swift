import Foundation
import Glibc

/// Kernel memory figures of this process and of the VMMs it started.
enum ProcessMemory {
    /// This process's resident set size in bytes (`/proc/self/statm`).
    static func residentBytes() -> UInt64 {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return 0 }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Live `firecracker` children of this process.
    static func childVMMs() -> [Int32] {
        let me = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            return stat[stat.index(after: open)..<close].hasPrefix("firecracker") && fields.count > 1
                && fields[0] != "Z" && Int32(fields[1]) == me
        }
    }

    /// Proportional set size of process `pid` in bytes (`/proc/PID/smaps_rollup`), or `nil` when it is gone.
    static func proportionalSetSize(of pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else {
            return nil
        }
        for line in text.split(separator: "\n") where line.hasPrefix("Pss:") {
            let kib = line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) } ?? 0
            return kib * 1024
        }
        return nil
    }

    /// Memory PSI `some avg10`, percent.
    static func pressureSomeAvg10() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/pressure/memory", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("some") {
            for field in line.split(separator: " ") where field.hasPrefix("avg10=") {
                return Double(field.dropFirst(6))
            }
        }
        return nil
    }

    /// Open descriptors of this process.
    static func openDescriptors() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count
    }
}
