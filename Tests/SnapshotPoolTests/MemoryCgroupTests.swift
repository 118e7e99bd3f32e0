import Foundation
import Glibc
import HostSystem
import SnapshotPool
import Subprocess
import SystemPackage
import TestSupport
import Testing

/// Whether the real cgroup tests can run, decided once, and said loudly when they cannot.
enum CgroupTestEnvironment {
    /// The hierarchy new cgroups go to, or `nil` when no writable memory controller exists.
    static let parent: CgroupLocation? = {
        let parent = MemoryCgroup.usableParent()
        if parent == nil {
            let banner = String(repeating: "!", count: 78)
            FileHandle.standardError.write(
                Data(
                    ("\n\(banner)\n!! No writable cgroup memory controller (v2 delegated or v1): "
                        + "every REAL CGROUP test is SKIPPED.\n\(banner)\n\n")
                        .utf8
                )
            )
        }
        return parent
    }()

    static let skipReason: Comment = """
        SKIPPED: no writable cgroup memory controller on this host \
        (needs root and a v1 memory hierarchy or a delegated cgroup2 one)
        """

    /// A prefix of this test process's own, so the tests never touch cgroups of other runs.
    static let prefix = "snapbench-test\(getpid())"

    /// Prints a measured fact so that it shows in the test log.
    static func note(_ text: String) {
        print("MemoryCgroupTests: \(text)")
    }

    /// The cgroup path of `pid` in the hierarchy that `version` names, from `/proc/PID/cgroup`.
    static func cgroupPath(of pid: Int32, version: CgroupVersion) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let matches =
                version == .v2
                ? fields[0] == "0" && fields[1].isEmpty : fields[1].split(separator: ",").contains("memory")
            if matches { return String(fields[2]) }
        }
        return nil
    }

    /// The name of the program `pid` runs now (`/proc/PID/comm`).
    static func command(of pid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A pid that cannot belong to any process: one above the kernel's `pid_max`.
    static func impossiblePID() -> Int32 {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8)) ?? ""
        return (Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 4_194_304) + 1
    }

    /// Leftover cgroups of this test process under every hierarchy.
    static func leftovers() -> [String] {
        let placement = MemoryCgroup.Placement.discover()
        return [placement.v2Parent, placement.v1Parent].compactMap { $0 }.flatMap { parent in
            ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [])
                .filter { $0.hasPrefix(prefix) }.map { parent + "/" + $0 }
        }
    }
}

// MARK: - Pure parts

