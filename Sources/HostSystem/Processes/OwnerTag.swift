import Glibc

/// The mark every resource snapbench creates carries in its name: a kind and the creating process's pid,
/// `<kind>-<pid>-<rest>` (`pool-4242-1a2b3c4d`, `snb-4242-0`, `snapbench-4242-9f8e7d6c`, `fs-4242-5a6b7c8d`).
///
/// A resource outlives its creator only when the creator was killed; a later run finds it by its tag and
/// reclaims it once the owner is gone (``OrphanSweep``). One spelling, one parser, for every kind.
///
/// ```swift
/// let tag = OwnerTag(kind: "pool")
/// let name = tag.name("1a2b3c4d")                                     // "pool-<this pid>-1a2b3c4d"
/// OwnerTag(parsing: "snb-977-gold-0", kind: "snb")?.pid               // 977
/// OwnerTag(parsing: "snb-977-gold-0", kind: "snb")?.isOrphaned        // true once 977 has ended
/// ```
package struct OwnerTag: Hashable, Sendable, CustomStringConvertible {
    /// What kind of resource it marks: the first part of the name.
    package let kind: String
    /// The process that created the resource.
    package let pid: Int32

    /// The tag of resources of `kind` created by `pid` (this process by default).
    package init(kind: String, pid: Int32 = getpid()) {
        self.kind = kind
        self.pid = pid
    }

    /// The tag at the start of `name`: `kind`, `-`, a pid of digits only, and `-` followed by at least one
    /// character. `nil` for any other name, so a name no run of ours made is never read as one.
    package init?(parsing name: String, kind: String) {
        guard name.hasPrefix(kind + "-") else { return nil }
        let rest = name.dropFirst(kind.count + 1)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 10, let pid = Int32(digits), pid > 0 else { return nil }
        let remainder = rest.dropFirst(digits.count)
        guard remainder.first == "-", remainder.count > 1 else { return nil }
        self.init(kind: kind, pid: pid)
    }

    /// The owner named in a marker file's text (`pid=<owner>` on a line of its own): for resources whose name
    /// cannot carry the tag, such as a jailed VMM's root, found only through `/proc/<pid>/root`.
    package init?(marker text: String, kind: String) {
        let line = text.split(separator: "\n").first { $0.hasPrefix("pid=") }
        guard let pid = line.flatMap({ Int32($0.dropFirst(4)) }), pid > 0 else { return nil }
        self.init(kind: kind, pid: pid)
    }

    /// `<kind>-<pid>`.
    package var description: String { "\(kind)-\(pid)" }

    /// A resource name under this tag: `<kind>-<pid>-<suffix>`.
    package func name(_ suffix: String) -> String { "\(self)-\(suffix)" }

    /// Whether the owner has ended and is not this process: only then may the resource be reclaimed. A pid
    /// recycled by an unrelated process keeps its resources until that process ends too.
    package var isOrphaned: Bool {
        pid != getpid() && !ProcessStatus.isRunning(pid)
    }
}
