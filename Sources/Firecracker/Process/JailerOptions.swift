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
public struct JailerOptions: Sendable, Equatable {
    /// Path of the `jailer` binary.
    public var jailerPath: String
    /// The user the VMM runs as.
    public var uid: UInt32
    /// The group the VMM runs as.
    public var gid: UInt32
    /// The directory jails are made under (keep it short: the API socket path must fit 107 bytes).
    public var chrootBase: String

    public init(jailerPath: String, uid: UInt32, gid: UInt32, chrootBase: String) {
        self.jailerPath = jailerPath
        self.uid = uid
        self.gid = gid
        self.chrootBase = chrootBase
    }

    /// The jail of VM `id`: the directory the jailer creates, holding `root/`.
    public func jailDirectory(id: String) -> String {
        "\(chrootBase)/firecracker/\(id)"
    }

    /// The chroot of VM `id`, which is also its working directory.
    public func rootDirectory(id: String) -> String {
        jailDirectory(id: id) + "/root"
    }
}

extension VMMConfiguration {
    /// A configuration that runs `firecracker` through the jailer, working in the jail's root.
    public static func jailed(firecracker: String, id: String, jail: JailerOptions) -> VMMConfiguration {
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
