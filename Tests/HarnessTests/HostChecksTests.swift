import Firecracker
import Foundation
import Scenarios
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

@Suite("Root-only scenario keys")
struct PrivilegeCheckTests {
    static let none = PrivilegeCheck.Abilities(
        systemAdministration: false,
        networkAdministration: false,
        root: false,
        writableMemoryCgroup: false
    )

    @Test("a kvm-group user is refused NICs, the jailer, memory cgroups and mounts, each with the key and why")
    func refusals() throws {
        let shipped = TestEnvironment.packageRoot + "/Scenarios/"
        let smoke = try ScenarioParser.parse(file: shipped + "smoke.yaml")
        #expect(PrivilegeCheck(scenario: smoke, abilities: Self.none).missing().isEmpty)
        let devices = try ScenarioParser.parseVariants(file: shipped + "devices.yaml")
        let nic = try #require(devices.first { $0.name == "devices.nic1" })
        #expect(
            PrivilegeCheck(scenario: nic, abilities: Self.none).missing().map { $0.prefix(21) } == [
                "vm.network_interfaces"
            ]
        )
        let jailed = try #require(devices.first { $0.name == "devices.none-jailed" })
        #expect(PrivilegeCheck(scenario: jailed, abilities: Self.none).missing().first?.contains("only root") == true)
        let pressure = try ScenarioParser.parse(file: shipped + "memory-pressure.yaml")
        #expect(
            PrivilegeCheck(scenario: pressure, abilities: Self.none).missing().contains {
                $0.hasPrefix("pool.cgroup_limit_mib")
            }
        )
        let full = try ScenarioParser.parse(file: shipped + "disk-full.yaml")
        #expect(
            PrivilegeCheck(scenario: full, abilities: Self.none).missing().contains {
                $0.hasPrefix("pool.work_dir_size_mib")
            }
        )
        let backends = try ScenarioParser.parseVariants(file: shipped + "memory-backends.yaml")
        let uffd = try #require(backends.first { $0.name == "memory-backends.uffd" })
        #expect(
            PrivilegeCheck(scenario: uffd, abilities: Self.none).missing().first?.contains("/dev/userfaultfd") == true
        )
        let fileBacked = try #require(backends.first { $0.name == "memory-backends.file-warm" })
        #expect(PrivilegeCheck(scenario: fileBacked, abilities: Self.none).missing().isEmpty)
        let everything = PrivilegeCheck.Abilities(
            systemAdministration: true,
            networkAdministration: true,
            root: true,
            writableMemoryCgroup: true,
            userfaultfd: true
        )
        for scenario in [nic, jailed, pressure, full, uffd] {
            #expect(PrivilegeCheck(scenario: scenario, abilities: everything).missing().isEmpty)
        }
    }

    @Test("doctor says how loads come first, whether dispatch is real-time, and which keys this user may run")
    func doctorLines() {
        let checks = HostChecks()
        #expect(checks.loadPriority().detail.contains("nice"))
        #expect(!checks.realTime().detail.isEmpty)
        let privileges = checks.privileges()
        if geteuid() == 0 {
            #expect(privileges.status == .ok, "\(privileges.detail)")
        } else {
            #expect(privileges.detail.contains("refused before they start"))
        }
    }
}
