/// How clones get their guest memory: which backend serves page faults, what is copied in ahead of them,
/// and whether the snapshot's memory file is in the page cache when a clone is restored.
///
/// ```swift
/// var memory = GuestMemory(backend: .userfaultfd, prefetch: .recorded)
/// memory.pageCache = .cold
/// memory.description  // "uffd, prefetch recorded, page cache cold"
/// ```
package struct GuestMemory: Sendable, Equatable, CustomStringConvertible {
    /// Who serves a clone's page faults.
    package enum Backend: String, Sendable, CaseIterable {
        /// Firecracker maps the memory file privately (its `File` backend).
        case file
        /// snapbench's ``PageFaultServer`` copies pages in (Firecracker's `Uffd` backend).
        case userfaultfd = "uffd"
    }

    /// What a clone gets ahead of its guest asking for it: with userfaultfd, pages its page server copies in
    /// before the clone counts as restored; with the File backend, pages of the memory file read into the page
    /// cache before its restore (the VMM maps the file itself, so that is as far as snapbench reaches).
    package enum Prefetch: String, Sendable, CaseIterable {
        /// Nothing: every page on demand.
        case none
        /// The pages the first leased clone touched: recorded by its page server, or read from its VMM's page
        /// map with the File backend.
        case recorded
        /// All of guest memory (Firecracker's `fault_all` handler; the whole file with the File backend).
        case all
    }

    /// The memory file's state in the page cache at each restore.
    package enum PageCache: String, Sendable, CaseIterable {
        /// As it is: after the first restores, cached.
        case warm
        /// Dropped before each restore, as far as the kernel lets it (pages live clones map stay).
        case cold
    }

    package var backend: Backend
    package var prefetch: Prefetch
    package var pageCache: PageCache
    /// Guest memory in 2 MiB huge pages (userfaultfd only: Firecracker restores huge pages no other way).
    package var hugePages: Bool
    /// With userfaultfd, each 4 KiB fault also brings in the missing pages of its aligned block of this many
    /// pages (1: the faulting page only). The default, 16 pages (64 KiB), is Linux's own `fault_around_bytes`.
    package var faultAroundPages: Int

    /// Linux's `fault_around_bytes` (64 KiB) in pages: what the kernel maps around a file fault.
    package static let defaultFaultAroundPages = 16

    package init(
        backend: Backend = .file,
        prefetch: Prefetch = .none,
        pageCache: PageCache = .warm,
        hugePages: Bool = false,
        faultAroundPages: Int = GuestMemory.defaultFaultAroundPages
    ) {
        self.backend = backend
        self.prefetch = prefetch
        self.pageCache = pageCache
        self.hugePages = hugePages
        self.faultAroundPages = faultAroundPages
    }

    package var description: String {
        "\(backend.rawValue)" + (backend == .userfaultfd || prefetch != .none ? ", prefetch \(prefetch.rawValue)" : "")
            + (backend == .userfaultfd ? ", fault-around \(faultAroundPages * 4) KiB" : "")
            + ", page cache \(pageCache.rawValue)" + (hugePages ? ", 2 MiB pages" : "")
    }
}
