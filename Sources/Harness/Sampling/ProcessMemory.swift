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

    /// Proportional set size of process `pid` in bytes (`/proc/PID/smaps_rollup`), its huge pages included,
    /// or `nil` when it is gone.
    static func proportionalSetSize(of pid: Int32) -> UInt64? {
        SystemFile.readIfPresent("/proc/\(pid)/smaps_rollup").flatMap(proportionalSetSize(smapsRollup:))
    }

    /// `Pss` plus `Private_Hugetlb` and `Shared_Hugetlb` of an `smaps_rollup` text, in bytes: the kernel
    /// leaves hugetlb pages (a VM's guest memory with `vm.huge_pages`) out of `Pss`. `nil` without a `Pss` line.
    static func proportionalSetSize(smapsRollup text: String) -> UInt64? {
        var kib: [Substring: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let value = UInt64(fields[1]) else { continue }
            kib[fields[0]] = value
        }
        guard let pss = kib["Pss:"] else { return nil }
        return (pss + (kib["Private_Hugetlb:"] ?? 0) + (kib["Shared_Hugetlb:"] ?? 0)) * 1024
    }

    /// Memory PSI `some avg10`, percent, read with the pool's own PSI parser.
    static func pressureSomeAvg10() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/pressure/memory", encoding: .utf8) else { return nil }
        return MemoryPressureReading.parsePressure(text).some?.avg10
    }
}
