import Firecracker
import Foundation
import Glibc
import HostSystem
import Scenarios
import SnapshotPool

/// One line of `snapbench doctor`: what was checked, how it went, and what was found.
package struct HostCheck: Sendable, Equatable {
    /// How a check went.
    package enum Status: String, Sendable, Equatable {
        /// Present and usable.
        case ok
        /// Missing, but snapbench can run without it (some features are off).
        case warning
        /// Missing, and the Firecracker path cannot run.
        case failed
    }

    /// What was checked.
    package var name: String
    /// How it went.
    package var status: Status
    /// What was found, or what to do.
    package var detail: String

    package init(name: String, status: Status, detail: String) {
        self.name = name
        self.status = status
        self.detail = detail
    }
}

/// The checks of `snapbench doctor`: can this host run real Firecracker restores, and which optional
/// facilities (cgroups, PSI, userfaultfd, network namespaces) does it have.
///
/// ```swift
/// let checks = await HostChecks(firecrackerPath: nil).run()
/// let canRun = !checks.contains { $0.status == .failed }
/// ```
package struct HostChecks: Sendable {
    /// A Firecracker path the user gave, if any.
    package var firecrackerPath: String?
    /// A guest path the user gave, if any.
    package var guestPath: String?
    /// Root of the filesystem to inspect (tests point it elsewhere).
    package var root: String = ""

    package init(firecrackerPath: String? = nil, guestPath: String? = nil) {
        self.firecrackerPath = firecrackerPath
        self.guestPath = guestPath
    }

    /// Runs every check.
    package func run() async -> [HostCheck] {
        var checks = [kvm()]
        checks.append(await firecracker())
        checks.append(guest())
        checks.append(jemalloc())
        checks += cgroups()
        checks.append(pressure())
        checks.append(device("userfaultfd", path: "/dev/userfaultfd", missing: "Uffd memory backends unavailable"))
        checks.append(networking())
        checks.append(loadPriority())
        checks.append(realTime())
        checks.append(privileges())
        return checks
    }

    func kvm() -> HostCheck {
        let flavour = HostInfo.current().kvmFlavour
        guard flavour != "none" else {
            return HostCheck(name: "kvm", status: .failed, detail: "/dev/kvm is absent: Firecracker cannot run here")
        }
        guard HostInfo.kvmUsable else {
            return HostCheck(name: "kvm", status: .failed, detail: "/dev/kvm is not readable and writable by this user")
        }
        let note = flavour == "kvm_pvm" ? " (nested, pagetable-based: the built-in guest only)" : ""
        return HostCheck(name: "kvm", status: .ok, detail: "/dev/kvm usable, \(flavour)\(note)")
    }

    func firecracker() async -> HostCheck {
        do {
            let installation = try await FirecrackerInstallation.locate(explicitPath: firecrackerPath)
            let pinned = installation.isPinned ? "pinned build" : "NOT the pinned build"
            var detail =
                "v\(installation.version) at \(installation.firecrackerPath), sha256 \(installation.sha256.prefix(16))… (\(pinned))"
            if let jailer = installation.jailerPath {
                let jailerHash = (try? FileDigest.sha256(ofFile: jailer)) ?? "unreadable"
                let jailerPinned = jailerHash == FirecrackerInstallation.pinnedJailerSHA256 ? "pinned" : "not pinned"
                let jailerVersion = (try? await FirecrackerInstallation.version(of: jailer)) ?? "unknown"
                detail += "; jailer v\(jailerVersion) sha256 \(jailerHash.prefix(16))… (\(jailerPinned))"
            } else {
                detail += "; no jailer beside it"
            }
            return HostCheck(name: "firecracker", status: .ok, detail: detail)
        } catch {
            return HostCheck(name: "firecracker", status: .failed, detail: "\(error)")
        }
    }

    func guest() -> HostCheck {
        do {
            let path = try ProjectPaths.locateGuest(explicitPath: guestPath)
            let hash = (try? FileDigest.sha256(ofFile: path)) ?? "unreadable"
            return HostCheck(name: "guest", status: .ok, detail: "\(path), sha256 \(hash.prefix(16))…")
        } catch {
            return HostCheck(name: "guest", status: .failed, detail: "\(error)")
        }
    }

    func jemalloc() -> HostCheck {
        guard let version = Jemalloc.version, Jemalloc() != nil else {
            return HostCheck(
                name: "jemalloc",
                status: .warning,
                detail: "not the allocator: memory statistics unavailable"
            )
        }
        return HostCheck(name: "jemalloc", status: .ok, detail: "allocator, version \(version)")
    }

    func cgroups() -> [HostCheck] {
        // The pool's own view (CgroupMounts), from the mount table under `root`.
        let mounts = CgroupMounts.current(mountTable: root + "/proc/self/mounts")
        let v1Check: HostCheck
        if let v1 = mounts.v1Memory.map({ root + $0 }) {
            let writable = access(v1, W_OK) == 0
            v1Check = HostCheck(
                name: "cgroup v1 memory",
                status: writable ? .ok : .warning,
                detail: writable ? "\(v1) writable" : "\(v1) not writable"
            )
        } else {
            v1Check = HostCheck(name: "cgroup v1 memory", status: .warning, detail: "no v1 memory hierarchy mounted")
        }
        let v2Check =
            mounts.v2.map { HostCheck(name: "cgroup v2", status: .ok, detail: "mounted at \(root + $0)") }
            ?? HostCheck(name: "cgroup v2", status: .warning, detail: "no cgroup2 mount found")
        return [v1Check, v2Check]
    }

    func pressure() -> HostCheck {
        let path = root + "/proc/pressure/memory"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasPrefix("some") else {
            return HostCheck(
                name: "memory PSI",
                status: .warning,
                detail: "\(path) unreadable: pressure from cgroup usage only"
            )
        }
        return HostCheck(
            name: "memory PSI",
            status: .ok,
            detail: text.split(separator: "\n").first.map(String.init) ?? ""
        )
    }

    func device(_ name: String, path: String, missing: String) -> HostCheck {
        access(root + path, R_OK | W_OK) == 0
            ? HostCheck(name: name, status: .ok, detail: "\(path) usable")
            : HostCheck(name: name, status: .warning, detail: "\(path) not usable: \(missing)")
    }

    /// How loads come first on this host's CPUs for this user (``LoadPriority``).
    func loadPriority() -> HostCheck {
        let priority = LoadPriority.automatic.resolved
        if case .raised = priority {
            return HostCheck(name: "load priority", status: .ok, detail: priority.description)
        }
        return HostCheck(
            name: "load priority",
            status: .ok,
            detail: priority.description
                + "; the same order as root's nice -10, measured alike in the burst scenario (README, measurements)"
        )
    }

    /// Whether the load generator's dispatcher and the heartbeat may run at real-time priority.
    func realTime() -> HostCheck {
        var limit = rlimit()
        let rtprio = getrlimit(__rlimit_resource_t(__RLIMIT_RTPRIO.rawValue), &limit) == 0 ? limit.rlim_cur : 0
        if ProcessStatus.hasCapability(23) || rtprio >= 10 {
            return HostCheck(
                name: "real-time dispatch",
                status: .ok,
                detail: "the dispatcher and heartbeat run SCHED_FIFO"
            )
        }
        return HostCheck(
            name: "real-time dispatch",
            status: .warning,
            detail: "no CAP_SYS_NICE and RLIMIT_RTPRIO \(rtprio) < 10: the dispatcher and heartbeat run at normal "
                + "priority, so a busy core can delay arrivals (late_starts) and the disturbance detector sees less"
        )
    }

    /// Which root-only scenario keys this user may run.
    func privileges() -> HostCheck {
        let abilities = PrivilegeCheck.Abilities.current()
        var refused: [String] = []
        if !(abilities.systemAdministration && abilities.networkAdministration) {
            refused.append("vm.network_interfaces")
        }
        if !abilities.root { refused.append("pool.launch: jailer") }
        if !abilities.writableMemoryCgroup { refused.append("pool.cgroup_limit_mib and memory_pressure faults") }
        if !abilities.systemAdministration { refused.append("pool.work_dir_size_mib and disk_full faults") }
        if !abilities.userfaultfd { refused.append("vm.memory_backend: uffd") }
        guard !refused.isEmpty else {
            return HostCheck(name: "privileges", status: .ok, detail: "every scenario key can run as this user")
        }
        return HostCheck(
            name: "privileges",
            status: .warning,
            detail: "scenarios with " + refused.joined(separator: ", ")
                + " are refused before they start (they need root); smoke, burst, steady and the rest run"
        )
    }

    func networking() -> HostCheck {
        let abilities = PrivilegeCheck.Abilities.current()
        if root.isEmpty, !(abilities.systemAdministration && abilities.networkAdministration) {
            return HostCheck(
                name: "netns/TUN",
                status: .warning,
                detail:
                    "this user cannot make network namespaces or TAP devices (needs CAP_SYS_ADMIN and CAP_NET_ADMIN): "
                    + "no network slots"
            )
        }
        let tun = access(root + "/dev/net/tun", R_OK | W_OK) == 0
        let ipPaths: [String] = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        let ip = ipPaths.contains { access($0, X_OK) == 0 }
        switch (tun, ip) {
        case (true, true):
            return HostCheck(name: "netns/TUN", status: .ok, detail: "/dev/net/tun usable, iproute2 present")
        case (true, false):
            return HostCheck(name: "netns/TUN", status: .warning, detail: "iproute2 (ip) missing: no network slots")
        default:
            return HostCheck(name: "netns/TUN", status: .warning, detail: "/dev/net/tun not usable: no network slots")
        }
    }
}