@Suite("Memory cgroup naming, discovery, and the v2 interface on a fake tree")
struct MemoryCgroupNamingTests {
    @Test("mount discovery finds the cgroup2 mount and the v1 memory hierarchy, unescaping spaces")
    func discover() {
        let mounts = """
            proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
            tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
            cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
            cgroup /sys/fs/cgroup/mem\\040ory cgroup rw,relatime,memory 0 0
            cgroup /sys/fs/cgroup/memory2 cgroup rw,relatime,memory 0 0
            cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
            """
        let placement = MemoryCgroup.Placement.discover(mounts: mounts)
        #expect(
            placement == MemoryCgroup.Placement(v2Parent: "/sys/fs/cgroup/unified", v1Parent: "/sys/fs/cgroup/mem ory")
        )
        #expect(MemoryCgroup.Placement.discover(mounts: "") == MemoryCgroup.Placement(v2Parent: nil, v1Parent: nil))
    }

    @Test("this machine: a cgroup2 mount and a v1 memory hierarchy are both found")
    func discoverHere() {
        let placement = MemoryCgroup.Placement.discover()
        let usable = MemoryCgroup.usableParent().map { "\($0.version) at \($0.path)" } ?? "none"
        CgroupTestEnvironment.note(
            "placement v2Parent=\(placement.v2Parent ?? "none") v1Parent=\(placement.v1Parent ?? "none"); usable: \(usable)"
        )
        #expect(placement.v2Parent != nil || placement.v1Parent != nil)
    }

    @Test("no hierarchy at all is .noController")
    func noController() throws {
        let error = try #require(throws: MemoryCgroupError.self) {
            try MemoryCgroup.create(placement: MemoryCgroup.Placement(v2Parent: nil, v1Parent: nil))
        }
        #expect(error.code == .noController)
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        // A writable directory that is no cgroup at all: neither subtree_control nor memory files.
        let notCgroup = try #require(throws: MemoryCgroupError.self) {
            try MemoryCgroup.create(placement: MemoryCgroup.Placement(v2Parent: scratch, v1Parent: scratch))
        }
        #expect(notCgroup.code == .noController)
        #expect(notCgroup.path.contains(scratch))
        #expect("\(notCgroup)".contains("noController"))
    }

    @Test("v2 is chosen when the parent delegates the memory controller and is writable")
    func choosesV2() throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let v2 = scratch + "/unified"
        let v1 = scratch + "/memory"
        for directory in [v2, v1] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try Data("1\n".utf8).write(to: URL(fileURLWithPath: v1 + "/memory.limit_in_bytes"))
        let placement = MemoryCgroup.Placement(v2Parent: v2, v1Parent: v1)

        // No subtree_control in the v2 parent: v1 is used.
        #expect(MemoryCgroup.usableParent(placement: placement) == CgroupLocation(version: .v1, path: v1))
        // Controllers delegated, but not memory (this machine's cgroup2 has only hugetlb): still v1.
        try Data("cpu io\n".utf8).write(to: URL(fileURLWithPath: v2 + "/cgroup.subtree_control"))
        #expect(MemoryCgroup.usableParent(placement: placement)?.version == .v1)
        // Memory delegated: v2.
        try Data("cpu io memory pids\n".utf8).write(to: URL(fileURLWithPath: v2 + "/cgroup.subtree_control"))
        #expect(MemoryCgroup.usableParent(placement: placement) == CgroupLocation(version: .v2, path: v2))

        let cgroup = try MemoryCgroup.create(prefix: "snapbench-fake", placement: placement)
        #expect(cgroup.version == .v2)
        #expect(cgroup.parentPath == v2)
        #expect(OwnerTag(parsing: cgroup.name, kind: "snapbench-fake")?.pid == getpid())
        #expect(FileManager.default.fileExists(atPath: cgroup.path))
    }

    @Test("the v2 interface: memory.max, memory.current, memory.events, memory.pressure (on a fake directory)")
    func v2Interface() throws {
        let directory = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(directory) }
        let files = [
            "memory.max": "max\n",
            "memory.current": "123456\n",
            "memory.events": "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n",
            "memory.pressure": "some avg10=41.00 avg60=0 avg300=0 total=5\nfull avg10=3.00 avg60=0 avg300=0 total=5\n",
            "cgroup.procs": "",
        ]
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + name)) }
        let cgroup = MemoryCgroup(location: CgroupLocation(version: .v2, path: directory))
        #expect(try cgroup.limit() == .unlimited)
        try cgroup.setLimit(bytes: 64 << 20)
        #expect(try cgroup.limit() == .bytes(64 << 20))
        #expect(try cgroup.usage() == 123_456)
        #expect(try cgroup.events() == MemoryCgroup.Events(limitHits: 7, oomKills: 1))
        #expect(try cgroup.processes().isEmpty)
        let reading = cgroup.pressureSource.read()
        #expect(reading.cgroupUsageBytes == 123_456)
        #expect(reading.cgroupLimitBytes == 64 << 20)
        #expect(reading.psiSomeAvg10 == 41)
        #expect(PressureThresholds().level(for: reading) == .critical)
        try Data("12x\n".utf8).write(to: URL(fileURLWithPath: directory + "/cgroup.procs"))
        let invalid = try #require(throws: MemoryCgroupError.self) { try cgroup.processes() }
        #expect(invalid.code == .invalidContents)
        #expect(invalid.path == directory + "/cgroup.procs")
    }

    @Test("errors name the path and the errno")
    func errorDescription() {
        let error = MemoryCgroupError(.write, path: "/x/memory.max", "cannot write \"1\"", errno: EBUSY)
        #expect("\(error)" == "write: cannot write \"1\" (/x/memory.max) [errno \(EBUSY): Device or resource busy]")
    }
}

// MARK: - Real cgroups

@Suite(
    "Memory cgroup on this host (real, as root)",
    .serialized,
    .timeLimit(.minutes(2)),
    .enabled(if: CgroupTestEnvironment.parent != nil, CgroupTestEnvironment.skipReason)
)
struct MemoryCgroupTests {
    private let prefix = CgroupTestEnvironment.prefix

