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

    /// Whether this process has capability `bit` in its effective set (`CapEff` in `/proc/self/status`), e.g. 23,
    /// `CAP_SYS_NICE`.
    package static func hasCapability(_ bit: Int) -> Bool {
        guard let status = SystemFile.readIfPresent("/proc/self/status"),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
            let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << UInt64(bit)) != 0
    }

    /// Live (not zombie) `firecracker` processes whose parent is this process.
    package static func firecrackerChildren() -> [Int32] {
        children().filter { $0.name.hasPrefix("firecracker") }.map(\.pid)
    }

    /// Processes whose parent is this process, with their command names: live ones, and with
    /// `includingZombies` also those that have exited and await their reap (their CPU time is still theirs,
    /// not yet the parent's).
    ///
    /// The kernel's own list of each thread's children (`/proc/self/task/*/children`) names them; only where it
    /// is missing (a kernel without `CONFIG_PROC_CHILDREN`) is every process's `stat` read, which cost the run's
    /// sampler about 4 ms of CPU per sample on an otherwise idle host.
    package static func children(includingZombies: Bool = false) -> [(pid: Int32, name: String)] {
        let me = getpid()
        return candidateChildren().compactMap { pid in
            guard let (name, state, parent) = stat(of: pid), parent == me, includingZombies || state != "Z"
            else { return nil }
            return (pid, String(name))
        }
    }

    /// The pids that may be children: those the kernel lists for this process's threads, or every pid.
    private static func candidateChildren() -> [Int32] {
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        var pids: Set<Int32> = []
        var listed = false
        for thread in threads {
            // A thread that ended during the scan has no list; that is not a missing feature.
            guard let text = SystemFile.readIfPresent("/proc/self/task/\(thread)/children") else { continue }
            listed = true
            for field in text.split(separator: " ") {
                if let pid = Int32(field.trimmingPrefix(while: \.isWhitespace).prefix { !$0.isWhitespace }) {
                    pids.insert(pid)
                }
            }
        }
        if listed { return pids.sorted() }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }
    }

    /// The calling thread's niceness (`nice`), from its own `stat` line (field 19).
    package static func threadNiceness() -> Int? {
        niceness(statPath: "/proc/thread-self/stat")
    }

    /// The ids of process `pid`'s threads now (`/proc/PID/task`); `nil` when the process is gone.
    package static func threads(of pid: Int32) -> [Int32]? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task"))?.compactMap { Int32($0) }
    }

    /// The niceness of each thread of process `pid`, by thread id.
    package static func threadNiceness(of pid: Int32) -> [Int32: Int] {
        var result: [Int32: Int] = [:]
        for thread in threads(of: pid) ?? [] {
            if let value = niceness(statPath: "/proc/\(pid)/task/\(thread)/stat") { result[thread] = value }
        }
        return result
    }

    private static func niceness(statPath: String) -> Int? {
        guard let text = SystemFile.readIfPresent(statPath), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3 of the line): nice, field 19, is fields[16].
        return fields.count > 16 ? Int(fields[16]) : nil
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

    /// The open descriptors of process `pid` (this process when `nil`) and what each refers to
    /// (`/proc/PID/fd/N` → its target, e.g. a path, `socket:[1234]`, `anon_inode:[eventfd]`).
    package static func openDescriptors(of pid: Int32? = nil) -> [Int32: String] {
        let directory = "/proc/\(pid.map(String.init) ?? "self")/fd"
        var descriptors: [Int32: String] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            // A descriptor closed during the scan (the scan's own directory descriptor among them) is left out.
            guard let fd = Int32(entry),
                let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + entry)
            else { continue }
            descriptors[fd] = target
        }
        return descriptors
    }

    /// Command name, state letter and parent pid from `/proc/PID/stat`.
    private static func stat(of pid: Int32) -> (name: Substring, state: Character, parent: Int32)? {
        guard let text = SystemFile.readIfPresent("/proc/\(pid)/stat"),
            let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")")
        else { return nil }
        // The name may hold spaces and parentheses; the fields after the last ")" do not.
        let fields = text[text.index(close, offsetBy: 2)...].split(separator: " ")
        guard fields.count > 1, let state = fields[0].first, let parent = Int32(fields[1]) else { return nil }
        return (text[text.index(after: open)..<close], state, parent)
    }
}
