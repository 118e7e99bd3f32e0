import Firecracker
import Foundation
import HostSystem
import Reporting
import Scenarios
import Subprocess
import SystemPackage
import TestSupport
import Testing

@testable import Harness

/// What users ship, exercised for real: the reference agent's protocol, `docs/your-own-vm.md` followed step
/// by step, a snapshot another tool made restored from where it lies, and the ones that cannot be refused first.
@Suite("Your own VM, your own snapshot", .serialized, .timeLimit(.minutes(5)))
struct YourOwnVMTests {
    /// Runs `bash -c script` in `directory`; returns its exit status and output.
    static func bash(_ script: String, in directory: String) async throws -> (status: Int32, output: String) {
        let result = try await Subprocess.run(
            .path("/bin/bash"),
            arguments: ["-euo", "pipefail", "-c", script],
            workingDirectory: FilePath(directory),
            output: .string(limit: 1 << 20),
            error: .string(limit: 1 << 20)
        )
        guard case .exited(let code) = result.terminationStatus else { return (-1, "\(result.terminationStatus)") }
        return (code, result.standardOutput + result.standardError)
    }

    @Test("the reference agent answers its protocol over a Unix-socket stand-in (its own unittest, in Python)")
    func referenceAgent() async throws {
        let (status, output) = try await Self.bash(
            "python3 -m unittest Guest/agent/test_agent.py",
            in: TestEnvironment.packageRoot
        )
        #expect(status == 0, "\(output)")
        #expect(output.contains("Ran 5 tests") && output.contains("OK"), "\(output)")
    }

