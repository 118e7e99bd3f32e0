import Foundation
import Glibc

/// What `/proc` and `kill(2)` say about processes: one place for the checks the pool, the harness and the
/// tests all make.
package enum ProcessStatus {
    /// Whether a process with this pid exists (a zombie counts: its pid is not free yet).
    package static func exists(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Whether `pid` runs: it exists and is not a zombie. A killed owner stays a zombie until its parent reaps
    /// it, which under a minimal init can take a while; what it started is orphaned all the same.
    package static func isRunning(_ pid: Int32) -> Bool {
        guard exists(pid), let (_, state, _) = stat(of: pid) else { return false }
        return state != "Z" && state != "X"
    }

    /// Live (not zombie) `firecracker` processes whose parent is this process.
    package static func firecrackerChildren() -> [Int32] {
        children().filter { $0.name.hasPrefix("firecracker") }.map(\.pid)
    }

    /// Processes whose parent is this process, with their command names: live ones, and with
    /// `includingZombies` also those that have exited and await their reap (their CPU time is still theirs,
    /// not yet the parent's).
    package static func children(includingZombies: Bool = false) -> [(pid: Int32, name: String)] {
        let me = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.compactMap { pid in
            guard let (name, state, parent) = stat(of: pid), parent == me, includingZombies || state != "Z"
            else { return nil }
            return (pid, String(name))
        }
    }

    /// The working directory of process `pid`, when it can be read.
    package static func workingDirectory(of pid: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")
    }

    /// Processes whose working directory is `directory` or lies inside it (VMMs run in their VM's directory,
    /// so this is how a directory's VMMs are found).
    package static func processes(workingIn directory: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let cwd = workingDirectory(of: pid) else { return false }
            return cwd == directory || cwd.hasPrefix(directory + "/")
        }
    }

    /// How many descriptors this process has open.
    package static func openDescriptorCount() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count
    }

    /// This process's open descriptors and what each refers to (`/proc/self/fd/N` → its target, e.g. a path,
    /// `socket:[1234]`, `anon_inode:[eventfd]`).
    package static func openDescriptors() -> [Int32: String] {
        var descriptors: [Int32: String] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            // A descriptor closed during the scan (the scan's own directory descriptor among them) is left out.
            guard let fd = Int32(entry),
                let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)")
            else { continue }
            descriptors[fd] = target
        }
        return descriptors
    }

    /// Command name, state letter and parent pid from `/proc/PID/stat`.
    private static func stat(of pid: Int32) -> (name: Substring, state: Character, parent: Int32)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")")
        else { return nil }
        // The name may hold spaces and parentheses; the fields after the last ")" do not.
        let fields = text[text.index(close, offsetBy: 2)...].split(separator: " ")
        guard fields.count > 1, let state = fields[0].first, let parent = Int32(fields[1]) else { return nil }
        return (text[text.index(after: open)..<close], state, parent)
    }
}
