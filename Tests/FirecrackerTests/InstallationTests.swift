import Firecracker
import Foundation
import HostSystem
import MicroVM
import TestSupport
import Testing

@Suite("Locating binaries and host facts")
struct InstallationTests {
    @Test("the pinned Firecracker is found, versioned and hashed; its jailer beside it")
    func pinned() async throws {
        let installation = try await TestEnvironment.installation()
        #expect(installation.version == FirecrackerInstallation.pinnedVersion)
        #expect(installation.isPinned)
        #expect(installation.jailerPath != nil)
        let viaEnvironment = try await FirecrackerInstallation.locate(
            explicitPath: nil,
            environment: [FirecrackerInstallation.environmentVariable: installation.firecrackerPath],
            projectRoots: []
        )
        #expect(viaEnvironment == installation)
    }

    @Test("a missing binary is .binaryNotFound naming every place searched")
    func missing() async throws {
        let error = try await #require(throws: FirecrackerError.self) {
            try await FirecrackerInstallation.locate(
                explicitPath: "/nowhere/firecracker",
                environment: ["PATH": "/also-nowhere"],
                projectRoots: ["/root-nowhere"]
            )
        }
        #expect(error.code == .binaryNotFound)
        #expect(error.message.contains("/nowhere/firecracker"))
        let fromPath = try await #require(throws: FirecrackerError.self) {
            try await FirecrackerInstallation.locate(
                explicitPath: nil,
                environment: ["PATH": "/p1:/p2"],
                projectRoots: ["/r"]
            )
        }
        #expect(
            fromPath.message.contains("/p1/firecracker") && fromPath.message.contains("/r/.snapbench/bin/firecracker")
        )
    }

    @Test("a binary that is not Firecracker is refused by its --version")
    func notFirecracker() async throws {
        let error = try await #require(throws: FirecrackerError.self) {
            try await FirecrackerInstallation.version(of: "/bin/true")
        }
        #expect(error.code == .launchFailed)
    }

    @Test("the guest is found explicitly, through the environment, or in a project root")
    func guest() throws {
        let path = try TestEnvironment.guestPath()
        #expect(try ProjectPaths.locateGuest(explicitPath: path, projectRoots: []) == path)
        #expect(
            try ProjectPaths.locateGuest(environment: [ProjectPaths.guestEnvironmentVariable: path], projectRoots: [])
                == path
        )
        #expect(throws: FirecrackerError.self) {
            try ProjectPaths.locateGuest(environment: [:], projectRoots: ["/nowhere"])
        }
        #expect(ProjectPaths.candidateRoots().contains(FileManager.default.currentDirectoryPath))
    }

    @Test("paths given relative to the working directory come back absolute: every VMM runs in its own directory")
    func relativePaths() async throws {
        let cwd = FileManager.default.currentDirectoryPath
        #expect(ProjectPaths.absolute("a/../b/./c") == cwd + "/b/c")
        #expect(ProjectPaths.absolute("/x/y") == "/x/y")
        let installation = try await TestEnvironment.installation()
        // The same files, named by a path with `..` that only resolves from the working directory.
        let up = String(repeating: "../", count: cwd.split(separator: "/").count)
        let relativeBinary = up + installation.firecrackerPath.dropFirst()
        let located = try await FirecrackerInstallation.locate(explicitPath: relativeBinary, projectRoots: [])
        #expect(located.firecrackerPath == installation.firecrackerPath)
        let guest = try TestEnvironment.guestPath()
        #expect(try ProjectPaths.locateGuest(explicitPath: up + guest.dropFirst(), projectRoots: []) == guest)
    }

    @Test("an installed snapbench finds Firecracker, its jailer and the guest below its prefix, before any checkout")
    func installLayout() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let executable = try Self.fakeFile(scratch + "/prefix/bin/snapbench")
        let firecracker = try Self.fakeFirecracker(scratch + "/prefix/" + ProjectPaths.installedFirecracker)
        let jailer = try Self.fakeFirecracker(scratch + "/prefix/" + ProjectPaths.installedJailer)
        let guest = try Self.fakeFile(scratch + "/prefix/" + ProjectPaths.installedGuest)
        let checkout = scratch + "/checkout"
        try Self.fakeFirecracker(checkout + "/" + ProjectPaths.firecracker)
        try Self.fakeFile(checkout + "/" + ProjectPaths.guest)

        let located = try await FirecrackerInstallation.locate(
            explicitPath: nil,
            environment: [:],
            executablePath: executable,
            projectRoots: [checkout]
        )
        #expect(located.firecrackerPath == ProjectPaths.absolute(firecracker))
        #expect(located.jailerPath == ProjectPaths.absolute(jailer))
        #expect(located.version == FirecrackerInstallation.pinnedVersion)
        let found = try ProjectPaths.locateGuest(environment: [:], executablePath: executable, projectRoots: [checkout])
        #expect(found == ProjectPaths.absolute(guest))
    }

    @Test("over the install layout: SNAPBENCH_HOME wins, the binary's own variable over it, the flag over them all")
    func installOverrides() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let executable = try Self.fakeFile(scratch + "/prefix/bin/snapbench")
        try Self.fakeFirecracker(scratch + "/prefix/" + ProjectPaths.installedFirecracker)
        try Self.fakeFile(scratch + "/prefix/" + ProjectPaths.installedGuest)
        let homeFirecracker = try Self.fakeFirecracker(scratch + "/home/" + ProjectPaths.installedFirecracker)
        let homeGuest = try Self.fakeFile(scratch + "/home/" + ProjectPaths.installedGuest)
        let environmentFirecracker = try Self.fakeFirecracker(scratch + "/environment/firecracker")
        let environmentGuest = try Self.fakeFile(scratch + "/environment/guest.elf")
        let flagFirecracker = try Self.fakeFirecracker(scratch + "/flag/firecracker")
        let flagGuest = try Self.fakeFile(scratch + "/flag/guest.elf")
        let home = [ProjectPaths.homeEnvironmentVariable: scratch + "/home"]
        let everything = home.merging(
            [
                FirecrackerInstallation.environmentVariable: environmentFirecracker,
                ProjectPaths.guestEnvironmentVariable: environmentGuest,
            ],
            uniquingKeysWith: { $1 }
        )
        func firecracker(_ flag: String?, _ environment: [String: String]) async throws -> String {
            try await FirecrackerInstallation.locate(
                explicitPath: flag,
                environment: environment,
                executablePath: executable,
                projectRoots: []
            ).firecrackerPath
        }
        func guest(_ flag: String?, _ environment: [String: String]) throws -> String {
            try ProjectPaths.locateGuest(
                explicitPath: flag,
                environment: environment,
                executablePath: executable,
                projectRoots: []
            )
        }

        #expect(try await firecracker(nil, home) == ProjectPaths.absolute(homeFirecracker))
        #expect(try guest(nil, home) == ProjectPaths.absolute(homeGuest))
        #expect(try await firecracker(nil, everything) == ProjectPaths.absolute(environmentFirecracker))
        #expect(try guest(nil, everything) == ProjectPaths.absolute(environmentGuest))
        #expect(try await firecracker(flagFirecracker, everything) == ProjectPaths.absolute(flagFirecracker))
        #expect(try guest(flagGuest, everything) == ProjectPaths.absolute(flagGuest))
    }

    @Test("an empty install prefix: .binaryNotFound naming the install layout's paths beside the checkout's")
    func installMissing() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let executable = try Self.fakeFile(scratch + "/prefix/bin/snapbench")
        let checkout = scratch + "/checkout"
        let error = try await #require(throws: FirecrackerError.self) {
            try await FirecrackerInstallation.locate(
                explicitPath: nil,
                environment: ["PATH": scratch + "/path"],
                executablePath: executable,
                projectRoots: [checkout]
            )
        }
        #expect(error.code == .binaryNotFound)
        for place in [
            scratch + "/prefix/libexec/snapbench/firecracker", checkout + "/.snapbench/bin/firecracker",
            scratch + "/path/firecracker",
        ] {
            #expect(error.message.contains(place), "\(error.message)")
        }
        let guestError = try #require(throws: FirecrackerError.self) {
            try ProjectPaths.locateGuest(environment: [:], executablePath: executable, projectRoots: [checkout])
        }
        #expect(guestError.code == .binaryNotFound)
        for place in [
            scratch + "/prefix/share/snapbench/guest/snapbench-guest.elf",
            checkout + "/.snapbench/guest/snapbench-guest.elf",
        ] {
            #expect(guestError.message.contains(place), "\(guestError.message)")
        }
    }

    @Test("host facts: kernel release, CPU model, KVM flavour")
    func host() {
        let host = HostInfo.current()
        #expect(!host.kernelRelease.isEmpty)
        #expect(host.cpuModel != "")
        #expect(host.cpuCount >= 1)
        #expect(host.memoryBytes > 0)
        // The flavour is read from /sys/module; without /dev/kvm it is "none", with it one of the known modules.
        if FileManager.default.fileExists(atPath: "/dev/kvm") {
            #expect(["kvm_pvm", "kvm_intel", "kvm_amd", "kvm"].contains(host.kvmFlavour), "\(host.kvmFlavour)")
        } else {
            #expect(host.kvmFlavour == "none")
        }
        #expect(
            HostInfo.kvmFlavour(moduleDirectory: "/nonexistent")
                == (FileManager.default.fileExists(atPath: "/dev/kvm") ? "kvm" : "none")
        )
    }

    @Test("stage timings add up to a spawn from nothing")
    func stageTotal() {
        let timings = StageTimings(
            processStart: .milliseconds(1),
            load: .milliseconds(10),
            resume: .milliseconds(1),
            readiness: .milliseconds(2),
            firecrackerLoad: .milliseconds(9)
        )
        #expect(timings.total == .milliseconds(14))
        #expect(StageTimings(load: .milliseconds(3)).total == .milliseconds(3))
    }

    /// A file at `path`, with its directories.
    @discardableResult
    static func fakeFile(_ path: String, contents: String = "x\n") throws -> String {
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
            withIntermediateDirectories: true
        )
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// An executable at `path` that answers `--version` as the pinned Firecracker does, so that `locate` takes it.
    @discardableResult
    static func fakeFirecracker(_ path: String) throws -> String {
        try fakeFile(path, contents: "#!/bin/sh\necho 'Firecracker v\(FirecrackerInstallation.pinnedVersion)'\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }
}

@Suite("Drive images")
struct DriveImageTests {
    @Test("images hold seeded bytes; a copy into another filesystem is whole; a shared drive is the snapshot's file")
    func copiesAndLinks() throws {
        let store = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(store) }
        // /dev/shm is a tmpfs, the scratch directory is not: copy_file_range refuses that, and must not fail.
        let clone = "/dev/shm/sbt-drive-\(getpid())"
        try FileManager.default.createDirectory(atPath: clone, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: clone) }
        let drives = BlockDevices(count: 2, sizeMiB: 3, sharing: .copy)
        try DriveImages.create(drives, in: store)
        let first = try Data(contentsOf: URL(fileURLWithPath: store + "/drive0.img"))
        let second = try Data(contentsOf: URL(fileURLWithPath: store + "/drive1.img"))
        #expect(first.count == 3 << 20 && second.count == 3 << 20)
        #expect(first != second, "each drive has bytes of its own")
        #expect(first.prefix(4096).contains { $0 != 0 }, "real data, not a sparse file")
        try DriveImages.provide(drives, from: store, into: clone)
        #expect(try Data(contentsOf: URL(fileURLWithPath: clone + "/drive1.img")) == second)
        let copied = try FileManager.default.attributesOfItem(atPath: clone + "/drive1.img")
        #expect(copied[.type] as? FileAttributeType == .typeRegular)
        let shared = clone + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        try DriveImages.provide(BlockDevices(count: 1, sizeMiB: 3, sharing: .readOnly), from: store, into: shared)
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: shared + "/drive0.img") == store + "/drive0.img"
        )
        // A second clone cannot be handed a copy where one already is: nothing is overwritten.
        #expect(throws: FirecrackerError.self) { try DriveImages.provide(drives, from: store, into: clone) }
    }
}
