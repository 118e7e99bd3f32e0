import Foundation
import Glibc
import HostSystem
import Testing

@Suite("Host primitives: digests, directory trees, child processes, worker priority")
struct HostPrimitivesTests {
    @Test("SHA-256 is written as lower-case hex, two digits a byte (FIPS 180-2 test vectors)")
    func digestHex() {
        #expect(
            FileDigest.sha256(of: Data("abc".utf8))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )
        #expect(
            FileDigest.sha256(of: Data())
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
    }

    @Test("a directory tree is removed whole, a link in it is removed and not followed, a missing one is no error")
    func directoryTree() throws {
        let root =
            FileManager.default.temporaryDirectory.path + "/sbt-tree-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let outside = root + "-outside"
        try FileManager.default.createDirectory(atPath: root + "/a/b", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try DirectoryTree.createFile(root + "/marker", contents: "pid=1\n")
        try DirectoryTree.createFile(root + "/a/b/empty")
        try DirectoryTree.createFile(outside + "/kept", contents: "kept")
        #expect(symlink(outside, root + "/a/link") == 0)
        #expect(try String(contentsOfFile: root + "/marker", encoding: .utf8) == "pid=1\n")
        // Written again, a file is truncated, not appended to.
        try DirectoryTree.createFile(root + "/marker", contents: "x")
        #expect(try String(contentsOfFile: root + "/marker", encoding: .utf8) == "x")

        try DirectoryTree.remove(root)
        #expect(!FileManager.default.fileExists(atPath: root))
        #expect(FileManager.default.fileExists(atPath: outside + "/kept"), "the link's target must survive")
        try DirectoryTree.remove(root)
        try DirectoryTree.createFile(outside + "/single")
        try DirectoryTree.remove(outside + "/single")
        #expect(!FileManager.default.fileExists(atPath: outside + "/single"))
        #expect(throws: SystemError.self) { try DirectoryTree.createFile(root + "/missing-parent/file") }
    }

    @Test(
        "a child process is found through the kernel's list of this process's children, its priority set and given back, and gone once reaped"
    )
    func children() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        let pid = child.processIdentifier
        defer {
            if child.isRunning { kill(pid, SIGKILL) }
        }
        let listed = ProcessStatus.children()
        #expect(listed.contains { $0.pid == pid && $0.name == "sleep" }, "\(listed)")
        // Its priority can be raised and given back (the pool does this around a VMM's load).
        #expect(ProcessPriority.set(-5, allThreadsOf: pid) == 1)
        #expect(ProcessStatus.threadNiceness(of: pid) == [pid: -5])
        #expect(ProcessPriority.set(0, allThreadsOf: pid) == 1)
        #expect(ProcessStatus.threadNiceness(of: pid) == [pid: 0])
        #expect(kill(pid, SIGKILL) == 0)
        child.waitUntilExit()
        #expect(!ProcessStatus.children(includingZombies: true).contains { $0.pid == pid })
    }

    @Test("a worker thread asked for a lower priority runs its work at that niceness; the default is unchanged")
    func workerNiceness() async {
        let niced = WorkerThread(name: "sbt-niced", niceness: 10)
        let plain = WorkerThread(name: "sbt-plain")
        defer {
            niced.stop()
            plain.stop()
        }
        #expect(await niced.run { ProcessStatus.threadNiceness() } == 10)
        #expect(await plain.run { ProcessStatus.threadNiceness() } == ProcessStatus.threadNiceness())
    }

    @Test("a thread that asks for a short slice has it, its niceness kept; other threads keep the default")
    func shortSlice() async throws {
        let worker = WorkerThread(name: "sbt-slice", niceness: 5)
        let other = WorkerThread(name: "sbt-default")
        defer {
            worker.stop()
            other.stop()
        }
        let (granted, slice, niceness) = await worker.run {
            (ThreadSlice.request(.microseconds(100)), ThreadSlice.current, ProcessStatus.threadNiceness())
        }
        // Custom slices came with Linux 6.12; on an older kernel the request fails and the default stays.
        let untouched = await other.run { ThreadSlice.current }
        #expect(granted ? slice == .microseconds(100) : slice == untouched)
        #expect(niceness == 5)
        // The default (0.7–3 ms here, from the kernel's base slice) is longer than the one asked for.
        #expect(try #require(untouched) > .microseconds(100))
    }
}
