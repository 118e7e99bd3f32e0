import Firecracker
import Foundation
import TestSupport
import Testing

@testable import Harness

@Suite("Host checks (doctor)")
struct HostChecksTests {
    @Test("on this host the Firecracker path can run: KVM, binary, guest and jemalloc are ok")
    func thisHost() async throws {
        let installation = try await TestEnvironment.installation()
        let checks = await HostChecks(
            firecrackerPath: installation.firecrackerPath,
            guestPath: try TestEnvironment.guestPath()
        ).run()
        let byName = Dictionary(uniqueKeysWithValues: checks.map { ($0.name, $0) })
        #expect(byName["firecracker"]?.status == .ok)
        #expect(byName["firecracker"]?.detail.contains("v1.12.1") == true)
        #expect(byName["firecracker"]?.detail.contains("jailer v1.12.1") == true)
        #expect(byName["guest"]?.status == .ok)
        #expect(byName["jemalloc"]?.status == .ok)
        // KVM's check against what the host has, read independently of the check's own predicate.
        let device =
            FileManager.default.isReadableFile(atPath: "/dev/kvm")
            && FileManager.default.isWritableFile(atPath: "/dev/kvm")
        #expect(byName["kvm"]?.status == (device ? .ok : .failed), "\(byName["kvm"]?.detail ?? "")")
        if device { #expect(byName["kvm"]?.detail.contains("kvm") == true) }
        #expect(
            Set(byName.keys).isSuperset(of: ["cgroup v1 memory", "cgroup v2", "memory PSI", "userfaultfd", "netns/TUN"])
        )
    }

    @Test("missing binaries fail; a host without cgroups, PSI, userfaultfd or TUN only warns")
    func bareHost() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        var checks = HostChecks(firecrackerPath: scratch + "/firecracker", guestPath: scratch + "/guest.elf")
        checks.root = scratch
        let results = await checks.run()
        let byName = Dictionary(uniqueKeysWithValues: results.map { ($0.name, $0) })
        #expect(byName["firecracker"]?.status == .failed)
        #expect(byName["guest"]?.status == .failed)
        for name in ["cgroup v1 memory", "cgroup v2", "memory PSI", "userfaultfd", "netns/TUN"] {
            #expect(byName[name]?.status == .warning, "\(name) should only warn")
        }
    }
}

@Suite("Huge pages for a scenario")
struct HugePageShortageTests {
    @Test("enough free huge pages is no problem; too few names the count and the fix")
    func shortage() {
        let meminfo = "MemTotal: 1 kB\nHugePages_Total:      80\nHugePages_Free:       70\nHugepagesize: 2048 kB\n"
        #expect(FirecrackerPrerequisites.hugePageShortage(memoryMiB: 128, vms: 1, meminfo: meminfo) == nil)
        let problem = FirecrackerPrerequisites.hugePageShortage(memoryMiB: 128, vms: 3, meminfo: meminfo)
        #expect(problem?.contains("needs 192 free 2 MiB huge pages") == true, "\(problem ?? "")")
        #expect(problem?.contains("echo 202 > /proc/sys/vm/nr_hugepages") == true, "\(problem ?? "")")
    }
}
