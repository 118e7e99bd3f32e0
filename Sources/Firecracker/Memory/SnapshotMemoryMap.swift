import CSystemShims
import Foundation
import Glibc
import HostSystem
import SystemPackage

/// A golden snapshot's memory file mapped read-only into snapbench, once, as the source every page server
/// copies guest pages from (`UFFDIO_COPY` needs the bytes in the handler's own address space). The page
/// cache holds the file's pages once for all clones.
///
/// ```swift
/// let memory = try SnapshotMemoryMap(path: snapshot.memoryPath)
/// memory.dropPageCache()   // a cold restore reads the file from disk again
/// ```
package final class SnapshotMemoryMap: @unchecked Sendable {
    // @unchecked: the mapping is immutable and read-only after init; munmap runs once, in deinit.

    /// The file mapped.
    package let path: String
    /// Its size in bytes.
    package let size: UInt64
    /// Its whole 4 KiB pages: the range of a ``PageSet`` of it.
    package var pageCount: Int { Int(size / 4096) }
    let base: UnsafeMutableRawPointer
    private let descriptor: Int32

    /// Maps `path` whole.
    ///
    /// - Throws: `FirecrackerError(.snapshotMissing)` when it cannot be opened, `.system` when it cannot be
    ///   mapped.
    package init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FirecrackerError(.snapshotMissing, "cannot open the memory file \(path): \(Errno.last)")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size > 0 else {
            close(descriptor)
            throw FirecrackerError(.snapshotInvalid, "the memory file \(path) is empty or unreadable")
        }
        // Unsafe: mmap(2) returns raw memory; it is only ever read, by the C page server. MAP_POPULATE maps every
        // page now, once for all clones: a page server reading an unmapped source page pays a minor fault on top
        // of its copy.
        guard let base = mmap(nil, Int(status.st_size), PROT_READ, MAP_SHARED | MAP_POPULATE, descriptor, 0),
            base != UnsafeMutableRawPointer(bitPattern: -1)
        else {
            close(descriptor)
            throw FirecrackerError(.system, "cannot map the memory file \(path): \(Errno.last)")
        }
        self.path = path
        self.size = UInt64(status.st_size)
        self.base = base
        self.descriptor = descriptor
    }

    deinit {
        munmap(base, Int(size))
        close(descriptor)
    }

    /// Evicts the file's pages from the page cache as far as the kernel lets it (pages other processes map
    /// stay), so the next restore reads them from disk: the state of a host that restores many snapshots.
    package func dropPageCache() {
        // Our own mapping first: a page mapped here is never evicted.
        madvise(base, Int(size), MADV_DONTNEED)
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED)
    }

    /// Reads `pages` of the file into the page cache now, and waits until they are there
    /// (`MADV_POPULATE_READ` over this mapping): a File-backed clone restored next finds them cached.
    ///
    /// - Returns: `false` when the kernel refused (before Linux 5.14 it does not know the advice).
    @discardableResult
    package func populate(_ pages: PageSet) -> Bool {
        let runs = pages.runs.filter { UInt64($0.first + $0.count) * 4096 <= size }
        // All reads at once, exactly these ranges; then wait for them with faults that read nothing around
        // (a fault's read-around is the device's whole read-ahead window, 8 MiB on these hosts).
        for run in runs {
            _ = posix_fadvise(descriptor, off_t(run.first) * 4096, off_t(run.count) * 4096, POSIX_FADV_WILLNEED)
        }
        madvise(base, Int(size), MADV_RANDOM)
        defer { madvise(base, Int(size), MADV_NORMAL) }
        var populated = true
        for run in runs {
            // Unsafe: an offset into our own mapping, within its size (checked above).
            let start = base + run.first * 4096
            // 22 is MADV_POPULATE_READ (Linux 5.14), which Swift's Glibc module does not name.
            if madvise(start, run.count * 4096, 22) != 0 { populated = false }
        }
        return populated
    }

    /// How many of the file's pages are in the page cache now (mincore(2) over the mapping).
    package func residentPages() -> Int {
        let pages = Int((size + 4095) / 4096)
        var vector = [UInt8](repeating: 0, count: pages)
        guard mincore(base, Int(size), &vector) == 0 else { return 0 }
        return vector.reduce(0) { $0 + Int($1 & 1) }
    }
}
