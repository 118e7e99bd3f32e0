import Firecracker
import Foundation
import Glibc
import MicroVM
import SnapshotPool
import Subprocess
import SystemPackage
import TestSupport
import Testing

// MARK: - Without privileges

@Suite("Network slot pool configuration")
struct NetworkSlotConfigurationTests {
    @Test("ownedPrefix encodes this process's pid, and a tag after it")
    func ownedPrefix() {
        #expect(NetworkSlotPool.ownedPrefix() == "snb-\(getpid())")
        #expect(NetworkSlotPool.ownedPrefix(kind: "x", tag: "gold") == "x-\(getpid())-gold")
    }

    @Test(
        "a prefix without the owner's pid, a bad TAP name, duplicates or no slots are refused before any command",
        arguments: [
            ("snb-shared", 1, ["tap0"]),
            ("snb-\(getpid()) x", 1, ["tap0"]),
            ("", 1, ["tap0"]),
            ("snb-\(getpid())", 0, ["tap0"]),
            ("snb-\(getpid())", 1, []),
            ("snb-\(getpid())", 1, ["tap0", "tap0"]),
            ("snb-\(getpid())", 1, ["a-name-of-16-byt"]),
            ("snb-\(getpid())", 1, ["tap/0"]),
            ("snb-\(getpid())", 1, ["tap:0"]),
        ]
    )
    func invalid(prefix: String, count: Int, tapNames: [String]) async throws {
        // A missing `ip` proves nothing was run: running it would fail with .commandFailed instead.
        let error = try await #require(throws: NetworkSlotError.self) {
            try await NetworkSlotPool(prefix: prefix, count: count, tapNames: tapNames, ipPath: "/nowhere/ip")
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.command == nil)
    }

    @Test("an ip that cannot be started is .commandFailed carrying the command")
    func missingIP() async throws {
        let error = try await #require(throws: NetworkSlotError.self) {
            try await NetworkSlotPool(
                prefix: NetworkSlotPool.ownedPrefix(tag: "noip"),
                count: 1,
                tapNames: ["tap0"],
                ipPath: "/nowhere/ip"
            )
        }
        #expect(error.code == .commandFailed)
        #expect(error.command == ["/nowhere/ip", "netns", "add", NetworkSlotPool.ownedPrefix(tag: "noip") + "-0"])
        #expect(error.underlying != nil)
        #expect(error.description.contains("/nowhere/ip netns add"))
    }
}

// MARK: - Real namespaces and Firecracker

