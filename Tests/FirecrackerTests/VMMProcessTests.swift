import Firecracker
import Foundation
import Glibc
import NIOHTTP1
import Synchronization
import TestSupport
import Testing

extension RealFirecracker {
    @Suite("VMM process lifecycle")
    struct VMMProcessTests {
        private func configuration(_ scratch: String, id: String = "lifecycle") async throws -> VMMConfiguration {
            let installation = try await TestEnvironment.installation()
            return VMMConfiguration(binary: installation.firecrackerPath, workingDirectory: scratch + "/vm", id: id)
        }

        @Test("launch answers on the API socket with logs apart from the console; destroy leaves nothing")
        func launchAndDestroy() async throws {
            let scratch = try TestEnvironment.scratchDirectory()
            defer { TestEnvironment.remove(scratch) }
            // The first VMM of the process opens what every later one shares and keeps (the event loops API clients
            // run on, the supervisor's process monitor, the file-event reactor). One launched and destroyed before
            // the baseline leaves in what this one opens only its own.
            let warmUp = try await VMMProcess.launch(try await configuration(scratch + "/warm-up", id: "warm-up"))
            await warmUp.destroy()
            let baseline = Leftovers.openDescriptors()
            let vmm = try await VMMProcess.launch(try await configuration(scratch))
            let info = try await vmm.api.instanceInfo()
            #expect(info.appName == "Firecracker")
            #expect(info.id == "lifecycle")
            #expect(info.vmmVersion == "1.12.1")
            #expect(vmm.startupDuration > .zero)
            #expect(Leftovers.childVMMs() == [vmm.pid])
            let limits = try String(contentsOfFile: "/proc/\(vmm.pid)/limits", encoding: .utf8)
            #expect(limits.split(separator: "\n").contains { $0.hasPrefix("Max open files") && $0.contains("1024") })
            #expect(FileManager.default.fileExists(atPath: vmm.workingDirectory + "/api.sock"))
            // What its handle holds while it runs (its API connection, its process descriptors, any file), by number
            // and target: each must be closed once it is destroyed, whatever else opens or closes meanwhile.
            let held = Leftovers.descriptorsOpened(since: baseline)
            #expect(!held.isEmpty, "a running VMM's handle holds at least its API connection")
            await vmm.destroy()
            #expect(vmm.exit != nil)
            #expect(!Leftovers.processExists(vmm.pid))
            #expect(!FileManager.default.fileExists(atPath: vmm.workingDirectory))
            #expect(Leftovers.childVMMs().isEmpty)
            #expect(
                await Leftovers.settle { Leftovers.stillOpen(held).isEmpty },
                "left open: \(Leftovers.stillOpen(held))"
            )
        }

        @Test("a binary that is not there is .binaryNotFound and creates nothing")
        func missingBinary() async throws {
            let scratch = try TestEnvironment.scratchDirectory()
            defer { TestEnvironment.remove(scratch) }
            let config = VMMConfiguration(
                binary: scratch + "/no-firecracker",
                workingDirectory: scratch + "/vm",
                id: "x"
            )
            let error = try await #require(throws: FirecrackerError.self) { try await VMMProcess.launch(config) }
            #expect(error.code == .binaryNotFound)
            #expect(!FileManager.default.fileExists(atPath: scratch + "/vm"))
        }

        @Test("a VMM that exits before its socket is ready is .processExited with its stderr")
        func exitsEarly() async throws {
            let scratch = try TestEnvironment.scratchDirectory()
            defer { TestEnvironment.remove(scratch) }
            var config = try await configuration(scratch)
            config.additionalArguments = ["--no-such-flag"]
            let error = try await #require(throws: FirecrackerError.self) { try await VMMProcess.launch(config) }
            #expect(error.code == .processExited)
            #expect(error.message.contains("no-such-flag"))
            #expect(Leftovers.childVMMs().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: config.workingDirectory))
        }

