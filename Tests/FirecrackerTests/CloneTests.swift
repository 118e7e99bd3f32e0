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
                let descriptorsBefore = Leftovers.openDescriptorCount()
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
                    try await clone.collectFirecrackerMetrics()
                    let timings = clone.timings
                    #expect(timings.processStart != nil && timings.load != nil && timings.resume != nil)
                    #expect(timings.readiness != nil && timings.firecrackerLoad != nil)
                    let pid = clone.vmm.pid
                    await clone.destroy()
                    #expect(!Leftovers.processExists(pid), "clone \(index) left its VMM running")
                    #expect(!FileManager.default.fileExists(atPath: directory), "clone \(index) left its directory")
                    #expect(Leftovers.childVMMs().isEmpty)
                }
                #expect(tokens.count == 20)
                #expect(await Leftovers.settle { Leftovers.openDescriptorCount() <= descriptorsBefore })
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
                defer { Task { await clone.destroy() } }
                let first = try await clone.resume(deadline: .now + .seconds(2))
                try await clone.pause()
                // The guest detects a same-generation resume by the gap in its (lazy, 50 ms) tick: a pause of
                // 300 ms runs past its next tick by more than the 50 ms gap.
                try await Task.sleep(for: .milliseconds(300))
                let second = try await clone.resume(deadline: .now + .seconds(2))
                let generation = { (token: String) in token.split(separator: " ").first { $0.hasPrefix("gen=") } }
                #expect(generation(first.token) == generation(second.token))
                #expect(GuestProof.matches(first.token, resumes: 1), "\(first.token)")
                #expect(GuestProof.matches(second.token, resumes: 2), "\(second.token)")
                await clone.destroy()
            }
        }

        @Test("a missing memory file is .snapshotMissing naming the file, before any VMM starts")
        func missingMemory() async throws {
            try await withGoldenSnapshot { installation, snapshot, clones in
                try FileManager.default.removeItem(atPath: snapshot.memoryPath)
                let error = try await #require(throws: FirecrackerError.self) {
                    try await ClonedVM.restore(
                        from: snapshot,
                        installation: installation,
                        workingDirectory: clones + "/c",
                        id: "c"
                    )
                }
                #expect(error.code == .snapshotMissing)
                #expect(error.message.contains("vm.mem"))
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
                let error = try await #require(throws: FirecrackerError.self) {
                    try await ClonedVM.restore(
                        from: snapshot,
                        installation: installation,
                        workingDirectory: clones + "/c",
                        id: "c"
                    )
                }
                #expect(error.code == .snapshotInvalid)
                #expect(error.faultMessage?.isEmpty == false)
                #expect(Leftovers.childVMMs().isEmpty)
                #expect(!FileManager.default.fileExists(atPath: clones + "/c"))
            }
        }

        @Test("a VMM killed during the load is .processExited naming the signal")
        func killedDuringLoad() async throws {
            try await withGoldenSnapshot { installation, snapshot, clones in
                // Stopping the VMM first makes the load certainly in flight when SIGKILL lands.
                let hooks = ClonedVM.Hooks { vmm in
                    try vmm.send(signal: SIGSTOP)
                    Task {
                        try await Task.sleep(for: .milliseconds(50))
                        try vmm.send(signal: SIGKILL)
                    }
                }
                let error = try await #require(throws: FirecrackerError.self) {
                    try await ClonedVM.restore(
                        from: snapshot,
                        installation: installation,
                        workingDirectory: clones + "/c",
                        id: "c",
                        hooks: hooks
                    )
                }
                #expect(error.code == .processExited)
                #expect(error.message.contains("signal 9"))
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
                jail: jail
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
