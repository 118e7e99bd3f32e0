import Firecracker
import Foundation
import Glibc
import HostSystem
import MicroVM
import TestSupport
import Testing

/// The built-in guest's agent over vsock, on real Firecracker: readiness and work as an orchestrator asks for
/// them after each resume, and every way the channel can fail, typed.
extension RealFirecracker {
    @Suite("The agent's channel: vsock")
    struct AgentTests {
        /// The built-in guest with a vsock device and readiness through its agent (`touchMiB` of work when asked).
        static func agentSpec(_ spec: inout VMSpec, touchMiB: Int? = nil) {
            spec.vsock = Vsock(guestCid: 3, udsPath: "vsock.sock")
            var agent = AgentProbe.builtIn
            if let touchMiB {
                agent.workRequest = "touch \(touchMiB)"
                agent.workExpect = "W"
            }
            spec.readiness.agent = agent
        }

        static func agentOnly(_ spec: inout VMSpec) { agentSpec(&spec) }
        static func agentWithWork(_ spec: inout VMSpec) { agentSpec(&spec, touchMiB: 2) }
        /// The agent's answer is the golden VM's only boot signal: no serial boot line is awaited.
        static func agentAsBootSignal(_ spec: inout VMSpec) {
            agentSpec(&spec)
            spec.readiness.bootPrefix = ""
        }
        /// As a Linux user writes the command line: `quiet`, which the stand-in honours as a kernel would.
        static func agentQuiet(_ spec: inout VMSpec) {
            agentSpec(&spec)
            spec.bootArgs += " console=ttyS0 quiet"
        }
        static func agentWithDrives(_ spec: inout VMSpec) {
            agentSpec(&spec)
            spec.blockDevices = BlockDevices(count: 2, sizeMiB: 1, sharing: .readOnly)
        }

