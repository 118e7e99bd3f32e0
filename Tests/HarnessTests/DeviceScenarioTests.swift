import Firecracker
import Foundation
import HostSystem
import Reporting
import Scenarios
import SnapshotPool
import TestSupport
import Testing

@testable import Harness

@Suite("Devices and launch mode in scenarios")
struct DeviceScenarioTests {
    @Test("devices.yaml: every variant of Firecracker's restore-latency cases, plain and jailed, with its devices")
    func shippedVariants() throws {
        let variants = try ScenarioParser.parseVariants(file: TestEnvironment.packageRoot + "/Scenarios/devices.yaml")
        let byName = Dictionary(uniqueKeysWithValues: variants.map { ($0.name, $0) })
        #expect(variants.count == 14)
        #expect(byName["devices.all-jailed-standby"]?.pool.standbyProcesses == 4)
        #expect(byName["devices.none"]?.devices.hasDevices == false)
        #expect(byName["devices.none"]?.pool.launch == .direct)
        let all = try #require(byName["devices.all"])
        #expect(all.devices.description == "3 NICs, 3 drives of 16 MiB (read_only), balloon, vsock")
        #expect(all.devices.interfaces.map(\.hostDevName) == ["tap0", "tap1", "tap2"])
        #expect(byName["devices.drives3-copy"]?.devices.drives?.sharing == .copy)
        let jailed = try #require(byName["devices.all-jailed"])
        #expect(jailed.devices == all.devices)
        #expect(jailed.pool.launch == .jailer(JailSettings(uid: 65534, gid: 65534, cgroupMemoryMiB: 256)))
        #expect(jailed.pool.launch.description == "jailer (uid 65534, gid 65534, cgroup memory 256 MiB)")
        // Every variant runs the same load, and every gate is decidable from it.
        #expect(variants.allSatisfy { $0.phases == variants[0].phases })
        #expect(variants.filter { $0.pool.standbyProcesses > 0 }.map(\.name) == ["devices.all-jailed-standby"])
        for variant in variants {
            for gate in variant.gates { #expect(variant.problem(deciding: gate) == nil) }
        }
    }

    @Test("the devices land in the golden VM's spec: TAPs by index, each clone's vsock in its own directory")
    func appliedToSpec() {
        let devices = DeviceSettings(
            networkInterfaces: 2,
            drives: BlockDevices(count: 2, sizeMiB: 4, sharing: .copy),
            balloon: Balloon(amountMib: 8, deflateOnOom: false, statsPollingIntervalS: 1),
            vsock: Vsock(guestCid: 3, udsPath: "vsock.sock")
        )
        let spec = devices.applied(to: .builtInGuest(imagePath: "/guest.elf"))
        #expect(
            spec.networkInterfaces == [
                NetworkInterface(ifaceId: "eth0", hostDevName: "tap0"),
                NetworkInterface(ifaceId: "eth1", hostDevName: "tap1"),
            ]
        )
        #expect(spec.allDrives.map(\.pathOnHost) == ["drive0.img", "drive1.img"])
        #expect(spec.allDrives.allSatisfy { !$0.isReadOnly && !$0.isRootDevice })
        #expect(spec.balloon?.amountMib == 8)
        #expect(spec.vsock?.udsPath == "vsock.sock")
        #expect(DeviceSettings().applied(to: spec) == .builtInGuest(imagePath: "/guest.elf"))
        #expect(DeviceSettings().description == "none")
        #expect(DeviceSettings(networkInterfaces: 1, vsock: spec.vsock).description == "1 NIC, vsock")
    }

    @Test("scalar forms: launch: jailer is nobody without a cgroup; balloon: true inflates nothing; false is none")
    func scalarForms() throws {
        let yaml = """
            name: forms
            description: the short forms
            vm: {balloon: true, vsock: false, drives: {count: 1, size_mib: 1}}
            pool: {warm_target: 1, launch: jailer}
            phases:
              - {name: load, executor: constant-arrival-rate, rate: 1/s, duration: 1s}

            """
        let scenario = try ScenarioParser.parse(yaml: yaml, file: "forms.yaml")
        #expect(scenario.pool.launch == .jailer(JailSettings()))
        #expect(scenario.devices.balloon == Balloon(amountMib: 0, deflateOnOom: true))
        #expect(scenario.devices.vsock == nil)
        #expect(scenario.devices.drives == BlockDevices(count: 1, sizeMiB: 1, sharing: .readOnly))
        let direct = try ScenarioParser.parse(
            yaml: yaml.replacingOccurrences(of: "launch: jailer", with: "launch: {mode: direct}"),
            file: "forms.yaml"
        )
        #expect(direct.pool.launch == .direct)
    }

