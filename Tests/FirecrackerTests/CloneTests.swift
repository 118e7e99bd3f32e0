import Firecracker
import Foundation
import Glibc
import HostSystem
import MicroVM
import TestSupport
import Testing

extension RealFirecracker {
    @Suite("Golden snapshots and clones")
    struct CloneTests {
        @Test("20 clones restored in turn each prove readiness with a distinct token and leave nothing behind")
        func twentyClones() async throws {
            try await withGoldenSnapshot { installation, snapshot, clones in
                try snapshot.verify()
                #expect(snapshot.manifest.memoryBytes == 128 * 1_048_576)
                // The golden VM's ready line names the generation id it booted with.
                let golden = try #require(snapshot.manifest.goldenGeneration, "\(snapshot.manifest.readyLine ?? "")")
                // Taken after the golden VM's build, which opened what every VMM of the process shares and keeps.
                let baseline = Leftovers.openDescriptors()
                // What the clones' handles held while they ran: each must be closed by the end.
                var held: [Int32: String] = [:]
                var tokens: Set<String> = []
                for index in 0..<20 {
                    let directory = "\(clones)/clone-\(index)"
                    let clone = try await ClonedVM.restore(
                        from: snapshot,
                        installation: installation,
                        workingDirectory: directory,
                        id: "clone-\(index)"
                    )
                    let proof = try await clone.resume(deadline: .now + .seconds(2))
                    #expect(GuestProof.matches(proof.token), "\(proof.token)")
                    // Firecracker wrote a new generation id on this restore: not the golden VM's.
                    #expect(proof.generation != nil && proof.generation != golden)
                    tokens.insert(proof.token)
                    // A guest told to do no work after its resume reports none.
                    #expect(try await clone.waitForWork(deadline: .now + .seconds(1)) == nil)
                    let decoded = try await clone.collectFirecrackerMetrics()
                    // The pool's scan of the file gives what the full decode of Firecracker's own lines gives.
                    let scanned = FirecrackerMetrics.latestLoadSnapshotMicroseconds(inFile: clone.vmm.metricsPath)
                    #expect(scanned != nil && scanned == decoded?.loadSnapshotMicroseconds)
                    let timings = clone.timings
                    #expect(timings.processStart != nil && timings.load != nil && timings.resume != nil)
                    #expect(timings.readiness != nil && timings.firecrackerLoad != nil)
                    // A descriptor number seen again names a new descriptor: the earlier one was closed.
                    held.merge(Leftovers.descriptorsOpened(since: baseline)) { _, newer in newer }
                    let pid = clone.vmm.pid
                    await clone.destroy()
                    #expect(!Leftovers.processExists(pid), "clone \(index) left its VMM running")
                    #expect(!FileManager.default.fileExists(atPath: directory), "clone \(index) left its directory")
                    #expect(Leftovers.childVMMs().isEmpty)
                }
                #expect(tokens.count == 20)
                #expect(!held.isEmpty, "a running clone holds at least its API connection")
                #expect(
                    await Leftovers.settle { Leftovers.stillOpen(held).isEmpty },
                    "left open: \(Leftovers.stillOpen(held))"
                )
                #expect((try? FileManager.default.contentsOfDirectory(atPath: clones))?.isEmpty ?? true)
            }
        }

        @Test("a clone paused and resumed again prints a second token of the same generation")
        func pauseResume() async throws {
            try await withGoldenSnapshot { installation, snapshot, clones in
                let clone = try await ClonedVM.restore(
                    from: snapshot,
                    installation: installation,
                    workingDirectory: clones + "/c",
                    id: "c"
                )
                // Destroyed, and awaited, on every path.
                do {
                    let first = try await clone.resume(deadline: .now + .seconds(2))
                    try await clone.pause()
                    // The guest detects a same-generation resume by the gap in its (lazy, 50 ms) tick: a pause of
                    // 300 ms runs past its next tick by more than the 50 ms gap. The sleep is the pause itself, not a
                    // wait for something to happen: any pause at least this long does.
                    try await Task.sleep(for: .milliseconds(300))
                    let second = try await clone.resume(deadline: .now + .seconds(2))
                    let generation = { (token: String) in token.split(separator: " ").first { $0.hasPrefix("gen=") } }
                    #expect(generation(first.token) == generation(second.token))
                    #expect(GuestProof.matches(first.token, resumes: 1), "\(first.token)")
                    #expect(GuestProof.matches(second.token, resumes: 2), "\(second.token)")
                } catch {
                    await clone.destroy()
                    throw error
                }
                await clone.destroy()
            }
        }