    @Test("limit 64 MiB, a child added and charged, an allocation past the limit is OOM-killed, destroy kills the rest")
    func lifecycle() async throws {
        let cgroup = try MemoryCgroup.create(prefix: prefix)
        defer { try? cgroup.destroy(killingProcesses: true) }
        let parent = try #require(CgroupTestEnvironment.parent)
        #expect(cgroup.version == parent.version)
        #expect(cgroup.parentPath == parent.path)
        #expect(cgroup.name.hasPrefix("\(prefix)-\(getpid())-"))
        #expect(FileManager.default.fileExists(atPath: cgroup.path))
        #expect(try cgroup.processes().isEmpty)
        #expect(try cgroup.limit() == .unlimited)
        CgroupTestEnvironment.note("created \(cgroup)")

        try cgroup.setLimit(bytes: 64 << 20)
        #expect(try cgroup.limit() == .bytes(64 << 20))
        let eventsBefore = try cgroup.events()
        #expect(eventsBefore.limitHits == 0)

        // The child waits on stdin before it becomes `sleep`, so the memory of that exec is charged after
        // it joined the cgroup (v1 does not move charges made before joining).
        let sleeper = try await Subprocess.run(
            .path("/bin/sh"),
            arguments: ["-c", "read go; exec /bin/sleep 30"],
            input: .inputWriter,
            output: .discarded,
            error: .discarded
        ) { execution in
            let pid = execution.processIdentifier.value
            try cgroup.add(pid: pid)
            #expect(try cgroup.processes() == [pid])
            #expect(CgroupTestEnvironment.cgroupPath(of: pid, version: cgroup.version)?.hasSuffix(cgroup.name) == true)
            let usageBeforeExec = try cgroup.usage()
            _ = try await execution.standardInputWriter.write("go\n")
            try await execution.standardInputWriter.finish()
            #expect(await Leftovers.settle { CgroupTestEnvironment.command(of: pid) == "sleep" })
            let usage = try cgroup.usage()
            CgroupTestEnvironment.note(
                "usage with the child added: \(usageBeforeExec) B before its exec, \(usage) B after"
            )
            #expect(usage > 0)
            #expect(usage < 64 << 20)

            let reading = cgroup.pressureSource.read()
            #expect(reading.cgroupLimitBytes == 64 << 20)
            #expect((reading.cgroupUsageBytes ?? 0) > 0)
            #expect(reading.memTotalBytes != nil)
            let psi = reading.psiSomeAvg10.map { "\($0)" } ?? "n/a"
            CgroupTestEnvironment.note(
                "pressure reading: usage \(reading.cgroupUsageBytes ?? 0) B of \(reading.cgroupLimitBytes ?? 0) B, "
                    + "PSI some avg10 \(psi) %, level \(PressureThresholds().level(for: reading))"
            )

            // A second process joins the cgroup itself (before it allocates) and touches 200 MiB.
            let hog = try await Self.allocate(mebibytes: 200, in: cgroup)
            let events = try cgroup.events()
            let usageAfter = try cgroup.usage()
            CgroupTestEnvironment.note(
                "allocating 200 MiB under a 64 MiB limit: \(hog.description), "
                    + "limit hits \(eventsBefore.limitHits ?? 0) → \(events.limitHits ?? 0), "
                    + "OOM kills \(eventsBefore.oomKills ?? 0) → \(events.oomKills ?? 0), usage afterwards \(usageAfter) B"
            )
            #expect(hog.terminationStatus == .signaled(SIGKILL))
            #expect(!hog.survived)
            #expect((events.limitHits ?? 0) > (eventsBefore.limitHits ?? 0))
            #expect((events.oomKills ?? 0) > (eventsBefore.oomKills ?? 0))
            #expect(usageAfter <= 64 << 20)
            // The OOM killer took the hog, not the small sleeper beside it.
            #expect(Leftovers.processExists(pid))
            #expect(CgroupTestEnvironment.command(of: pid) == "sleep")

            try cgroup.destroy(killingProcesses: true)
            #expect(!FileManager.default.fileExists(atPath: cgroup.path))
            return pid
        }
        #expect(sleeper.terminationStatus == .signaled(SIGKILL))
        #expect(!Leftovers.processExists(sleeper.closureResult))
        #expect(!FileManager.default.fileExists(atPath: cgroup.path))
        #expect(CgroupTestEnvironment.leftovers().isEmpty)
        // Destroying again is a no-op: the directory is already gone.
        try cgroup.destroy()
    }