    @Test("a jail's cgroup goes in the v1 memory hierarchy where there is one, else in cgroup2, named for this run")
    func jailCgroupPlacement() throws {
        let v1 = try RunIsolation.jailCgroup(
            memoryMiB: 256,
            placement: MemoryCgroup.Placement(v2Parent: "/sys/fs/cgroup/unified", v1Parent: "/sys/fs/cgroup/memory")
        )
        #expect(v1.version == 1 && v1.settings == ["memory.limit_in_bytes=268435456"])
        #expect(v1.parent.hasPrefix("snapbench-\(getpid())-jail"))
        #expect(v1.parentDirectories == ["/sys/fs/cgroup/memory/" + v1.parent])
        #expect(v1.cgroupDirectories(id: "vm-1") == ["/sys/fs/cgroup/memory/\(v1.parent)/vm-1"])
        let v2 = try RunIsolation.jailCgroup(
            memoryMiB: 64,
            placement: MemoryCgroup.Placement(v2Parent: "/cg", v1Parent: nil)
        )
        #expect(v2.version == 2 && v2.settings == ["memory.max=67108864"])
        #expect(v2.parentDirectories == ["/cg/" + v2.parent])
        let none = #expect(throws: RunError.self) {
            try RunIsolation.jailCgroup(memoryMiB: 64, placement: MemoryCgroup.Placement(v2Parent: nil, v1Parent: nil))
        }
        #expect(none?.code == .prerequisitesMissing && none?.message.contains("no cgroup2 hierarchy") == true)
        let jail = JailerOptions(jailerPath: "/j", uid: 1, gid: 2, chrootBase: "/b", cgroup: v1)
        #expect(VMMConfiguration.jailed(firecracker: "/fc", id: "vm-1", jail: jail).jailer?.cgroup == v1)
    }
}

@Suite(
    "Devices on real Firecracker",
    .serialized,
    .requiresKVM
)
struct FirecrackerDeviceRunTests {
    @Test(
        "a jailed run with every device and a crashed VMM: each clone checked and whole; jails, cgroups, namespaces gone"
    )
    func jailedWithEveryDevice() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let yaml = """
            name: devices-test
            description: every device, jailed, on real Firecracker
            vm:
              working_set_mib: 4
              network_interfaces: 2
              drives: {count: 2, size_mib: 2, sharing: copy}
              balloon: {amount_mib: 0, deflate_on_oom: true, stats_interval_s: 1}
              vsock: true
            pool:
              warm_target: 1
              maximum_vms: 3
              launch: {mode: jailer, uid: 65534, gid: 65534, cgroup_memory_mib: 256}
            phases:
              - {name: load, executor: constant-arrival-rate, rate: 10/s, duration: 1s, hold: 5ms}
              - {name: cold, executor: burst, count: 2, spread: 0ms, bursts: 2, interval: 500ms, hold: 5ms}
            faults:
              - {kind: vmm_crash, at: 300ms, count: 1, target: warm}
            gates:
              - leaks count == 0
              - device_check_failures count == 0
              - faults_applied count == 1

            """
        let options = try await ScenarioRunner.Options.realFirecracker(in: scratch)
        let report = try await ScenarioRunner(
            scenario: try ScenarioParser.parse(yaml: yaml, file: "devices-test.yaml"),
            options: options
        )
        .run()
        #expect(report.verdict == .pass, "\(report.gates.filter { !$0.passed })")
        let devices = try #require(report.devices)
        #expect(devices.devices == "2 NICs, 2 drives of 2 MiB (copy), balloon, vsock")
        #expect(devices.launch.hasPrefix("jailer (uid 65534, gid 65534, cgroup memory 256 MiB)"))
        #expect(devices.clonesChecked == report.overall.served && devices.clonesChecked == 14)
        #expect(devices.clonesFailed == 0, "\(devices.problems)")
        #expect(
            report.gates.contains {
                $0.expression == "nothing lost: every clone has its snapshot's devices" && $0.passed
            }
        )
        #expect((report.overall.latency(.setUp)?.count ?? 0) == 14)
        #expect(report.leakCheck.problems.isEmpty, "\(report.leakCheck.problems)")
        // Named for this process: namespaces, the run's chroot base, the jails' cgroup.
        #expect(Leftovers.childVMMs().isEmpty)
        #expect(
            !((try? FileManager.default.contentsOfDirectory(atPath: "/var/run/netns")) ?? []).contains {
                $0.hasPrefix("snb-\(getpid())-")
            }
        )
        #expect(
            !((try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []).contains { $0.hasPrefix("jails-") }
        )
        #expect(
            !((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup/memory")) ?? []).contains {
                $0.hasPrefix("snapbench-\(getpid())-jail")
            }
        )
        try ReportSchema.check(report)
    }
}

