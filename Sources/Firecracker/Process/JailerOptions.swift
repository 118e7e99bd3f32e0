import Glibc
import HostSystem
import SystemPackage

/// Running a VMM through Firecracker's `jailer`: chrooted, as an unprivileged user.
///
/// The jailer creates `<chrootBase>/firecracker/<id>/root`, copies `firecracker` into it, chroots there,
/// drops to `uid`/`gid` and execs the VMM (same pid). Every path the VMM sees is inside that root, so
/// snapshot files are hard-linked into it and the API socket, log and metrics live there.
///
/// ```swift
/// let jail = JailerOptions(jailerPath: "/opt/fc/jailer", uid: 65534, gid: 65534, chrootBase: "/srv/jailer")
/// let configuration = VMMConfiguration.jailed(firecracker: "/opt/fc/firecracker", id: "vm-1", jail: jail)
/// ```
package struct JailerOptions: Sendable, Equatable {
    /// Path of the `jailer` binary.
    package var jailerPath: String
    /// The user the VMM runs as.
    package var uid: UInt32
    /// The group the VMM runs as.
    package var gid: UInt32
    /// The directory jails are made under (keep it short: the API socket path must fit 107 bytes).
    package var chrootBase: String
    /// The cgroup the jailer makes for each VM, `nil` for none.
    package var cgroup: JailCgroup?
    /// The network namespace (a path such as `/var/run/netns/NAME`) the jailer joins before it execs the VMM.
    /// Not `ip netns exec`: that mounts a sysfs of the namespace's own over `/sys`, hiding the cgroup
    /// hierarchies the jailer must reach.
    package var networkNamespace: String?

    package init(jailerPath: String, uid: UInt32, gid: UInt32, chrootBase: String, cgroup: JailCgroup? = nil) {
        self.jailerPath = jailerPath
        self.uid = uid
        self.gid = gid
        self.chrootBase = chrootBase
        self.cgroup = cgroup
    }

    /// Lets the jail's group read `source` and hard-links it to `target` inside a jail (a chrooted VMM can follow
    /// no link out of it, so the jail must be on `source`'s filesystem).
    ///
    /// - Throws: `FirecrackerError(.workspace)` naming the step that failed.
    func link(_ source: String, into target: String) throws {
        guard chown(source, UInt32.max, gid) == 0, chmod(source, 0o640) == 0 else {
            throw FirecrackerError(.workspace, "cannot let gid \(gid) read \(source): \(Errno.last)")
        }
        guard Glibc.link(source, target) == 0 else {
            throw FirecrackerError(
                .workspace,
                "cannot link \(source) to \(target) in a jail (it must be on the same filesystem): \(Errno.last)"
            )
        }
    }

    /// The jailer's arguments before `--`, for VM `id` running `firecracker`.
    func arguments(id: String, firecracker: String) -> [String] {
        var arguments = [
            "--id", id, "--exec-file", firecracker, "--uid", String(uid), "--gid", String(gid), "--chroot-base-dir",
            chrootBase,
        ]
        if let networkNamespace { arguments += ["--netns", networkNamespace] }
        if let cgroup {
            arguments += ["--cgroup-version", String(cgroup.version), "--parent-cgroup", cgroup.parent]
            for setting in cgroup.settings { arguments += ["--cgroup", setting] }
        }
        return arguments
    }

    /// The jail of VM `id`: the directory the jailer creates, holding `root/`.
    package func jailDirectory(id: String) -> String {
        "\(chrootBase)/firecracker/\(id)"
    }

    /// The chroot of VM `id`, which is also its working directory.
    package func rootDirectory(id: String) -> String {
        jailDirectory(id: id) + "/root"
    }
}

/// The cgroup the jailer puts each VM in: `<hierarchy>/<parent>/<id>`, with `settings` written to its files
/// (e.g. `memory.limit_in_bytes=268435456` on v1, `memory.max=268435456` on v2). The jailer makes the
/// directories; the VM's teardown removes its own once the VMM is gone (``cgroupDirectories(id:)``).
///
/// ```swift
/// let cgroup = JailCgroup(version: 1, parent: "snapbench-42-jail", settings: ["memory.limit_in_bytes=268435456"],
///                         parentDirectories: ["/sys/fs/cgroup/memory/snapbench-42-jail"])
/// ```
package struct JailCgroup: Sendable, Equatable {
    /// The cgroup version, 1 or 2.
    package var version: Int
    /// The parent cgroup's path below each hierarchy's root.
    package var parent: String
    /// `file=value` settings, written by the jailer.
    package var settings: [String]
    /// The parent's directory in each hierarchy a setting names, where the jailer makes each VM's cgroup.
    package var parentDirectories: [String]

    package init(version: Int, parent: String, settings: [String], parentDirectories: [String]) {
        self.version = version
        self.parent = parent
        self.settings = settings
        self.parentDirectories = parentDirectories
    }

    /// The directories the jailer makes for VM `id`.
    package func cgroupDirectories(id: String) -> [String] { parentDirectories.map { $0 + "/" + id } }
}

extension VMMConfiguration {
    /// A configuration that runs `firecracker` through the jailer, working in the jail's root.
    package static func jailed(firecracker: String, id: String, jail: JailerOptions) -> VMMConfiguration {
        var configuration = VMMConfiguration(binary: firecracker, workingDirectory: jail.rootDirectory(id: id), id: id)
        configuration.jailer = jail
        // The jailer sets the VMM's limits itself (`--resource-limit no-file=`, 2048 by default); a prlimit from
        // outside while it starts made it panic.
        configuration.openFileLimit = nil
        return configuration
    }

    /// How the VMM names a file of its working directory: relative to the chroot when jailed.
    func vmmPath(_ name: String) -> String {
        jailer == nil ? path(name) : "/" + name
    }
}