    @Test("destroy without killing moves the child to the parent cgroup and leaves it running")
    func destroyMovesToParent() async throws {
        let cgroup = try MemoryCgroup.create(prefix: prefix)
        defer { try? cgroup.destroy(killingProcesses: true) }
        let result = try await Subprocess.run(
            .path("/bin/sleep"),
            arguments: ["30"],
            input: .none,
            output: .discarded,
            error: .discarded
        ) { execution in
            let pid = execution.processIdentifier.value
            try cgroup.add(pid: pid)
            try cgroup.destroy()
            #expect(!FileManager.default.fileExists(atPath: cgroup.path))
            #expect(Leftovers.processExists(pid))
            let parentRelative = String(cgroup.parentPath.dropFirst(CgroupTestEnvironment.parent?.path.count ?? 0))
            #expect(
                CgroupTestEnvironment.cgroupPath(of: pid, version: cgroup.version)
                    == (parentRelative.isEmpty ? "/" : parentRelative)
            )
            try execution.send(signal: .kill)
            return pid
        }
        #expect(result.terminationStatus == .signaled(SIGKILL))
        #expect(!Leftovers.processExists(result.closureResult))
    }

    @Test("the scoped form sets the limit and removes the cgroup, killing what is left, even when the body throws")
    func scoped() async throws {
        struct Boom: Error {}
        var seenPath = ""
        let result = try await Subprocess.run(
            .path("/bin/sleep"),
            arguments: ["30"],
            input: .none,
            output: .discarded,
            error: .discarded
        ) { execution in
            await #expect(throws: Boom.self) {
                try await MemoryCgroup.withCgroup(prefix: prefix, limitBytes: 32 << 20) { cgroup in
                    seenPath = cgroup.path
                    #expect(try cgroup.limit() == .bytes(32 << 20))
                    try cgroup.add(pid: execution.processIdentifier.value)
                    throw Boom()
                }
            }
        }
        #expect(!seenPath.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: seenPath))
        #expect(result.terminationStatus == .signaled(SIGKILL))
        let value = try await MemoryCgroup.withCgroup(prefix: prefix) { cgroup in
            seenPath = cgroup.path
            return try cgroup.limit()
        }
        #expect(value == .unlimited)
        #expect(!FileManager.default.fileExists(atPath: seenPath))
    }

    @Test("failures throw typed errors that name the control file")
    func typedErrors() throws {
        let cgroup = try MemoryCgroup.create(prefix: prefix)
        defer { try? cgroup.destroy(killingProcesses: true) }
        let gone = try #require(throws: MemoryCgroupError.self) {
            try cgroup.add(pid: CgroupTestEnvironment.impossiblePID())
        }
        #expect(gone.code == .write)
        #expect(gone.path == cgroup.path + "/cgroup.procs")
        #expect(gone.errno == ESRCH)
        try cgroup.destroy()
        let afterDestroy = try #require(throws: MemoryCgroupError.self) { try cgroup.setLimit(bytes: 1 << 20) }
        #expect(afterDestroy.code == .write)
        #expect(afterDestroy.path.hasPrefix(cgroup.path + "/memory."))
        #expect(afterDestroy.errno == ENOENT)
        let unreadable = try #require(throws: MemoryCgroupError.self) { try cgroup.usage() }
        #expect(unreadable.code == .read)
        #expect(unreadable.path.hasPrefix(cgroup.path))
    }

    @Test("destroy gives up with .processesRemain, naming the path and the pids, when processes stay past the timeout")
    func processesRemain() async throws {
        let cgroup = try MemoryCgroup.create(prefix: prefix)
        defer { try? cgroup.destroy(killingProcesses: true) }
        let result = try await Subprocess.run(
            .path("/bin/sleep"),
            arguments: ["30"],
            input: .none,
            output: .discarded,
            error: .discarded
        ) { execution in
            let pid = execution.processIdentifier.value
            try cgroup.add(pid: pid)
            let error = try #require(throws: MemoryCgroupError.self) { try cgroup.destroy(timeout: .zero) }
            #expect(error.code == .processesRemain)
            #expect(error.path == cgroup.path)
            #expect(error.message.contains("\(pid)"))
            #expect(FileManager.default.fileExists(atPath: cgroup.path))
            try cgroup.destroy(killingProcesses: true)
        }
        #expect(result.terminationStatus == .signaled(SIGKILL))
        #expect(!FileManager.default.fileExists(atPath: cgroup.path))
    }

    @Test("control operations, failed ones included, leave no descriptor open")
    func noDescriptorLeaks() async throws {
        let before = Leftovers.openDescriptorCount()
        for _ in 0..<50 {
            let cgroup = try MemoryCgroup.create(prefix: prefix)
            try cgroup.setLimit(bytes: 16 << 20)
            _ = try cgroup.limit()
            _ = try cgroup.usage()
            _ = try cgroup.events()
            _ = try cgroup.processes()
            _ = cgroup.pressureSource.read()
            #expect(throws: MemoryCgroupError.self) { try cgroup.add(pid: CgroupTestEnvironment.impossiblePID()) }
            try cgroup.destroy()
            #expect(throws: MemoryCgroupError.self) { try cgroup.usage() }
        }
        // Other suites run beside this one and open files of their own; give theirs time to close.
        #expect(await Leftovers.settle { Leftovers.openDescriptorCount() <= before })
        #expect(CgroupTestEnvironment.leftovers().isEmpty)
    }

    @Test("reclaimOrphans removes empty cgroups of dead owners only")
    func reclaimOrphans() async throws {
        let parent = try #require(CgroupTestEnvironment.parent)
        let dead = CgroupTestEnvironment.impossiblePID()
        let orphan = "\(parent.path)/\(prefix)-\(dead)-orphan"
        let busyOrphan = "\(parent.path)/\(prefix)-\(dead)-busy"
        let unnamed = "\(parent.path)/\(prefix)-nopid"
        for path in [orphan, busyOrphan, unnamed] { #expect(mkdir(path, 0o755) == 0) }
        defer { for path in [orphan, busyOrphan, unnamed] { rmdir(path) } }
        let live = try MemoryCgroup.create(prefix: prefix)
        defer { try? live.destroy(killingProcesses: true) }

        let result = try await Subprocess.run(
            .path("/bin/sleep"),
            arguments: ["30"],
            input: .none,
            output: .discarded,
            error: .discarded
        ) { execution in
            let busy = MemoryCgroup(location: CgroupLocation(version: parent.version, path: busyOrphan))
            try busy.add(pid: execution.processIdentifier.value)
            let removed = await MemoryCgroup.reclaimOrphans(prefix: prefix)
            #expect(removed == [orphan])
            #expect(!FileManager.default.fileExists(atPath: orphan))
            #expect(FileManager.default.fileExists(atPath: busyOrphan))  // still holds a process
            #expect(FileManager.default.fileExists(atPath: unnamed))  // no owner pid in the name
            #expect(FileManager.default.fileExists(atPath: live.path))  // owner (this process) alive
            try busy.destroy(killingProcesses: true)
        }
        #expect(result.terminationStatus == .signaled(SIGKILL))
        #expect(await MemoryCgroup.reclaimOrphans(prefix: prefix).isEmpty)
    }

    // MARK: - Helpers

    struct Allocation: CustomStringConvertible {
        var terminationStatus: TerminationStatus
        var survived: Bool
        var program: String
        var description: String { "\(program) ended \(terminationStatus)\(survived ? " and survived" : "")" }
    }

    /// Runs a process that moves itself into `cgroup` and then allocates and touches `mebibytes` MiB.
    ///
    /// It joins before allocating (a shell writes its own pid, then `exec`s the allocator), so every page is
    /// charged to the cgroup. Python as in the brief when present, else `dd` with a block of that size.
    static func allocate(mebibytes: Int, in cgroup: MemoryCgroup) async throws -> Allocation {
        let candidates = ["/usr/bin/python3", "/usr/local/bin/python3"]
        let python = candidates.first { (path: String) in access(path, X_OK) == 0 }
        let command: [String]
        if let python {
            let script = """
                b = bytearray(\(mebibytes) << 20)
                for i in range(0, len(b), 4096): b[i] = 1
                print("survived")
                """
            command = [python, "-c", script]
        } else {
            command = ["/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=\(mebibytes)M", "count=1", "status=none"]
        }
        let result = try await Subprocess.run(
            .path("/bin/sh"),
            arguments: Arguments(["-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", cgroup.path] + command),
            output: .string(limit: 4096),
            error: .string(limit: 4096)
        )
        let survived =
            python == nil ? result.terminationStatus == .exited(0) : result.standardOutput.contains("survived") == true
        return Allocation(terminationStatus: result.terminationStatus, survived: survived, program: command[0])
    }
}