    /// The fenced blocks of `docs/your-own-vm.md` in order, with their info strings.
    static func docBlocks() throws -> [(info: String, text: String)] {
        let text = try String(contentsOfFile: TestEnvironment.packageRoot + "/docs/your-own-vm.md", encoding: .utf8)
        var blocks: [(String, String)] = []
        var current: (String, [String])?
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("```") {
                if let open = current {
                    blocks.append((open.0, open.1.joined(separator: "\n")))
                    current = nil
                } else {
                    current = (String(line.dropFirst(3)), [])
                }
            } else if current != nil {
                current?.1.append(line)
            }
        }
        return blocks
    }

    @Test(
        "docs/your-own-vm.md step by step: the snapshot by curl; its two commands run as written, ready over vsock",
        .requiresKVM
    )
    func followTheDocument() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let blocks = try Self.docBlocks()
        let shell = blocks.filter { $0.info == "sh" }
        let yaml = try #require(blocks.first { $0.info == "yaml" }).text
        // Step 1, as written but for the stand-ins the document names and where it all goes.
        let installation = try await TestEnvironment.installation()
        let makeSnapshot = try #require(shell.first { $0.text.contains("/snapshot/create") }).text
            .replacingOccurrences(of: "/tmp/my-vm", with: scratch + "/my-vm")
            .replacingOccurrences(of: "/srv/my-vm/vmlinux", with: try TestEnvironment.guestPath())
            .replacingOccurrences(of: "/srv/my-vm/rootfs.ext4", with: try ProjectPaths.locateStandInRootfs())
            .replacingOccurrences(of: "firecracker --api-sock", with: installation.firecrackerPath + " --api-sock")
        let made = try await Self.bash(makeSnapshot, in: scratch)
        #expect(made.status == 0, "\(made.output)")
        let state = try SnapshotStateFile.read(path: scratch + "/my-vm/vm.state")
        #expect(state.vsock?.udsPath == "vsock.sock" && state.drives.map(\.isRoot) == [true])
        // Step 2: the scenario as written, saved where the document says.
        try yaml.replacingOccurrences(of: "/tmp/my-vm", with: scratch + "/my-vm")
            .write(toFile: scratch + "/my-vm/my-vm.yaml", atomically: true, encoding: .utf8)
        // Step 3: run it, each command as written (snapbench the one built beside these tests).
        let executable = try CommandLineTests.executable()
        let before = try FileManager.default.contentsOfDirectory(atPath: scratch + "/my-vm").sorted()
        let commands = shell.map(\.text).filter { $0.hasPrefix("snapbench run ") }
        #expect(commands.count == 2, "\(commands)")
        for command in commands {
            let line =
                command.replacingOccurrences(of: "/tmp/my-vm", with: scratch + "/my-vm")
                .replacingOccurrences(of: "snapbench run ", with: executable + " run ")
                + " --no-progress --store none --work-dir \(scratch)/work --firecracker \(installation.firecrackerPath)"
            let ran = try await Self.bash(line, in: scratch)
            // Its report: in the command's --output, named for the scenario's own name or the shipped one's.
            let words = command.split(separator: " ").map(String.init)
            let output = try #require(words.firstIndex(of: "--output").map { words[$0 + 1] }, "\(command)")
            let name = command.contains("my-vm.yaml") ? "my-vm" : "smoke"
            let path = output.replacingOccurrences(of: "/tmp/my-vm", with: scratch + "/my-vm") + "/\(name).json"
            let report = try #require(try? ReportLoader.read(path).report, "\(command): \(ran.output.suffix(2_000))")
            // Every served clone proved readiness over vsock: the connect and the agent's reply, each timed.
            let connect = try #require(report.overall.latency(.vsockConnect), "\(command)")
            let reply = try #require(report.overall.latency(.agentReply), "\(command)")
            #expect(report.overall.served > 0 && connect.count == report.overall.served, "\(command)")
            #expect(reply.count == report.overall.served, "\(command)")
            if name == "my-vm" {
                #expect(ran.status == 0 && report.verdict == .pass, "\(ran.output.suffix(2_000))")
            }
        }
        // Nothing written beside the snapshot but the reports the commands asked for there.
        let after = try FileManager.default.contentsOfDirectory(atPath: scratch + "/my-vm").sorted()
        #expect(after == (before + ["reports", "smoke"]).sorted(), "\(after)")
        #expect(Leftovers.childVMMs().isEmpty)
    }

    @Test(
        "the linux path with its stand-ins: every key on real Firecracker, ready by its serial lines or by its agent",
        .requiresKVM
    )
    func linuxPathStandIn() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let installation = try await TestEnvironment.installation()
        // Each linux-path key as a Linux user writes it; `@guest` and `@rootfs` stand in for their kernel and
        // root drive. By the serial console the boot and resume lines are the proof; by vsock the agent's reply.
        let variants = try ScenarioParser.parseVariants(
            yaml: """
                name: linux-path
                description: the linux path's keys, each run for real with the stand-ins
                vm:
                  guest: linux
                  kernel: "@guest"
                  rootfs: "@rootfs"
                  boot_args: console=ttyS0 reboot=k panic=1 pci=off root=/dev/vda ro quiet
                  memory_mib: 128
                  vcpus: 1
                pool: {warm_target: 2, maximum_vms: 4}
                phases:
                  - {name: load, executor: constant-arrival-rate, rate: 10/s, duration: 2s, hold: {fixed: 10ms}}
                gates: [errors count == 0, leaks count == 0]
                variants:
                  # Without `quiet`: the stand-in then prints its resume line on the console, as an init would.
                  - name: serial
                    vm:
                      boot_args: console=ttyS0 reboot=k panic=1 pci=off root=/dev/vda ro
                      boot_pattern: SNAPBENCH-READY
                      resume_pattern: R
                  - name: vsock
                    vm: {readiness: {vsock: {port: 52, request: ready, expect: R}}}

                """,
            file: "linux-path.yaml"
        )
        #expect(variants.map(\.name) == ["linux-path.serial", "linux-path.vsock"])
        for scenario in variants {
            var options = ScenarioRunner.Options(workDirectory: scratch + "/work-" + scenario.name)
            options.firecrackerPath = installation.firecrackerPath
            options.guestPath = try TestEnvironment.guestPath()
            let report = try await ScenarioRunner(scenario: scenario, options: options).run()
            let failed = report.gates.filter { !$0.passed }.map { $0.reason ?? $0.expression }
            #expect(report.verdict == .pass && report.overall.served == 20, "\(scenario.name): \(failed)")
            let readiness = try #require(report.overall.latency(.readiness), "\(scenario.name)")
            #expect(readiness.count == report.overall.served)
            // Over vsock every served clone's connect and reply were timed; on the serial console there are none.
            let connects = report.overall.latency(.vsockConnect)?.count ?? 0
            #expect(connects == (scenario.readiness == nil ? 0 : report.overall.served), "\(scenario.name)")
        }
        #expect(Leftovers.childVMMs().isEmpty)
    }

    /// The built-in guest with a vsock device and readiness through its agent.
    static func withAgent(_ spec: inout VMSpec) {
        spec.vsock = Vsock(guestCid: 3, udsPath: "vsock.sock")
        spec.readiness.agent = .builtIn
    }

    @Test(
        "a snapshot of another format version, a truncated memory file, a missing state file: refused before any VM starts",
        .requiresKVM
    )
    func refusals() async throws {
        try await withGoldenSnapshot(adjust: Self.withAgent) { installation, snapshot, scratch in
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            let good = ExternalSnapshot(state: snapshot.statePath, memory: snapshot.memoryPath)
            let checked = try await ExternalSnapshotCheck(snapshot: good, installation: installation)
                .check(readiness: .builtIn)
            #expect(checked.formatVersion == "6.0.0")
            func refusal(_ external: ExternalSnapshot, readiness: AgentProbe? = .builtIn) async throws -> String {
                let error = try await #require(throws: RunError.self) {
                    try await ExternalSnapshotCheck(snapshot: external, installation: installation)
                        .check(readiness: readiness)
                }
                #expect(error.code == .invalidRequest)
                return error.message
            }
            // Another format version: the header's "6.0.0" made "6.1.0", the CRC made right again.
            var bytes = Array(try #require(FileManager.default.contents(atPath: snapshot.statePath)))
            let version = Array("6.0.0".utf8)
            let at = try #require((0..<64).first { Array(bytes[$0..<($0 + 5)]) == version })
            bytes[at + 2] = UInt8(ascii: "1")
            let body = Array(bytes[..<(bytes.count - 8)])
            let crc = SnapshotStateFile.crc64(body)
            bytes = body + (0..<8).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }
            let newer = scratch + "/newer.state"
            try Data(bytes).write(to: URL(fileURLWithPath: newer))
            let version61 = try await refusal(ExternalSnapshot(state: newer, memory: snapshot.memoryPath))
            #expect(version61.contains("\(newer) has snapshot format 6.1.0"), "\(version61)")
            #expect(version61.contains("loads format 6.0.0"))
            // A truncated memory file.
            let cut = scratch + "/cut.mem"
            #expect(FileManager.default.createFile(atPath: cut, contents: Data(count: 4096)))
            let truncated = try await refusal(ExternalSnapshot(state: snapshot.statePath, memory: cut))
            #expect(truncated.contains("memory file \(cut) has 4096 bytes") && truncated.contains("truncated"))
            // A file that is not there, and no readiness at all.
            let missing = try await refusal(
                ExternalSnapshot(state: scratch + "/none.state", memory: snapshot.memoryPath)
            )
            #expect(missing.contains("\(scratch)/none.state does not exist"))
            let silent = try await refusal(good, readiness: nil)
            #expect(silent.contains("names no readiness"))
            #expect(Leftovers.childVMMs().isEmpty)
        }
    }

    @Test(
        "a snapshot's missing drive, writable drive at an absolute path, absolute vsock socket: refused, naming them",
        .requiresKVM
    )
    func hostPathRefusals() async throws {
        let drives = try TestEnvironment.scratchDirectory("drives")
        defer { TestEnvironment.remove(drives) }
        let rootfs = drives + "/rootfs.ext4"
        try FileManager.default.copyItem(atPath: try ProjectPaths.locateStandInRootfs(), toPath: rootfs)
        func refusal(
            _ adjust: @escaping (inout VMSpec) -> Void,
            beforeCheck: () throws -> Void = {}
        )
            async throws -> String
        {
            try await withGoldenSnapshot(adjust: adjust) { installation, snapshot, _ in
                try beforeCheck()
                let external = ExternalSnapshot(state: snapshot.statePath, memory: snapshot.memoryPath)
                let error = try await #require(throws: RunError.self) {
                    try await ExternalSnapshotCheck(snapshot: external, installation: installation)
                        .check(readiness: .builtIn)
                }
                #expect(error.code == .invalidRequest)
                #expect(Leftovers.childVMMs().isEmpty)
                return error.message
            }
        }
        let drive = { (readOnly: Bool) in
            { (spec: inout VMSpec) in
                Self.withAgent(&spec)
                spec.drives = [Drive(driveId: "data", pathOnHost: rootfs, isRootDevice: false, isReadOnly: readOnly)]
            }
        }
        let writable = try await refusal(drive(false))
        #expect(writable.contains("drive `data` is writable at the absolute path \(rootfs)"), "\(writable)")
        let missing = try await refusal(drive(true)) {
            try FileManager.default.moveItem(atPath: rootfs, toPath: rootfs + ".gone")
        }
        #expect(missing.contains("drive `data` needs \(rootfs), which does not exist"), "\(missing)")
        let socket = try await refusal { spec in
            Self.withAgent(&spec)
            spec.vsock = Vsock(guestCid: 3, udsPath: drives + "/shared.sock")
        }
        #expect(socket.contains("binds the absolute path \(drives)/shared.sock"), "\(socket)")
    }
}
