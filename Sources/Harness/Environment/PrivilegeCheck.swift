import Firecracker
import Glibc
import HostSystem
package import Scenarios
import SnapshotPool

/// What a scenario asks of the host that only root (or a process with the right capabilities) may do, checked
/// before anything starts: a run as a CI runner's user in the `kvm` group is refused with the reason, instead
/// of failing half-way with a raw permission error.
///
/// ```swift
/// let missing = PrivilegeCheck(scenario: scenario).missing()
/// // ["vm.network_interfaces: each clone's network namespace and TAP devices need CAP_SYS_ADMIN and …"]
/// ```
package struct PrivilegeCheck: Sendable {
    /// What this process may do.
    package struct Abilities: Sendable, Equatable {
        /// `CAP_SYS_ADMIN`: mounts and network namespaces.
        package var systemAdministration: Bool
        /// `CAP_NET_ADMIN`: TAP devices and links.
        package var networkAdministration: Bool
        /// Root: the jailer chroots, makes device nodes and changes its uid and gid.
        package var root: Bool
        /// The memory cgroup hierarchy (v1 memory controller or cgroup2) is writable.
        package var writableMemoryCgroup: Bool
        /// `/dev/userfaultfd` may be opened (Firecracker's UFFD memory backend opens it as this user).
        package var userfaultfd: Bool = false

        /// This process's abilities, read from its capabilities and the cgroup mounts.
        package static func current() -> Abilities {
            let placement = MemoryCgroup.Placement.discover()
            let writable = [placement.v1Parent, placement.v2Parent].compactMap { $0 }.contains { access($0, W_OK) == 0 }
            return Abilities(
                systemAdministration: ProcessStatus.hasCapability(21),
                networkAdministration: ProcessStatus.hasCapability(12),
                root: geteuid() == 0,
                writableMemoryCgroup: writable,
                userfaultfd: access("/dev/userfaultfd", R_OK | W_OK) == 0
            )
        }
    }

    package var scenario: Scenario
    package var abilities: Abilities

    package init(scenario: Scenario, abilities: Abilities = .current()) {
        self.scenario = scenario
        self.abilities = abilities
    }

    /// The scenario's keys this process may not carry out, each with why; empty when it may run.
    package func missing() -> [String] {
        var missing: [String] = []
        if scenario.devices.networkInterfaces > 0,
            !(abilities.systemAdministration && abilities.networkAdministration)
        {
            missing.append(
                "vm.network_interfaces: each clone's network namespace and TAP devices need CAP_SYS_ADMIN and "
                    + "CAP_NET_ADMIN (run as root)"
            )
        }
        if scenario.pool.launch.jail != nil, !abilities.root {
            missing.append(
                "pool.launch: jailer: the jailer chroots, makes device nodes and changes to the jail's uid and gid, "
                    + "which only root may do"
            )
        }
        if scenario.pool.cgroupLimitMiB != nil, !abilities.writableMemoryCgroup {
            missing.append(
                "pool.cgroup_limit_mib: the pool's memory cgroup needs a writable memory cgroup hierarchy (root, or a "
                    + "delegated cgroup2 subtree)"
            )
        }
        if scenario.pool.memory.backend == .userfaultfd, !abilities.userfaultfd {
            missing.append(
                "vm.memory_backend: uffd: Firecracker opens /dev/userfaultfd as this user, who may not (root may; or "
                    + "give the kvm group read and write on it)"
            )
        }
        if scenario.pool.workFilesystemMiB != nil, !abilities.systemAdministration {
            missing.append("pool.work_dir_size_mib: mounting the run's own tmpfs needs CAP_SYS_ADMIN (run as root)")
        }
        return missing
    }
}