        /// The error a restore of `snapshot` into `clones/c` must throw.
        static func refusedRestore(
            of snapshot: GoldenSnapshot,
            installation: FirecrackerInstallation,
            into clones: String
        ) async throws -> FirecrackerError {
            try await #require(throws: FirecrackerError.self) {
                try await ClonedVM.restore(
                    from: snapshot,
                    installation: installation,
                    workingDirectory: clones + "/c",
                    id: "c"
                )
            }
        }

        @Test("a missing memory file is .snapshotMissing naming the file, before any VMM starts")
        func missingMemory() async throws {
            try await withGoldenSnapshot { installation, snapshot, clones in
                try FileManager.default.removeItem(atPath: snapshot.memoryPath)
                let error = try await Self.refusedRestore(of: snapshot, installation: installation, into: clones)
                #expect(error.code == .snapshotMissing)
                #expect(error.message.contains("vm.mem"))
                #expect(Leftovers.childVMMs().isEmpty)
                #expect(!FileManager.default.fileExists(atPath: clones + "/c"))
            }
        }

        @Test("a memory file that is a directory, or of another size than recorded, is refused before any VMM starts")
        func memoryNotAsRecorded() async throws {
            try await withGoldenSnapshot { installation, snapshot, clones in
                let original = snapshot.memoryPath + ".kept"
                try FileManager.default.moveItem(atPath: snapshot.memoryPath, toPath: original)
                try FileManager.default.createDirectory(atPath: snapshot.memoryPath, withIntermediateDirectories: false)
                let directory = try #require(throws: FirecrackerError.self) { try snapshot.checkFilesPresent() }
                #expect(directory.code == .snapshotInvalid && directory.message.contains("not a regular file"))
                try FileManager.default.removeItem(atPath: snapshot.memoryPath)
                try FileManager.default.moveItem(atPath: original, toPath: snapshot.memoryPath)
                try snapshot.checkFilesPresent()
                let handle = try #require(FileHandle(forWritingAtPath: snapshot.memoryPath))
                try handle.truncate(atOffset: 4096)
                try handle.close()
                let error = try await Self.refusedRestore(of: snapshot, installation: installation, into: clones)
                #expect(error.code == .snapshotInvalid && error.message.contains("has 4096 bytes"))
                #expect(Leftovers.childVMMs().isEmpty)
                #expect(!FileManager.default.fileExists(atPath: clones + "/c"))
            }
        }

        @Test("a truncated state file is .snapshotInvalid with Firecracker's reason; verify() catches it too")
        func truncatedState() async throws {
            try await withGoldenSnapshot { installation, snapshot, clones in
                let handle = try #require(FileHandle(forWritingAtPath: snapshot.statePath))
                try handle.truncate(atOffset: 100)
                try handle.close()
                #expect(throws: FirecrackerError.self) { try snapshot.verify() }
                let error = try await Self.refusedRestore(of: snapshot, installation: installation, into: clones)
                #expect(error.code == .snapshotInvalid)
                #expect(error.faultMessage?.isEmpty == false)
                #expect(Leftovers.childVMMs().isEmpty)
                #expect(!FileManager.default.fileExists(atPath: clones + "/c"))
            }
        }

        @Test("a VMM killed during the load is .processExited naming the signal")
        func killedDuringLoad() async throws {
            let ss = try #require(KernelView.tool, "needs ss(8) (iproute2) to see the load request in flight")
            try await withGoldenSnapshot { installation, snapshot, clones in
                // The VMM is stopped before the load is sent, and killed once the request sits unread in its API
                // socket: the load is certainly in flight when SIGKILL lands.
                let (stopped, stoppedSink) = AsyncStream.makeStream(of: VMMProcess.self)
                let hooks = ClonedVM.Hooks { vmm in
                    try vmm.send(signal: SIGSTOP)
                    #expect(await KernelView.waitUntilStopped(vmm.pid), "SIGSTOP did not stop the VMM")
                    stoppedSink.yield(vmm)
                    stoppedSink.finish()
                }
                let error = try await withThrowingTaskGroup(of: Void.self, returning: FirecrackerError?.self) { group in
                    group.addTask {
                        for await vmm in stopped {
                            let socket = vmm.workingDirectory + "/" + VMMConfiguration.FileName.apiSocket
                            let queued = await KernelView.waitForUnreadBytes(on: socket, ss: ss)
                            #expect(queued, "the load request never reached the stopped VMM's API socket")
                            try vmm.send(signal: SIGKILL)
                        }
                    }
                    let thrown = await #expect(throws: FirecrackerError.self) {
                        try await ClonedVM.restore(
                            from: snapshot,
                            installation: installation,
                            workingDirectory: clones + "/c",
                            id: "c",
                            options: ClonedVM.RestoreOptions(
                                hooks: hooks
                            )
                        )
                    }
                    // A restore that failed before its load leaves the killer nothing to wait for.
                    stoppedSink.finish()
                    try await group.waitForAll()
                    return thrown
                }
                #expect(error?.code == .processExited)
                #expect(error?.message.contains("signal 9") == true, "\(String(describing: error))")
                #expect(Leftovers.childVMMs().isEmpty)
                #expect(!FileManager.default.fileExists(atPath: clones + "/c"))
            }
        }

        @Test("a VMM killed while paused fails its resume with .processExited and is cleaned up")
        func killedWhilePaused() async throws {
            try await withGoldenSnapshot { installation, snapshot, clones in
                let clone = try await ClonedVM.restore(
                    from: snapshot,
                    installation: installation,
                    workingDirectory: clones + "/c",
                    id: "c"
                )
                #expect(kill(clone.vmm.pid, SIGKILL) == 0)
                _ = await clone.vmm.waitForExit()
                let error = try await #require(throws: FirecrackerError.self) {
                    try await clone.resume(deadline: .now + .seconds(2))
                }
                #expect(error.code == .processExited || error.code == .connectFailed)
                #expect(error.message.contains("signal 9") || error.code == .connectFailed)
                await clone.destroy()
                #expect(Leftovers.childVMMs().isEmpty)
                #expect(!FileManager.default.fileExists(atPath: clones + "/c"))
            }
        }

        @Test("the compatibility key names what differs; the manifest round-trips from disk")
        func compatibility() async throws {
            try await withGoldenSnapshot { installation, snapshot, _ in
                let reopened = try GoldenSnapshot.open(directory: snapshot.directory)
                #expect(reopened == snapshot)
                let here = try CompatibilityKey.make(
                    spec: snapshot.manifest.spec,
                    installation: installation,
                    host: .current()
                )
                #expect(here.differences(from: snapshot.manifest.compatibility).isEmpty)
                #expect(here.digest == snapshot.manifest.compatibility.digest)
                var elsewhere = here
                elsewhere.hostKernelRelease = "0.0.0"
                elsewhere.memoryMiB = 256
                #expect(here.differences(from: elsewhere) == ["memoryMiB", "hostKernelRelease"])
                #expect(here.digest != elsewhere.digest)
            }
        }
    }
}

