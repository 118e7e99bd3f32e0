import Foundation
import Glibc
import HostSystem

/// The pages of a file that a process has in its page tables now, read from `/proc/<pid>/maps` and
/// `/proc/<pid>/pagemap` (root only): for a clone restored with the File backend, the pages of the
/// snapshot's memory file its guest touched — the VMM maps the file itself, so no page server sees them.
///
/// ```swift
/// let touched = MappedFilePages.pages(of: snapshot.memoryPath, mappedBy: clone.vmm.pid, pageCount: 32_768)
/// touched?.count  // ≈ the guest's working set, plus the kernel's fault-around of 64 KiB per fault
/// ```
package enum MappedFilePages {
    /// The file's pages `pid` maps and has present, by file page; `nil` when the process, its mapping of the
    /// file or its page map cannot be read.
    ///
    /// The file is found by device and inode, so a hard link of it (a jailed VMM's) counts as the file.
    package static func pages(of path: String, mappedBy pid: Int32, pageCount: Int) -> PageSet? {
        var status = stat()
        guard stat(path, &status) == 0,
            let maps = SystemFile.readIfPresent("/proc/\(pid)/maps")
        else { return nil }
        let device = deviceNumber(status.st_dev)
        let ranges = maps.split(separator: "\n").compactMap { Mapping(line: $0) }.filter {
            $0.inode == UInt64(status.st_ino) && $0.device == device
        }
        guard !ranges.isEmpty else { return nil }
        let pagemap = open("/proc/\(pid)/pagemap", O_RDONLY | O_CLOEXEC)
        guard pagemap >= 0 else { return nil }
        defer { close(pagemap) }
        var pages = PageSet(pageCount: pageCount)
        for range in ranges {
            let count = Int((range.end - range.start) / 4096)
            var entries = [UInt64](repeating: 0, count: count)
            // Unsafe: pread(2) fills the array's storage with `count` 8-byte entries, no more.
            let read = entries.withUnsafeMutableBytes { buffer in
                pread(pagemap, buffer.baseAddress, buffer.count, off_t(range.start / 4096 * 8))
            }
            guard read == count * 8 else { return nil }
            let firstPage = Int(range.offset / 4096)
            // Bit 63: present in RAM (a page the guest read maps the page cache, one it wrote a private copy).
            for (index, entry) in entries.enumerated() where entry >> 63 == 1 { pages.insert(firstPage + index) }
        }
        return pages
    }

    /// `st_dev` as `/proc/<pid>/maps` prints it: major and minor in hex, glibc's encoding of the two.
    static func deviceNumber(_ device: dev_t) -> String {
        let value = UInt64(device)
        let major = ((value >> 8) & 0xfff) | ((value >> 32) & 0xffff_f000)
        let minor = (value & 0xff) | ((value >> 12) & 0xffff_ff00)
        return String(format: "%02llx:%02llx", major, minor)
    }

    /// One line of `/proc/<pid>/maps`: `start-end perms offset major:minor inode path`.
    struct Mapping {
        var start: UInt64
        var end: UInt64
        var offset: UInt64
        var device: String
        var inode: UInt64

        init?(line: Substring) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 5 else { return nil }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt64(bounds[0], radix: 16), let end = UInt64(bounds[1], radix: 16),
                let offset = UInt64(fields[2], radix: 16), let inode = UInt64(fields[4]), end > start
            else { return nil }
            self.start = start
            self.end = end
            self.offset = offset
            self.device = String(fields[3])
            self.inode = inode
        }
    }
}