/// Creates real network namespaces and TAP devices (root) and runs real Firecracker clones in them (KVM),
/// one test at a time: each checks that no namespace, VMM or directory is left behind.
@Suite(
    "Network slots (real namespaces and Firecracker)",
    .serialized,
    .requiresKVM,
    .timeLimit(.minutes(3))
)
struct NetworkSlotTests {
    @Test("three slots each hold tap0, up; leases are exclusive; release empties; destroy deletes all")
    func threeSlots() async throws {
        let prefix = NetworkSlotPool.ownedPrefix(tag: "a")
        let pool = try await NetworkSlotPool(prefix: prefix, count: 3, tapNames: ["tap0"])
        do {
            #expect(pool.slots.map(\.namespace) == ["\(prefix)-0", "\(prefix)-1", "\(prefix)-2"])
            #expect(try await IP.namespaces(prefix: prefix + "-").sorted() == pool.slots.map(\.namespace))
            for slot in pool.slots {
                let link = try await IP.run("-n", slot.namespace, "link", "show", "tap0")
                #expect(link.contains("tap0:") && link.contains(",UP"), "\(slot.namespace): \(link)")
                #expect(slot.launcher == [NetworkSlotPool.defaultIPPath, "netns", "exec", slot.namespace])
                #expect(slot.tapName == "tap0")
            }

            // A second pool under the same names fails on the existing namespace, naming the command and the
            // kernel's reason, and leaves the first pool's namespaces alone.
            let clash = try await #require(throws: NetworkSlotError.self) {
                try await NetworkSlotPool(prefix: prefix, count: 1, tapNames: ["tap0"])
            }
            #expect(clash.code == .commandFailed)
            #expect(clash.command == [NetworkSlotPool.defaultIPPath, "netns", "add", "\(prefix)-0"])
            #expect(clash.standardError?.contains("exists") == true, "\(clash)")
            #expect(try await IP.namespaces(prefix: prefix + "-").count == 3)

            let leased = [try await pool.acquire(), try await pool.acquire(), try await pool.acquire()]
            #expect(Set(leased).count == 3)
            #expect(await pool.availableCount == 0)
            let exhausted = try await #require(throws: NetworkSlotError.self) { try await pool.acquire() }
            #expect(exhausted.code == .exhausted)

            // A VMM left running in a released slot is killed, so the next lease finds tap0 free.
            let installation = try await TestEnvironment.installation()
            let scratch = try TestEnvironment.scratchDirectory()
            defer { TestEnvironment.remove(scratch) }
            var configuration = VMMConfiguration(
                binary: installation.firecrackerPath,
                workingDirectory: scratch + "/vm",
                id: "straggler"
            )
            configuration.launcher = leased[1].launcher
            let straggler = try await VMMProcess.launch(configuration)
            #expect(try await IP.pids(in: leased[1].namespace) == [straggler.pid])
            try await pool.release(leased[1])
            #expect(await straggler.waitForExit() == .signaled(SIGKILL))
            #expect(try await IP.pids(in: leased[1].namespace).isEmpty)
            await straggler.destroy()

            let notLeased = try await #require(throws: NetworkSlotError.self) { try await pool.release(leased[1]) }
            #expect(notLeased.code == .notLeased)
            #expect(await pool.availableCount == 1)
            #expect(try await pool.acquire() == leased[1])
        } catch {
            try? await pool.destroy()
            throw error
        }
        try await pool.destroy()
        #expect(try await IP.namespaces(prefix: prefix + "-").isEmpty)
        try await pool.destroy()
        let destroyed = try await #require(throws: NetworkSlotError.self) { try await pool.acquire() }
        #expect(destroyed.code == .destroyed)
        #expect(Leftovers.childVMMs().isEmpty)
    }

    @Test("two clones of a snapshot with eth0 on tap0 and a relative vsock, restored concurrently in two slots")
    func concurrentClones() async throws {
        try await withNetworkedGolden { installation, snapshot, clones in
            let prefix = NetworkSlotPool.ownedPrefix(tag: "clones")
            let pool = try await NetworkSlotPool(prefix: prefix, count: 2, tapNames: ["tap0"])
            var directories: [String] = []
            do {
                let slots = [try await pool.acquire(), try await pool.acquire()]
                directories = slots.indices.map { "\(clones)/clone-\($0)" }
                let restores = slots.indices.map { index in
                    { @Sendable [directories] in
                        try await ClonedVM.restore(
                            from: snapshot,
                            installation: installation,
                            workingDirectory: directories[index],
                            id: "clone-\(index)",
                            options: ClonedVM.RestoreOptions(
                                launcher: slots[index].launcher
                            )
                        )
                    }
                }
                let restored = try await restoreConcurrently(restores)
                do {
                    async let first = restored[0].resume(deadline: .now + .seconds(2))
                    async let second = restored[1].resume(deadline: .now + .seconds(2))
                    let tokens = try await [first.token, second.token]
                    #expect(tokens[0] != tokens[1], "both clones printed \(tokens[0])")
                    for (clone, slot) in zip(restored, slots) {
                        try await expectRuns(clone, in: slot, onTap: "tap0")
                    }
                } catch {
                    for clone in restored { await clone.destroy() }
                    throw error
                }
                for clone in restored { await clone.destroy() }
                for slot in slots { try await pool.release(slot) }
            } catch {
                try? await pool.destroy()
                throw error
            }
            try await pool.destroy()
            #expect(try await IP.namespaces(prefix: prefix + "-").isEmpty)
            #expect(Leftovers.childVMMs().isEmpty)
            for directory in directories {
                #expect(!FileManager.default.fileExists(atPath: directory), "\(directory) was left behind")
            }
            #expect((try? FileManager.default.contentsOfDirectory(atPath: clones))?.isEmpty ?? true)
        }
    }

    @Test("one namespace holds one clone per TAP name; network_overrides on load puts a second clone on tap1")
    func networkOverrides() async throws {
        try await withNetworkedGolden { installation, snapshot, clones in
            let prefix = NetworkSlotPool.ownedPrefix(tag: "override")
            try await withNetworkSlotPool(prefix: prefix, count: 1, tapNames: ["tap1"]) { pool in
                let slot = try await pool.acquire()
                let restore = { (name: String, overrides: [NetworkOverride]?) in
                    try await ClonedVM.restore(
                        from: snapshot,
                        installation: installation,
                        workingDirectory: "\(clones)/\(name)",
                        id: name,
                        options: ClonedVM.RestoreOptions(
                            networkOverrides: overrides,
                            launcher: slot.launcher
                        )
                    )
                }
                // The namespace has no tap0, yet the load succeeds: as root, Firecracker's TUNSETIFF creates a
                // missing TAP (down, and gone with its descriptor). So a missing TAP is no error here…
                let first = try await restore("first", nil)
                do {
                    try await first.resume(deadline: .now + .seconds(2))
                    #expect(try tunInterfaces(of: first.vmm.pid) == ["tap0"])
                    // …but the name is baked into the snapshot: a second clone in the same namespace finds tap0
                    // taken, which is why each clone needs a slot of its own, or an override.
                    let busy = try await #require(throws: FirecrackerError.self) { try await restore("busy", nil) }
                    #expect(busy.code == .snapshotInvalid, "\(busy)")
                    #expect(busy.faultMessage?.contains("tap0") == true || busy.faultMessage?.contains("busy") == true)

                    let overridden = try await restore(
                        "overridden",
                        [NetworkOverride(ifaceId: "eth0", hostDevName: "tap1")]
                    )
                    do {
                        try await overridden.resume(deadline: .now + .seconds(2))
                        try await expectRuns(overridden, in: slot, onTap: "tap1")
                    } catch {
                        await overridden.destroy()
                        throw error
                    }
                    await overridden.destroy()
                } catch {
                    await first.destroy()
                    throw error
                }
                await first.destroy()
                try await pool.release(slot)
            }
            #expect(try await IP.namespaces(prefix: prefix + "-").isEmpty)
            #expect(Leftovers.childVMMs().isEmpty)
            #expect((try? FileManager.default.contentsOfDirectory(atPath: clones))?.isEmpty ?? true)
        }
    }

    @Test("reclaimOrphans deletes the namespaces of a dead owner, with the VMM inside, and keeps a live owner's")
    func reclaimOrphans() async throws {
        let kind = "snb-t\(getpid())"
        let base = kind + "-"
        // A pid that certainly belonged to a process that is gone: a child that has exited and been reaped.
        let dead = try await Subprocess.run(.path("/bin/true"), output: .discarded).processIdentifier.value
        let orphan = "\(base)\(dead)-0"
        try await IP.run("netns", "add", orphan)
        let installation = try await TestEnvironment.installation()
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        var configuration = VMMConfiguration(
            binary: installation.firecrackerPath,
            workingDirectory: scratch + "/vm",
            id: "orphaned"
        )
        configuration.launcher = [NetworkSlotPool.defaultIPPath, "netns", "exec", orphan]
        let vmm: VMMProcess
        do {
            vmm = try await VMMProcess.launch(configuration)
        } catch {
            _ = try? await IP.run("netns", "delete", orphan)
            throw error
        }
        let live = NetworkSlotPool.ownedPrefix(kind: kind)
        try await withNetworkSlotPool(prefix: live, count: 1, tapNames: ["tap0"]) { pool in
            let reclaimed = try await NetworkSlotPool.reclaimOrphans(kind: kind)
            #expect(reclaimed == [orphan])
            #expect(await vmm.waitForExit() == .signaled(SIGKILL))
            #expect(try await IP.namespaces(prefix: base) == [pool.slots[0].namespace])
            #expect(try await NetworkSlotPool.reclaimOrphans(kind: kind).isEmpty)
        }
        await vmm.destroy()
        #expect(try await IP.namespaces(prefix: base).isEmpty)
        #expect(Leftovers.childVMMs().isEmpty)
    }

    // MARK: - Helpers

    /// Builds a golden snapshot of the built-in guest with `eth0` on `tap0` and a vsock at the relative
    /// `vsock.sock`, booted inside a slot of its own (tap0 must exist where the golden VM runs).
    private func withNetworkedGolden(
        _ body: (FirecrackerInstallation, GoldenSnapshot, String) async throws -> Void
    ) async throws {
        let installation = try await TestEnvironment.installation()
        var spec = VMSpec.builtInGuest(imagePath: try TestEnvironment.guestPath(), workingSetMiB: 4)
        spec.networkInterfaces = [NetworkInterface(ifaceId: "eth0", hostDevName: "tap0", guestMac: "06:00:AC:10:00:02")]
        spec.vsock = Vsock(guestCid: 3, udsPath: "vsock.sock")
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let prefix = NetworkSlotPool.ownedPrefix(tag: "golden")
        let snapshot = try await withNetworkSlotPool(prefix: prefix, count: 1, tapNames: ["tap0"]) { pool in
            try await GoldenSnapshot.build(
                spec: spec,
                installation: installation,
                into: scratch + "/golden",
                launcher: try await pool.acquire().launcher
            )
        }
        #expect(try await IP.namespaces(prefix: prefix + "-").isEmpty)
        #expect(snapshot.manifest.spec.networkInterfaces.map(\.hostDevName) == ["tap0"])
        try await body(installation, snapshot, scratch + "/clones")
    }

    /// Restores all at once; when one fails, the others are destroyed and the first error is thrown.
    private func restoreConcurrently(
        _ restores: [@Sendable () async throws -> ClonedVM]
    ) async throws -> [ClonedVM] {
        let results = await withTaskGroup(of: (Int, Result<ClonedVM, any Error>).self) { group in
            for (index, restore) in restores.enumerated() {
                group.addTask {
                    do { return (index, .success(try await restore())) } catch { return (index, .failure(error)) }
                }
            }
            var results: [(Int, Result<ClonedVM, any Error>)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let clones = results.compactMap { try? $0.get() }
        for result in results {
            if case .failure(let error) = result {
                for clone in clones { await clone.destroy() }
                throw error
            }
        }
        return clones
    }

    /// Checks that a resumed clone's Firecracker runs in `slot`'s namespace, holds `tap` open through
    /// /dev/net/tun (carrier up), and bound the snapshot's relative vsock socket in its own working directory.
    private func expectRuns(_ clone: ClonedVM, in slot: NetworkSlot, onTap tap: String) async throws {
        let pid = clone.vmm.pid
        #expect(try inode("/proc/\(pid)/ns/net") == inode("/run/netns/\(slot.namespace)"), "\(pid) not in \(slot)")

        let interfaces = try tunInterfaces(of: pid)
        #expect(interfaces == [tap], "clone \(pid) holds /dev/net/tun for \(interfaces)")
        let link = try await IP.run("-n", slot.namespace, "link", "show", tap)
        #expect(link.contains("LOWER_UP") && !link.contains("NO-CARRIER"), "\(slot.namespace): \(link)")

        // The relative uds_path resolves in the clone's own working directory, and the socket is bound by
        // a process of the clone's namespace (/proc/PID/net/unix lists that namespace's sockets).
        let socket = clone.vmm.workingDirectory + "/vsock.sock"
        var status = stat()
        #expect(stat(socket, &status) == 0 && status.st_mode & S_IFMT == S_IFSOCK, "no vsock socket at \(socket)")
        let unix = try String(contentsOfFile: "/proc/\(pid)/net/unix", encoding: .utf8)
        #expect(unix.split(separator: "\n").contains { $0.hasSuffix(" vsock.sock") }, "vsock.sock not bound")
    }

    /// The interfaces `pid` holds open through /dev/net/tun: tun's fdinfo names the one a descriptor is
    /// attached to (`iff:`, set by TUNSETIFF).
    private func tunInterfaces(of pid: Int32) throws -> [String?] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").filter { descriptor in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(descriptor)"))
                == "/dev/net/tun"
        }.map { descriptor in
            try String(contentsOfFile: "/proc/\(pid)/fdinfo/\(descriptor)", encoding: .utf8)
                .split(separator: "\n").first { $0.hasPrefix("iff:") }?
                .dropFirst(4).trimmingCharacters(in: .whitespaces)
        }
    }

    private func inode(_ path: String) throws -> UInt {
        var status = stat()
        guard stat(path, &status) == 0 else { throw Errno(rawValue: errno) }
        return UInt(status.st_ino)
    }
}

/// Runs `ip` for the tests' own observations, apart from the code under test.
private enum IP {
    @discardableResult
    static func run(_ arguments: String...) async throws -> String {
        let record = try await Subprocess.run(
            .path(FilePath(NetworkSlotPool.defaultIPPath)),
            arguments: Arguments(arguments),
            output: .string(limit: 1 << 20),
            error: .string(limit: 1 << 16)
        )
        guard record.terminationStatus.isSuccess else {
            throw IPFailure(arguments: arguments, standardError: record.standardError)
        }
        return record.standardOutput
    }

    static func namespaces(prefix: String) async throws -> [String] {
        try await run("netns", "list").split(separator: "\n")
            .compactMap { $0.split(separator: " ").first.map(String.init) }
            .filter { $0.hasPrefix(prefix) }
    }

    static func pids(in namespace: String) async throws -> [Int32] {
        try await run("netns", "pids", namespace).split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
    }

    struct IPFailure: Error, CustomStringConvertible {
        var arguments: [String]
        var standardError: String
        var description: String { "ip \(arguments.joined(separator: " ")): \(standardError)" }
    }
}