extension RealFirecracker.CloneTests {
    @Test("a clone restored through the jailer runs chrooted as an unprivileged user and leaves no jail behind")
    func jailedClone() async throws {
        try await withGoldenSnapshot { installation, snapshot, clones in
            let jailer = try #require(installation.jailerPath, "the pinned jailer must be installed")
            let jail = JailerOptions(jailerPath: jailer, uid: 65534, gid: 65534, chrootBase: clones + "/jail")
            let clone = try await ClonedVM.restore(
                from: snapshot,
                installation: installation,
                workingDirectory: clones + "/unused",
                id: "jailed",
                options: ClonedVM.RestoreOptions(
                    jail: jail
                )
            )
            let proof = try await clone.resume(deadline: .now + .seconds(2))
            #expect(GuestProof.matches(proof.token), "\(proof.token)")
            let pid = clone.vmm.pid
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            #expect(status.split(separator: "\n").contains { $0.hasPrefix("Uid:") && $0.contains("65534") })
            // The jailer pivots into the jail in a mount namespace of its own: seen through /proc/PID/root the
            // VMM's "/" holds its socket and the linked snapshot, and nothing of the host.
            #expect(FileManager.default.fileExists(atPath: "/proc/\(pid)/root/api.sock"))
            #expect(FileManager.default.fileExists(atPath: "/proc/\(pid)/root/vm.mem"))
            #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)/root/etc/passwd"))
            #expect(clone.vmm.workingDirectory == jail.rootDirectory(id: "jailed"))
            await clone.destroy()
            #expect(!Leftovers.processExists(pid))
            #expect(!FileManager.default.fileExists(atPath: jail.jailDirectory(id: "jailed")))
            #expect(FileManager.default.fileExists(atPath: snapshot.memoryPath), "the golden files stay")
            try snapshot.verify()
        }
    }
}

