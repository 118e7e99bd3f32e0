import Glibc

/// Where the short-lived files of running VMs go — API sockets, logs, metrics, serial output, one directory
/// per VM — by default: a tmpfs when the host has one, else a directory the caller names.
///
/// On ext4, creating a VM's directory and files costs inode allocation that checks recently deleted inodes
/// (`recently_deleted`, `find_inode_bit`): in a work directory where tens of thousands of VM directories had
/// come and gone, that was 17 % of all CPU samples of a burst scenario on the development host (`perf`),
/// competing with the restores being measured. A tmpfs has no such cost, and nothing there needs to survive
/// a reboot.
///
/// ```swift
/// let vms = RuntimeDirectory.base(named: "snapbench-0", fallback: "/tmp/snapbench-0/vms")  // "/dev/shm/snapbench-0"
/// ```
package enum RuntimeDirectory {
    /// The tmpfs candidates, in order.
    static let candidates = ["/dev/shm"]

    /// `<tmpfs>/<name>` for the first writable tmpfs candidate, else `fallback`. Give each user a name of its
    /// own (`snapbench-<uid>`): a directory another user made first is refused, not shared.
    package static func base(named name: String, fallback: String) -> String {
        for candidate in candidates where isWritableTmpfs(candidate) {
            return candidate + "/" + name
        }
        return fallback
    }

    /// Whether `path` is the mount point of a tmpfs (per `/proc/self/mounts`) that this process may write to.
    package static func isWritableTmpfs(_ path: String) -> Bool {
        guard let mounts = SystemFile.readIfPresent("/proc/self/mounts") else { return false }
        let isTmpfs = mounts.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 2 && fields[1] == path && fields[2] == "tmpfs"
        }
        return isTmpfs && access(path, W_OK) == 0
    }
}