@Suite(
    "A killed run with devices",
    .serialized,
    .requiresKVM
)
struct KilledDeviceRunTests {
    static func scenario(seconds: Int) -> String {
        """
        name: killed
        description: a jailed run with devices, killed mid-run
        vm: {working_set_mib: 4, network_interfaces: 1, drives: {count: 1, size_mib: 1, sharing: copy}, vsock: true}
        pool: {warm_target: 2, maximum_vms: 3, launch: {mode: jailer, cgroup_memory_mib: 256}}
        phases:
          - {name: load, executor: constant-arrival-rate, rate: 5/s, duration: \(seconds)s, hold: 5ms}
        gates:
          - leaks count == 0

        """
    }

    /// Names in `directory` that start with `prefix`.
    static func entries(_ directory: String, _ prefix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix(prefix) }
    }

    @Test("SIGKILL mid-run leaves namespaces, jails, jail cgroups and VMMs; the next run reclaims every one")
    func nextRunReclaims() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        try Self.scenario(seconds: 60).write(toFile: scratch + "/long.yaml", atomically: true, encoding: .utf8)
        try Self.scenario(seconds: 1).write(toFile: scratch + "/short.yaml", atomically: true, encoding: .utf8)
        let arguments = ["run", "--work-dir", scratch + "/work", "--output", scratch + "/out", "--no-progress"]
        let killed = Process()
        killed.executableURL = URL(fileURLWithPath: try CommandLineTests.executable())
        killed.arguments = arguments + [scratch + "/long.yaml"]
        killed.environment = ProcessInfo.processInfo.environment.merging(["SNAPBENCH_STORE": "none"]) { $1 }
        killed.standardOutput = FileHandle.nullDevice
        killed.standardError = FileHandle.nullDevice
        try killed.run()
        let owner = killed.processIdentifier
        // Until its warm VMs run in their jails, each in its own cgroup.
        var vmms: [Int32] = []
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let cgroups = Self.entries("/sys/fs/cgroup/memory", "snapbench-\(owner)-jail")
            let jailed = cgroups.flatMap { Self.entries("/sys/fs/cgroup/memory/" + $0, "warm-") }
            // Its child processes, from every one of its threads (each spawns its own).
            vmms = (ProcessStatus.threads(of: owner) ?? []).flatMap { thread in
                let children = try? String(contentsOfFile: "/proc/\(owner)/task/\(thread)/children", encoding: .utf8)
                return (children ?? "").split(separator: " ").compactMap { Int32($0) }
            }
            .filter { pid in
                // Its VMMs (a jailer execs Firecracker under its own pid), not an `ip` it runs for a moment.
                let name = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)
                return name?.hasPrefix("firecracker") == true && ProcessStatus.isRunning(pid)
            }
            if jailed.count >= 2, vmms.count >= 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(owner, SIGKILL)
        killed.waitUntilExit()
        #expect(!Self.entries("/var/run/netns", "snb-\(owner)-").isEmpty, "the killed run left its namespaces")
        #expect(!Self.entries(scratch + "/work", "jails-\(owner)-").isEmpty, "and its chroot base")
        #expect(!Self.entries("/sys/fs/cgroup/memory", "snapbench-\(owner)-jail").isEmpty, "and its jails' cgroup")
        // Its warm VMs at least outlive it (a leased one may have been in its teardown).
        #expect(vmms.count >= 2 && vmms.filter(ProcessStatus.isRunning).count >= 1, "and its VMMs, \(vmms)")

        let (status, output) = try await CommandLineTests.run(arguments + [scratch + "/short.yaml"], in: scratch)
        #expect(status == 0, "\(output.suffix(2000))")
        #expect(Self.entries("/var/run/netns", "snb-\(owner)-").isEmpty)
        #expect(Self.entries(scratch + "/work", "jails-\(owner)-").isEmpty)
        #expect(Self.entries("/sys/fs/cgroup/memory", "snapbench-\(owner)-").isEmpty)
        #expect(!vmms.contains(where: ProcessStatus.isRunning), "\(vmms)")
    }
}
