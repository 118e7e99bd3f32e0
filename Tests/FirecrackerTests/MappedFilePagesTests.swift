import Foundation
import Glibc
import TestSupport
import Testing

@testable import Firecracker

@Suite("Pages of a file in a process's page tables, and in the page cache")
struct MappedFilePagesTests {
    /// A file of `pages` 4 KiB pages, each filled with its page number, on disk.
    private static func file(pages: Int, in directory: String, name: String) throws -> String {
        let path = directory + "/" + name
        var bytes = Data(capacity: pages * 4096)
        for page in 0..<pages { bytes.append(Data(repeating: UInt8(page % 251), count: 4096)) }
        try bytes.write(to: URL(fileURLWithPath: path))
        let descriptor = open(path, O_RDONLY)
        fsync(descriptor)
        close(descriptor)
        return path
    }

    @Test("the pages this process touched through its own mapping are found by device, inode and offset")
    func ownMapping() throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let path = try Self.file(pages: 256, in: scratch, name: "memory")
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        // The second half only, at file offset 128 pages: the set is by file page, not by address.
        let mapped = try #require(mmap(nil, 128 * 4096, PROT_READ, MAP_SHARED, descriptor, 128 * 4096))
        defer { munmap(mapped, 128 * 4096) }
        let bytes = mapped.assumingMemoryBound(to: UInt8.self)
        // Pages 130 and 250 of the file; the kernel may map up to 16 neighbours of each (fault-around).
        #expect(bytes[2 * 4096] == 130 && bytes[122 * 4096] == 250 % 251)
        let pages = try #require(MappedFilePages.pages(of: path, mappedBy: getpid(), pageCount: 256))
        #expect(pages.contains(130) && pages.contains(250), "\(pages.runs)")
        #expect(!pages.contains(5) && !pages.contains(180) && pages.count <= 32, "\(pages.runs)")

        let other = try Self.file(pages: 4, in: scratch, name: "unmapped")
        #expect(MappedFilePages.pages(of: other, mappedBy: getpid(), pageCount: 4) == nil)
        #expect(MappedFilePages.pages(of: scratch + "/absent", mappedBy: getpid(), pageCount: 4) == nil)
    }

    @Test("a dropped file is read back into the page cache by populate, the pages asked for")
    func populate() throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let map = try SnapshotMemoryMap(path: try Self.file(pages: 512, in: scratch, name: "memory"))
        map.dropPageCache()
        let dropped = map.residentPages()
        #expect(dropped < 64, "the file left the page cache: \(dropped) of 512 stayed")
        var wanted = PageSet(pageCount: 512)
        for page in 100..<300 { wanted.insert(page) }
        #expect(map.populate(wanted))
        // At least those; read-ahead may bring in a little around them, not the whole file.
        #expect(map.residentPages() >= 200 && map.residentPages() < 400, "\(map.residentPages()) resident")
    }

    @Test("a device number is printed as /proc/<pid>/maps prints it")
    func deviceNumbers() {
        // glibc's encoding: minor's low 8 bits, then major's low 12 bits, then the high bits of each.
        #expect(MappedFilePages.deviceNumber(0x801) == "08:01")
        #expect(MappedFilePages.deviceNumber(0x10303) == "103:03")
        #expect(MappedFilePages.deviceNumber(0x1_0000_0000 | 0x10303) == "103:100003")
        #expect(MappedFilePages.deviceNumber(0x1000_0000_0000 | 0x10303) == "1103:03")
    }
}