        @Test("a hung (SIGSTOPped) VMM times API calls out and is still stopped and reaped")
        func hungVMM() async throws {
            let scratch = try TestEnvironment.scratchDirectory()
            defer { TestEnvironment.remove(scratch) }
            let vmm = try await VMMProcess.launch(try await configuration(scratch))
            try vmm.send(signal: SIGSTOP)
            let error = try await #require(throws: FirecrackerError.self) {
                try await vmm.api.send(.GET, "/", timeout: .milliseconds(100))
            }
            #expect(error.code == .timeout)
            await vmm.destroy()
            #expect(!Leftovers.processExists(vmm.pid))
            #expect(!FileManager.default.fileExists(atPath: vmm.workingDirectory))
        }

        @Test("SIGKILL from outside is noticed as the process's exit, without polling")
        func killedFromOutside() async throws {
            let scratch = try TestEnvironment.scratchDirectory()
            defer { TestEnvironment.remove(scratch) }
            let vmm = try await VMMProcess.launch(try await configuration(scratch))
            #expect(kill(vmm.pid, SIGKILL) == 0)
            #expect(await vmm.waitForExit() == .signaled(SIGKILL))
            #expect(vmm.exit == .signaled(SIGKILL))
            // Signalling an ended process is a no-op, not an error.
            try vmm.send(signal: SIGTERM)
            await vmm.destroy()
            #expect(!FileManager.default.fileExists(atPath: vmm.workingDirectory))
        }

        @Test("a launcher that execs runs Firecracker under it: the pid spawned is Firecracker's own")
        func launcher() async throws {
            let scratch = try TestEnvironment.scratchDirectory()
            defer { TestEnvironment.remove(scratch) }
            var config = try await configuration(scratch)
            // env(1) execs its command like `ip netns exec` does, and needs no privileges or namespaces.
            config.launcher = ["/usr/bin/env", "SNAPBENCH_LAUNCHED=1"]
            let vmm = try await VMMProcess.launch(config)
            #expect(try await vmm.api.instanceInfo().id == "lifecycle")
            let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(vmm.pid)/exe")
            #expect(executable == URL(fileURLWithPath: config.binary).resolvingSymlinksInPath().path)
            let environment = try String(contentsOfFile: "/proc/\(vmm.pid)/environ", encoding: .utf8)
            #expect(environment.split(separator: "\0").contains("SNAPBENCH_LAUNCHED=1"))
            #expect(Leftovers.childVMMs() == [vmm.pid])
            await vmm.destroy()
            #expect(!Leftovers.processExists(vmm.pid))
            #expect(!FileManager.default.fileExists(atPath: vmm.workingDirectory))
        }

        @Test("a launcher that is not there is .binaryNotFound and creates nothing")
        func missingLauncher() async throws {
            let scratch = try TestEnvironment.scratchDirectory()
            defer { TestEnvironment.remove(scratch) }
            var config = try await configuration(scratch)
            config.launcher = [scratch + "/no-launcher", "netns", "exec", "x"]
            let error = try await #require(throws: FirecrackerError.self) { try await VMMProcess.launch(config) }
            #expect(error.code == .binaryNotFound)
            #expect(error.message.contains("no-launcher"))
            #expect(!FileManager.default.fileExists(atPath: config.workingDirectory))
        }

        @Test("a launcher that fails before exec is .processExited with the launcher's stderr")
        func failingLauncher() async throws {
            let scratch = try TestEnvironment.scratchDirectory()
            defer { TestEnvironment.remove(scratch) }
            var config = try await configuration(scratch)
            // Named without a path: looked up on PATH.
            config.launcher = ["env", "--no-such-option"]
            let error = try await #require(throws: FirecrackerError.self) { try await VMMProcess.launch(config) }
            #expect(error.code == .processExited)
            #expect(error.message.contains("no-such-option"))
            #expect(Leftovers.childVMMs().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: config.workingDirectory))
        }

        @Test("withVMM destroys the VMM when the body throws")
        func scopedCleanup() async throws {
            let scratch = try TestEnvironment.scratchDirectory()
            defer { TestEnvironment.remove(scratch) }
            let config = try await configuration(scratch)
            struct Boom: Error {}
            let pid = Mutex<Int32?>(nil)
            await #expect(throws: Boom.self) {
                try await withVMM(config) { vmm in
                    pid.withLock { $0 = vmm.pid }
                    throw Boom()
                }
            }
            let launched = try #require(pid.withLock { $0 })
            #expect(!Leftovers.processExists(launched))
            #expect(!FileManager.default.fileExists(atPath: config.workingDirectory))
        }
    }
}