extension RealFirecracker.CloneTests {
    @Test(
        "after every resume the guest re-touches its working set and reports it; a page changed in the file is caught"
    )
    func workingSetReport() async throws {
        let touch = WorkingSetTouch(mebibytes: 4, order: .random, access: .write, seed: 7)
        try await withGoldenSnapshot(touch: touch) { installation, snapshot, clones in
            #expect(snapshot.manifest.spec.bootArgs.hasSuffix("touch=4 touchseed=7 touchw=1"))
            let first = try await ClonedVM.restore(
                from: snapshot,
                installation: installation,
                workingDirectory: clones + "/first",
                id: "first"
            )
            let proof = try await first.resume(deadline: .now + .seconds(2))
            let work = try #require(try await first.waitForWork(deadline: .now + .seconds(10)))
            #expect(work.wrongPages == 0, "\(work.token)")
            #expect(work.guestMicroseconds > 0 && work.observedAt >= proof.observedAt, "\(work.token)")
            await first.destroy()

            // Three pages of the working set (16 MiB up in guest memory, tagged with their address) get a
            // different first qword in the memory file: the next clone reads them through the host and must
            // count exactly those three.
            let memory = try FileHandle(forUpdating: URL(fileURLWithPath: snapshot.memoryPath))
            for page in [0, 511, 1023] {
                try memory.seek(toOffset: UInt64(0x100_0000 + page * 4096))
                try memory.write(contentsOf: Data(repeating: 0xA5, count: 8))
            }
            try memory.close()
            let second = try await ClonedVM.restore(
                from: snapshot,
                installation: installation,
                workingDirectory: clones + "/second",
                id: "second"
            )
            _ = try await second.resume(deadline: .now + .seconds(2))
            let caught = try #require(try await second.waitForWork(deadline: .now + .seconds(10)))
            #expect(caught.wrongPages == 3, "\(caught.token)")
            await second.destroy()
            #expect(Leftovers.childVMMs().isEmpty)
        }
    }
}

extension RealFirecracker {
    @Suite("Guest memory served by snapbench's page server (userfaultfd)")
    struct PageServerTests {
        /// File pages of the guest's working set: 16 MiB up in guest memory, which is where it sits in the file.
        static let workingSetPages = (0x100_0000 / 4096)..<(0x100_0000 / 4096 + 1024)

