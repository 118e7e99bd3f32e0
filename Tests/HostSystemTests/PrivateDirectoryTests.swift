import Foundation
import Glibc
import HostSystem
import Testing

/// Directories snapbench writes below: made private, and refused when another user could choose where it writes.
@Suite("Private directories: made without following links, refused when not ours", .serialized)
struct PrivateDirectoryTests {
    /// A scratch root of this test's own: `/tmp/sbd-<pid>-<random>` (root's or ours, not writable by others).
    private static func scratch() throws -> String {
        let path = "/tmp/sbd-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
        #expect(mkdir(path, 0o755) == 0)
        return path
    }

    private static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func mode(_ path: String) -> mode_t {
        var info = stat()
        _ = lstat(path, &info)
        return info.st_mode & 0o7777
    }

    private static func refusal(_ body: () throws -> Void) throws -> PrivateDirectory.Refusal {
        try #require(throws: PrivateDirectory.Refusal.self) { try body() }
    }

    @Test("missing directories are made at mode 0700, each one; the path comes back absolute, `..` resolved")
    func makesPrivateDirectories() throws {
        let root = try Self.scratch()
        defer { Self.remove(root) }
        let made = try PrivateDirectory.prepare(root + "/a/../b/c/", role: "work directory", flag: "--work-dir")
        #expect(made == root + "/b/c")
        #expect(Self.mode(root + "/b") == 0o700)
        #expect(Self.mode(root + "/b/c") == 0o700)
        #expect(!FileManager.default.fileExists(atPath: root + "/a"))
        // Ours already: used as it is, mode kept.
        #expect(chmod(root + "/b/c", 0o750) == 0)
        #expect(try PrivateDirectory.prepare(root + "/b/c", role: "work directory") == root + "/b/c")
        #expect(Self.mode(root + "/b/c") == 0o750)
    }

    @Test("a symbolic link where the directory should be is refused, and nothing is written where it points")
    func symbolicLink() throws {
        let root = try Self.scratch()
        defer { Self.remove(root) }
        #expect(mkdir(root + "/elsewhere", 0o700) == 0)
        #expect(symlink(root + "/elsewhere", root + "/output") == 0)
        let refusal = try Self.refusal {
            try PrivateDirectory.prepare(root + "/output", role: "output directory", flag: "--output")
        }
        #expect(refusal.path == root + "/output")
        #expect(refusal.problem == "is a symbolic link")
        #expect(refusal.description.contains("pass --output with a directory of your own"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/elsewhere").isEmpty)
        // A link owned by another user in the middle of the path is refused too.
        #expect(mkdir(root + "/real", 0o700) == 0)
        #expect(symlink(root + "/real", root + "/via") == 0)
        if geteuid() == 0 {
            #expect(lchown(root + "/via", 65534, 65534) == 0)
            let middle = try Self.refusal { try PrivateDirectory.prepare(root + "/via/x", role: "VM directory") }
            #expect(middle.path == root + "/via")
            #expect(middle.problem.contains("symbolic link in its path that belongs to"))
            #expect(!FileManager.default.fileExists(atPath: root + "/real/x"))
        }
        // A link of our own in the path (as /var/run → /run) is followed.
        #expect(lchown(root + "/via", geteuid(), getegid()) == 0)
        #expect(try PrivateDirectory.prepare(root + "/via/x", role: "VM directory") == root + "/via/x")
        #expect(FileManager.default.fileExists(atPath: root + "/real/x"))
    }

    @Test(
        "a directory of another user's is refused, named with its owner and the fix",
        .enabled(if: geteuid() == 0, "only root can give a directory to another user")
    )
    func anotherUsersDirectory() throws {
        let root = try Self.scratch()
        defer { Self.remove(root) }
        #expect(mkdir(root + "/work", 0o700) == 0)
        #expect(chown(root + "/work", 65534, 65534) == 0)
        let refusal = try Self.refusal {
            try PrivateDirectory.prepare(root + "/work", role: "work directory", flag: "--work-dir")
        }
        #expect(refusal.problem.hasPrefix("belongs to \(PrivateDirectory.userName(65534)), not to"))
        #expect(refusal.fix.contains("rm -r \(root)/work"))
        // A parent of another user's: they could move what is below it away.
        #expect(mkdir(root + "/theirs", 0o755) == 0)
        #expect(chown(root + "/theirs", 65534, 65534) == 0)
        let parent = try Self.refusal { try PrivateDirectory.prepare(root + "/theirs/mine", role: "output directory") }
        #expect(parent.path == root + "/theirs")
        #expect(parent.problem.contains("has a parent that belongs to"))
        #expect(!FileManager.default.fileExists(atPath: root + "/theirs/mine"))
    }

    @Test("a directory others may write to is refused; a sticky parent others may write to is fine")
    func writableByOthers() throws {
        let root = try Self.scratch()
        defer { Self.remove(root) }
        #expect(mkdir(root + "/open", 0o700) == 0)
        #expect(chmod(root + "/open", 0o777) == 0)
        let open = try Self.refusal { try PrivateDirectory.prepare(root + "/open", role: "work directory") }
        #expect(open.problem == "is writable by every user (mode 777)")
        // A world-writable parent without the sticky bit: anyone could rename our directory and put theirs there.
        let parent = try Self.refusal { try PrivateDirectory.prepare(root + "/open/y", role: "work directory") }
        #expect(parent.problem.contains("without the sticky bit"))
        // With the sticky bit (as /tmp and /dev/shm have), only the owner may move what is in it.
        #expect(chmod(root + "/open", 0o1777) == 0)
        #expect(try PrivateDirectory.prepare(root + "/open/y", role: "work directory") == root + "/open/y")
        #expect(Self.mode(root + "/open/y") == 0o700)
    }

    @Test("a file a flag names may not be a link; its directory is made and checked")
    func files() throws {
        let root = try Self.scratch()
        defer { Self.remove(root) }
        let store = try PrivateDirectory.prepareFile(root + "/data/results.sqlite", role: "results store")
        #expect(store == root + "/data/results.sqlite")
        #expect(Self.mode(root + "/data") == 0o700)
        #expect(symlink("/etc/passwd", root + "/data/compare.json") == 0)
        let link = try Self.refusal {
            try PrivateDirectory.prepareFile(root + "/data/compare.json", role: "comparison file", flag: "--json")
        }
        #expect(link.problem == "is a symbolic link")
        #expect(link.fix.contains("--json"))
    }
}
