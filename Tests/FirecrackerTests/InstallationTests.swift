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
}