        @Test("faults are served from the file and recorded; a recorded prefetch and fault-all copy ahead of them")
        func servesRecordsPrefetches() async throws {
            let touch = WorkingSetTouch(mebibytes: 4, order: .random, access: .read, seed: 3)
            try await withGoldenSnapshot(touch: touch) { installation, snapshot, clones in
                let memory = try SnapshotMemoryMap(path: snapshot.memoryPath)
                #expect(memory.size == snapshot.manifest.memoryBytes)

                func served(_ id: String, _ serving: ClonedVM.PageServing) async throws -> PageFaultServer.Outcome {
                    let clone = try await ClonedVM.restore(
                        from: snapshot,
                        installation: installation,
                        workingDirectory: clones + "/" + id,
                        id: id,
                        options: ClonedVM.RestoreOptions(
                            memory: .pageServer(serving)
                        )
                    )
                    let proof = try await clone.resume(deadline: .now + .seconds(5))
                    #expect(GuestProof.matches(proof.token), "\(proof.token)")
                    let work = try #require(try await clone.waitForWork(deadline: .now + .seconds(20)))
                    // The guest read back the tag of every page it re-touched: the server copied the right bytes.
                    #expect(work.wrongPages == 0, "\(work.token)")
                    let pid = clone.vmm.pid
                    await clone.destroy()
                    let outcome = try #require(await clone.pageServer?.outcome())
                    #expect(outcome.ending == .stopped || outcome.ending == .vmmHungUp, "\(outcome.ending)")
                    #expect(!Leftovers.processExists(pid))
                    #expect(!FileManager.default.fileExists(atPath: clones + "/" + id))
                    return outcome
                }

                let onDemand = try await served(
                    "on-demand",
                    ClonedVM.PageServing(memory: memory, record: true, faultAroundPages: 1)
                )
                let recorded = try #require(onDemand.recorded)
                #expect(onDemand.statistics.faults >= Self.workingSetPages.count, "\(onDemand.statistics)")
                #expect(onDemand.statistics.prefetchedPages == 0 && onDemand.statistics.faultAroundPages == 0)
                #expect(Self.workingSetPages.allSatisfy(recorded.contains), "every re-touched page was recorded")
                #expect(recorded.count < memory.size / 4096 / 2, "only what the clone touched: \(recorded.count)")

                // 64 KiB blocks: the random re-touch of a dense working set takes about a sixteenth of the faults,
                // and the pages brought in around a fault are recorded with it.
                let around = try await served(
                    "fault-around",
                    ClonedVM.PageServing(memory: memory, record: true, faultAroundPages: 16)
                )
                #expect(around.statistics.faults * 4 < onDemand.statistics.faults, "\(around.statistics)")
                #expect(around.statistics.faultAroundPages > Self.workingSetPages.count / 2, "\(around.statistics)")
                let recordedAround = try #require(around.recorded)
                #expect(Self.workingSetPages.allSatisfy(recordedAround.contains))

                let prefetched = try await served("recorded", ClonedVM.PageServing(memory: memory, prefetch: recorded))
                #expect(prefetched.statistics.prefetchedPages + prefetched.statistics.faultPages >= recorded.count)
                #expect(prefetched.statistics.faults * 4 < onDemand.statistics.faults, "\(prefetched.statistics)")

                let all = PageSet.all(pageCount: Int(memory.size / 4096))
                let everything = try await served("all", ClonedVM.PageServing(memory: memory, prefetch: all))
                #expect(everything.statistics.prefetchedPages + everything.statistics.faultPages >= all.count)
                #expect(Leftovers.childVMMs().isEmpty)
            }
        }

