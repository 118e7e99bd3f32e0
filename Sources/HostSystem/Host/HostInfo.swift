import Foundation
import Glibc

/// Facts about the host that decide whether a snapshot is valid here and that every report states.
package struct HostInfo: Codable, Sendable, Equatable {
    /// `uname -n`.
    package var hostname: String
    /// `uname -r`; a snapshot is only valid on the host kernel it was made on.
    package var kernelRelease: String
    /// `model name` from `/proc/cpuinfo`; a snapshot is only valid on the same CPU model.
    package var cpuModel: String
    /// Online CPUs.
    package var cpuCount: Int
    /// `MemTotal` in bytes.
    package var memoryBytes: UInt64
    /// Which KVM this is: `kvm_intel`, `kvm_amd`, `kvm_pvm` (nested, pagetable-based) or `none`.
    package var kvmFlavour: String

    /// Reads the facts of the machine this process runs on.
    package static func current() -> HostInfo {
        var names = utsname()
        uname(&names)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return HostInfo(
            hostname: field(names.nodename),
            kernelRelease: field(names.release),
            cpuModel: cpuModel(),
            cpuCount: ProcessInfo.processInfo.activeProcessorCount,
            memoryBytes: memTotal(),
            kvmFlavour: kvmFlavour()
        )
    }

    /// Whether `/dev/kvm` exists and can be opened read-write by this process.
    package static var kvmUsable: Bool {
        access("/dev/kvm", R_OK | W_OK) == 0
    }

    static func cpuModel(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> String {
        for line in (cpuinfo ?? "").split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown"
    }

    private static func memTotal() -> UInt64 {
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let kib = line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) } ?? 0
            return kib * 1024
        }
        return 0
    }

    package static func kvmFlavour(moduleDirectory: String = "/sys/module") -> String {
        guard access("/dev/kvm", F_OK) == 0 else { return "none" }
        for flavour in ["kvm_pvm", "kvm_intel", "kvm_amd"]
        where FileManager.default.fileExists(atPath: moduleDirectory + "/" + flavour) {
            return flavour
        }
        return "kvm"
    }
}