        /// A VMM with the built-in guest and a vsock device, configured and not started: for what a host does
        /// while the guest boots.
        static func configuredVMM(
            in scratch: String,
            id: String,
            adjust: (inout VMSpec) -> Void
        ) async throws -> VMMProcess {
            let installation = try await TestEnvironment.installation()
            var spec = VMSpec.builtInGuest(imagePath: try TestEnvironment.guestPath(), workingSetMiB: 4)
            adjust(&spec)
            let vmm = try await VMMProcess.launch(
                VMMConfiguration(binary: installation.firecrackerPath, workingDirectory: scratch + "/vm", id: id)
            )
            do {
                try await vmm.api.configure(BootSource(kernelImagePath: spec.kernelImagePath, bootArgs: spec.bootArgs))
                try await vmm.api.configure(MachineConfiguration(vcpuCount: 1, memSizeMib: spec.memoryMiB))
                try await vmm.api.configure(try #require(spec.vsock))
            } catch {
                await vmm.destroy()
                throw error
            }
            return vmm
        }

        @Test("each clone is ready when its agent answers over a new vsock connection, with its own generation id")
        func readinessOverVsock() async throws {
            try await withGoldenSnapshot(adjust: Self.agentWithWork) {
                installation,
                snapshot,
                clones in
                let golden = try #require(snapshot.manifest.goldenGeneration)
                var generations: Set<GenerationID> = [golden]
                for index in 0..<3 {
                    let clone = try await ClonedVM.restore(
                        from: snapshot,
                        installation: installation,
                        workingDirectory: "\(clones)/agent-\(index)",
                        id: "agent-\(index)"
                    )
                    let proof = try await clone.resume(deadline: .now + .seconds(2))
                    // The agent's reply is the serial proof: R<generation id>/<resumes>, this clone's own.
                    #expect(GuestProof.matches(proof.token, resumes: 1), "\(proof.token)")
                    let generation = try #require(proof.generation)
                    #expect(generations.insert(generation).inserted, "a generation id repeated: \(generation)")
                    let timings = clone.timings
                    let connect = try #require(timings.vsockConnect)
                    let reply = try #require(timings.agentReply)
                    let readiness = try #require(timings.readiness)
                    #expect(connect > .zero && reply > .zero && connect + reply <= readiness)
                    // Work when asked, over the same connection: 2 MiB re-touched, every page holding its tag.
                    let work = try #require(try await clone.waitForWork(deadline: .now + .seconds(5)))
                    #expect(work.wrongPages == 0 && work.guestMicroseconds > 0, "\(work.token)")
                    let again = try await clone.ask(.builtIn, "ready", expecting: "R", deadline: .now + .seconds(2))
                    #expect(again.reply == proof.token)
                    // One connection for readiness, work and the question after: the device opened just one.
                    let metrics = try #require(try await clone.collectFirecrackerMetrics())
                    #expect(metrics.vsockConnectionsAdded == 1, "\(metrics)")
                    #expect(FileManager.default.fileExists(atPath: clone.agentSocketPath(.builtIn)))
                    let pid = clone.vmm.pid
                    await clone.destroy()
                    #expect(!Leftovers.processExists(pid))
                }
                #expect(Leftovers.childVMMs().isEmpty)
                #expect((try? FileManager.default.contentsOfDirectory(atPath: clones))?.isEmpty ?? true)
            }
        }

        @Test("a port nobody listens on is refused, a reply that is not the proof is a mismatch, a frozen VM times out")
        func failuresAreTyped() async throws {
            try await withGoldenSnapshot(adjust: Self.agentOnly) { installation, snapshot, clones in
                let clone = try await ClonedVM.restore(
                    from: snapshot,
                    installation: installation,
                    workingDirectory: clones + "/typed",
                    id: "typed"
                )
                _ = try await clone.resume(deadline: .now + .seconds(2))
                let socket = clone.agentSocketPath(.builtIn)
                let refused = try await #require(throws: FirecrackerError.self) {
                    try await AgentChannel.ask(
                        socketPath: socket,
                        port: 53,
                        request: "ready",
                        deadline: .now + .seconds(2)
                    )
                }
                #expect(refused.code == .agentRefused, "\(refused)")
                // Step by step (connect, then the request once `OK` came) and with the request in the connect's
                // write, the agent answers alike.
                let stepwise = try await AgentChannel.connect(
                    socketPath: socket,
                    port: 52,
                    deadline: .now + .seconds(2)
                )
                let unknown = try await stepwise.ask("what", deadline: .now + .seconds(2))
                stepwise.close()
                #expect(unknown.reply == "E unknown request" && !unknown.sentWithConnect)
                #expect(unknown.agentReply == unknown.requested.duration(to: unknown.replied))
                let ahead = try await AgentChannel.ask(
                    socketPath: socket,
                    port: 52,
                    request: "what",
                    deadline: .now + .seconds(2)
                )
                #expect(ahead.reply == "E unknown request" && ahead.sentWithConnect)
                #expect(
                    ahead.requested == ahead.started && ahead.agentReply == ahead.connected.duration(to: ahead.replied)
                )
                var wrong = AgentProbe.builtIn
                wrong.expect = "READY"
                let mismatch = try await #require(throws: FirecrackerError.self) {
                    try await clone.ask(wrong, "ready", expecting: wrong.expect, deadline: .now + .seconds(2))
                }
                #expect(mismatch.code == .agentMismatch && mismatch.message.contains("starting with `READY`"))
                let missing = try await #require(throws: FirecrackerError.self) {
                    try await AgentChannel.ask(
                        socketPath: clones + "/none.sock",
                        port: 52,
                        request: "ready",
                        deadline: .now + .seconds(1)
                    )
                }
                #expect(missing.code == .agentRefused)
                // A stopped VMM accepts the Unix connection but never answers: the deadline ends the wait.
                try clone.vmm.send(signal: SIGSTOP)
                let started = ContinuousClock.now
                let timeout = try await #require(throws: FirecrackerError.self) {
                    try await AgentChannel.ask(
                        socketPath: socket,
                        port: 52,
                        request: "ready",
                        deadline: .now + .milliseconds(300)
                    )
                }
                #expect(timeout.code == .agentTimeout, "\(timeout)")
                #expect(started.duration(to: .now) < .seconds(5))
                try clone.vmm.send(signal: SIGCONT)
                await clone.destroy()
                #expect(Leftovers.childVMMs().isEmpty)
            }
        }

        @Test("sixteen requests in one write are all answered, in order: replies wait for a free tx descriptor")
        func pipelinedRequests() async throws {
            try await withGoldenSnapshot(adjust: Self.agentOnly) { installation, snapshot, clones in
                let clone = try await ClonedVM.restore(
                    from: snapshot,
                    installation: installation,
                    workingDirectory: clones + "/pipelined",
                    id: "pipelined"
                )
                _ = try await clone.resume(deadline: .now + .seconds(2))
                let connection = try await AgentChannel.connect(
                    socketPath: clone.agentSocketPath(.builtIn),
                    port: AgentProbe.builtIn.port,
                    deadline: .now + .seconds(2)
                )
                // More replies at once than the guest has tx descriptors (8): fifteen unknown requests, then `ready`.
                let burst = Array(repeating: "what", count: 15) + ["ready"]
                var replies = [
                    try await connection.ask(burst.joined(separator: "\n"), deadline: .now + .seconds(2)).reply
                ]
                // Each later ask writes one more `ready` and takes the next line: the burst's replies come first.
                while replies.count < 17 {
                    replies.append(try await connection.ask("ready", deadline: .now + .seconds(2)).reply)
                }
                #expect(replies.prefix(15).allSatisfy { $0 == "E unknown request" }, "\(replies)")
                #expect(replies.suffix(2).allSatisfy { GuestProof.matches($0, resumes: 1) }, "\(replies)")
                connection.close()
                await clone.destroy()
                #expect(Leftovers.childVMMs().isEmpty)
            }
        }

        @Test(
            "with `quiet` on its command line the guest writes no proof to the console after a resume, only to the agent"
        )
        func quietConsole() async throws {
            for adjust in [Self.agentOnly, Self.agentQuiet] {
                try await withGoldenSnapshot(adjust: adjust) { installation, snapshot, clones in
                    let clone = try await ClonedVM.restore(
                        from: snapshot,
                        installation: installation,
                        workingDirectory: clones + "/quiet",
                        id: "quiet"
                    )
                    let proof = try await clone.resume(deadline: .now + .seconds(2))
                    #expect(GuestProof.matches(proof.token, resumes: 1), "\(proof.token)")
                    let quiet = snapshot.manifest.spec.bootArgs.split(separator: " ").contains("quiet")
                    if !quiet {
                        let line = try await clone.vmm.serial.waitForLine(
                            startingWith: "R",
                            deadline: .now + .seconds(2)
                        )
                        #expect(line.text == proof.token)
                    }
                    await clone.destroy()
                    // The guest prints its line before it answers (the reply's resume count is taken after the print),
                    // and the VMM has ended: the console holds everything it ever wrote.
                    #expect(clone.vmm.serial.transcript().contains(proof.token) == !quiet)
                }
            }
        }

        @Test("the agent first answers once the guest has booted: its READY line is on the console before any reply")
        func answersAfterBoot() async throws {
            let scratch = try TestEnvironment.scratchDirectory()
            defer { TestEnvironment.remove(scratch) }
            let vmm = try await Self.configuredVMM(in: scratch, id: "early", adjust: Self.agentQuiet)
            do {
                try await vmm.api.perform(InstanceAction(.instanceStart))
                // Asked back to back from the start: a host whose boot signal is this answer (a golden VM of the
                // `guest: linux` path) snapshots the guest as it is at the first reply.
                let deadline = ContinuousClock.now + .seconds(5)
                var reply: String?
                while reply == nil, ContinuousClock.now < deadline {
                    // A connect made before the guest drives its device is never answered: each try is short.
                    reply = try? await AgentChannel.ask(
                        socketPath: vmm.workingDirectory + "/vsock.sock",
                        port: AgentProbe.builtIn.port,
                        request: "ready",
                        deadline: .now + .milliseconds(15)
                    ).reply
                }
                #expect(reply?.hasPrefix("R") == true)
                // Firecracker writes each console byte before the guest runs on, so the whole boot is there.
                let transcript = vmm.serial.transcript()
                #expect(transcript.contains("SNAPBENCH-READY"), "\(transcript)")
            } catch {
                await vmm.destroy()
                throw error
            }
            await vmm.destroy()
            #expect(Leftovers.childVMMs().isEmpty)
        }

        @Test(
            "connections the host opened while the guest was off are all settled once it boots: none is left hanging"
        )
        func connectionsWaitingAtBoot() async throws {
            let scratch = try TestEnvironment.scratchDirectory()
            defer { TestEnvironment.remove(scratch) }
            let vmm = try await Self.configuredVMM(in: scratch, id: "waiting", adjust: Self.agentOnly)
            do {
                // More than the guest has rx buffers (8): the device fills every one the moment the driver
                // activates it. The guest that unmasked its interrupt line only after that lost the one interrupt
                // saying so, and then answered nothing at all (a host asking every 15 ms from the start of the
                // boot hit it whenever the boot took longer than 8 tries).
                var early: [EarlyVsockConnection] = []
                for _ in 0..<12 {
                    early.append(
                        try await EarlyVsockConnection.open(
                            socketPath: vmm.workingDirectory + "/vsock.sock",
                            port: AgentProbe.builtIn.port,
                            request: "ready"
                        )
                    )
                }
                try await vmm.api.perform(InstanceAction(.instanceStart))
                var answered = 0
                for connection in early {
                    switch await connection.result(within: .seconds(5)) {
                    case .answered(let reply):
                        #expect(reply.hasPrefix("R"), "\(reply)")
                        answered += 1
                    case .closed:
                        break  // refused: the guest keeps 4 connections, and says so to the rest
                    case .timedOut(let received):
                        Issue.record(
                            "a connection opened before the boot was neither answered nor refused: \(received)"
                        )
                    }
                }
                #expect(answered >= 1)
                let after = try await AgentChannel.ask(
                    socketPath: vmm.workingDirectory + "/vsock.sock",
                    port: AgentProbe.builtIn.port,
                    request: "ready",
                    deadline: .now + .seconds(2)
                )
                #expect(after.reply.hasPrefix("R"), "\(after.reply)")
            } catch {
                await vmm.destroy()
                throw error
            }
            await vmm.destroy()
            #expect(Leftovers.childVMMs().isEmpty)
        }

        @Test("a golden VM whose agent is its only boot signal is snapshotted once the agent answers")
        func bootByAgent() async throws {
            try await withGoldenSnapshot(adjust: Self.agentAsBootSignal) { installation, snapshot, clones in
                #expect(snapshot.manifest.readyLine?.hasPrefix("R") == true, "\(snapshot.manifest.readyLine ?? "")")
                // Every clone's first connection is numbered as the golden VM's was. Closed before the pause, the
                // golden's connection left the guest's reset for it in the device's queue in some snapshots, and
                // that reset then killed the first connection of a share of their clones: none may be refused.
                for index in 0..<8 {
                    let clone = try await ClonedVM.restore(
                        from: snapshot,
                        installation: installation,
                        workingDirectory: clones + "/booted-\(index)",
                        id: "booted-\(index)"
                    )
                    do {
                        let proof = try await clone.resume(deadline: .now + .seconds(2))
                        #expect(proof.generation != nil && proof.generation != snapshot.manifest.goldenGeneration)
                    } catch {
                        Issue.record("clone \(index) of a golden VM booted by its agent: \(error)")
                    }
                    await clone.destroy()
                }
                #expect(Leftovers.childVMMs().isEmpty)
            }
        }
    }

    @Suite("Snapshot state files, read without Firecracker")
    struct SnapshotStateFileTests {
        @Test("a state file names its format, memory, vsock socket and drives; the CRC and layout are checked")
        func decode() async throws {
            try await withGoldenSnapshot(adjust: AgentTests.agentWithDrives) { _, snapshot, clones in
                let state = try SnapshotStateFile.read(path: snapshot.statePath)
                #expect(state.formatVersion == "6.0.0")
                #expect(state.memorySizeMiB == 128 && state.memoryBytes == snapshot.manifest.memoryBytes)
                #expect(state.vsock == SnapshotStateFile.VsockState(udsPath: "vsock.sock", guestCID: 3))
                #expect(Set(state.drives.map(\.path)) == ["drive0.img", "drive1.img"])
                #expect(state.drives.allSatisfy { $0.isReadOnly && !$0.isRoot })
                #expect(state.networkInterfaces.isEmpty && !state.hasBalloon && !state.hugePages)
                #expect(state.kernelImagePath == snapshot.manifest.spec.kernelImagePath)
                #expect(state.vcpuCount == 1)
                var bytes = try #require(FileManager.default.contents(atPath: snapshot.statePath))
                try FileManager.default.createDirectory(atPath: clones, withIntermediateDirectories: true)
                // One flipped byte: the CRC says so.
                bytes[bytes.count / 2] ^= 0xFF
                let damaged = clones + "/damaged.state"
                try bytes.write(to: URL(fileURLWithPath: damaged))
                let crc = try #require(throws: SnapshotStateError.self) { try SnapshotStateFile.read(path: damaged) }
                #expect(crc.reason.contains("CRC-64") && crc.path == damaged)
                // Cut short: the CRC too.
                let cut = clones + "/cut.state"
                try bytes.prefix(100).write(to: URL(fileURLWithPath: cut))
                #expect(throws: SnapshotStateError.self) { try SnapshotStateFile.read(path: cut) }
            }
        }

        @Test("CRC-64 is the Jones polynomial's, as Firecracker's state files end with")
        func crc() {
            #expect(SnapshotStateFile.crc64(Array("123456789".utf8)) == 0xE9C6_D914_C4B8_D9CA)
            #expect(FirecrackerInstallation.snapshotFormat("6.0.0", loadsIn: "6.0.0"))
            #expect(FirecrackerInstallation.snapshotFormat("6.0.0", loadsIn: "6.2.0"))
            #expect(!FirecrackerInstallation.snapshotFormat("6.1.0", loadsIn: "6.0.0"))
            #expect(!FirecrackerInstallation.snapshotFormat("5.0.0", loadsIn: "6.0.0"))
            #expect(!FirecrackerInstallation.snapshotFormat("bad", loadsIn: "6.0.0"))
        }
    }
}