        @Test("huge-page guest memory restores through the page server in 2 MiB faults, and not from the file")
        func hugePages() async throws {
            // 64 huge pages for each of the golden VM and one clone (128 MiB each), given back afterwards.
            let control = "/proc/sys/vm/nr_hugepages"
            let before = try #require(
                Int(
                    try String(contentsOfFile: control, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                )
            )
            try String(before + 130).write(toFile: control, atomically: false, encoding: .utf8)
            defer { try? String(before).write(toFile: control, atomically: false, encoding: .utf8) }
            let touch = WorkingSetTouch(mebibytes: 4, order: .random, access: .write, seed: 5)
            try await withGoldenSnapshot(touch: touch, hugePages: true) { installation, snapshot, clones in
                #expect(snapshot.manifest.spec.hugePages == true)
                await #expect(throws: FirecrackerError.self) {
                    _ = try await ClonedVM.restore(
                        from: snapshot,
                        installation: installation,
                        workingDirectory: clones + "/file",
                        id: "file"
                    )
                }
                let memory = try SnapshotMemoryMap(path: snapshot.memoryPath)
                let clone = try await ClonedVM.restore(
                    from: snapshot,
                    installation: installation,
                    workingDirectory: clones + "/huge",
                    id: "huge",
                    options: ClonedVM.RestoreOptions(
                        memory: .pageServer(ClonedVM.PageServing(memory: memory))
                    )
                )
                let proof = try await clone.resume(deadline: .now + .seconds(5))
                #expect(GuestProof.matches(proof.token), "\(proof.token)")
                let work = try #require(try await clone.waitForWork(deadline: .now + .seconds(20)))
                #expect(work.wrongPages == 0, "\(work.token)")
                await clone.destroy()
                let statistics = try #require(await clone.pageServer?.outcome().statistics)
                // 4 MiB of working set is 2 huge pages, not 1 024 small ones; each fault copies 512 small pages.
                #expect(statistics.faults < 64, "\(statistics)")
                #expect(
                    statistics.faultPages == statistics.faults * 512 - statistics.alreadyPresent * 512,
                    "\(statistics)"
                )
                #expect(Leftovers.childVMMs().isEmpty)
            }
        }

        @Test("a page the server cannot serve stops its VM: no hang, nothing left")
        func failingServerStopsTheVM() async throws {
            try await withGoldenSnapshot { installation, snapshot, clones in
                // A memory file cut to 1 MiB: the load's first fault above it cannot be served.
                let short = clones + "-short.mem"
                #expect(FileManager.default.createFile(atPath: short, contents: nil))
                let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: snapshot.memoryPath))
                try Data(input.readData(ofLength: 1 << 20)).write(to: URL(fileURLWithPath: short))
                try input.close()
                defer { try? FileManager.default.removeItem(atPath: short) }
                let memory = try SnapshotMemoryMap(path: short)
                var failure: (any Error)?
                do {
                    let clone = try await ClonedVM.restore(
                        from: snapshot,
                        installation: installation,
                        workingDirectory: clones + "/short",
                        id: "short",
                        options: ClonedVM.RestoreOptions(
                            memory: .pageServer(ClonedVM.PageServing(memory: memory))
                        )
                    )
                    do {
                        _ = try await clone.resume(deadline: .now + .seconds(5))
                    } catch {
                        failure = error
                    }
                    let ending = await clone.pageServer?.outcome().ending
                    #expect(
                        ending.map { if case .failed = $0 { true } else { false } } == true,
                        "\(String(describing: ending))"
                    )
                    await clone.destroy()
                } catch {
                    failure = error
                }
                // The server killed the VMM (no hang until the readiness deadline).
                #expect((failure as? FirecrackerError)?.code == .processExited, "\(String(describing: failure))")
                #expect(await Leftovers.settle { Leftovers.childVMMs().isEmpty })
                #expect(!FileManager.default.fileExists(atPath: clones + "/short"))
            }
        }
    }
}

/// What the kernel says of processes and Unix sockets, for tests that must act at a point inside an operation.
private enum KernelView {
    /// The `ss` tool (iproute2), when installed.
    static let tool: String? = ["/usr/bin/ss", "/bin/ss", "/usr/sbin/ss", "/sbin/ss"].first {
        access($0, X_OK) == 0
    }

    /// Waits until process `pid` is stopped (state `T` in `/proc/PID/stat`), polling; `false` after `timeout`.
    static func waitUntilStopped(_ pid: Int32, within timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")"),
                stat[stat.index(after: close)...].split(separator: " ").first == "T"
            {
                return true
            }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return false
    }

    /// Waits until a connection to the Unix socket bound at `path` has bytes its server has not read, polling;
    /// `false` after `timeout`.
    ///
    /// Seen from either end: an accepted connection is listed under its listener's path with its receive queue;
    /// one the server never accepted (the VMM was stopped before its API thread got to it, as happens on a loaded
    /// host) is not listed at all, so this process's own end counts too, whose send queue holds the bytes until
    /// the peer reads them.
    static func waitForUnreadBytes(on path: String, ss: String, within timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if unreadBytes(on: path, ss: ss) > 0 { return true }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return false
    }

    /// The unread bytes of the established connections on the Unix socket bound at `path` (a line of `ss -xnpH`
    /// reads `u_str ESTAB <Recv-Q> <Send-Q> <path> <inode> <peer> <peer inode> users:((…,pid=<pid>,…))`), plus
    /// the bytes this process sent on its own Unix stream connections that no peer has read.
    private static func unreadBytes(on path: String, ss: String) -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ss)
        process.arguments = ["-x", "-n", "-p", "-H"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return 0
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let ownProcess = "pid=\(getpid()),"
        return String(decoding: data, as: UTF8.self).split(separator: "\n").reduce(0) { total, line in
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard fields.count > 4, fields[0] == "u_str", fields[1] == "ESTAB" else { return total }
            if fields[4] == path { return total + (Int(fields[2]) ?? 0) }
            if line.contains(ownProcess) { return total + (Int(fields[3]) ?? 0) }
            return total
        }
    }
}
