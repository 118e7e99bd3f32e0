/// Where this host mounts its cgroup hierarchies, read from the mount table: the one place the pool, `doctor`
/// and the leak check learn it, so they cannot disagree.
///
/// ```swift
/// let mounts = CgroupMounts.current()          // from /proc/self/mounts
/// mounts.v1Memory                               // "/sys/fs/cgroup/memory" on a cgroup v1 host, else nil
/// mounts.v2                                     // "/sys/fs/cgroup/unified" here; "/sys/fs/cgroup" on a v2-only host
/// ```
package struct CgroupMounts: Sendable, Equatable {
    /// The mount point of the cgroup2 hierarchy, if one is mounted.
    package var v2: String?
    /// The mount point of the v1 hierarchy that carries the memory controller, if one is mounted.
    package var v1Memory: String?

    package init(v2: String?, v1Memory: String?) {
        self.v2 = v2
        self.v1Memory = v1Memory
    }

    /// Every mounted hierarchy where the pool may have made a memory cgroup: v1's memory one, then cgroup2.
    package var hierarchies: [String] { [v1Memory, v2].compactMap { $0 } }

    /// The hierarchies in this process's mount table (`/proc/self/mounts`, or `mountTable` for a test), each
    /// the first mount of its kind.
    package static func current(mountTable: String = "/proc/self/mounts") -> CgroupMounts {
        parse(SystemFile.readIfPresent(mountTable) ?? "")
    }

    /// The hierarchies in `mounts`, text in `/proc/self/mounts` form.
    package static func parse(_ mounts: String) -> CgroupMounts {
        var found = CgroupMounts(v2: nil, v1Memory: nil)
        for line in mounts.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ")
            guard fields.count >= 4 else { continue }
            let mountPoint = unescape(fields[1])
            if fields[2] == "cgroup2", found.v2 == nil {
                found.v2 = mountPoint
            } else if fields[2] == "cgroup", fields[3].split(separator: ",").contains("memory"), found.v1Memory == nil {
                found.v1Memory = mountPoint
            }
        }
        return found
    }

    /// Undoes the octal escapes (`\040` for a space) that the kernel writes into mount fields.
    private static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
                let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
