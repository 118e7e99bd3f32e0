/// How one Firecracker process is started.
///
/// Each VMM runs in a working directory of its own that holds its API socket, log, metrics and serial
/// console file; relative paths inside a snapshot (a vsock `uds_path`) resolve there, so clones of one
/// snapshot never collide.
///
/// ```swift
/// var configuration = VMMConfiguration(
///     binary: "/opt/firecracker/firecracker",
///     workingDirectory: "/tmp/snapbench/vm-1",
///     id: "vm-1"
/// )
/// configuration.startupTimeout = .seconds(2)
/// // Run it inside a network namespace that holds the snapshot's TAP device:
/// configuration.launcher = ["/usr/sbin/ip", "netns", "exec", "snb-1234-0"]
/// ```
package struct VMMConfiguration: Sendable {
    /// Path of the `firecracker` executable.
    package var binary: String
    /// A directory of this VMM's own; created when missing and removed by `destroy()`.
    package var workingDirectory: String
    /// The `--id` of the microVM (letters, digits and `-`, at most 64).
    package var id: String
    /// Firecracker's own log level (the log goes to `firecracker.log`, apart from the serial console).
    package var logLevel: LoggerConfiguration.Level = .warning
    /// How long the API socket may take to accept connections.
    package var startupTimeout: Duration = .seconds(5)
    /// Timeout of API requests that name none.
    package var requestTimeout: Duration = .seconds(10)
    /// `RLIMIT_NOFILE` given to the VMM; `nil` leaves the inherited limit.
    package var openFileLimit: UInt64? = 1024
    /// How long a VMM may take to exit after SIGTERM before it gets SIGKILL.
    package var stopGracePeriod: Duration = .milliseconds(100)
    /// Arguments added after the ones this driver sets (e.g. `--no-seccomp` while debugging).
    package var additionalArguments: [String] = []
    /// Run through Firecracker's jailer (chroot, unprivileged user); `nil` runs `firecracker` directly.
    package var jailer: JailerOptions?
    /// A command prefix the binary is run under, e.g. `["/usr/sbin/ip", "netns", "exec", "snb-1234-0"]`;
    /// empty runs the binary directly.
    ///
    /// The process spawned is `launcher[0]` with the arguments `launcher[1...] + [binary] + firecracker's
    /// arguments`. The launcher must `exec` the binary rather than fork it (as `ip netns exec` does), because
    /// the pid this driver signals, limits and reaps is the one it spawned. A first element without `/` is
    /// looked up on `PATH`.
    package var launcher: [String] = []

    /// Creates a configuration with defaults suited to benchmark clones.
    package init(binary: String, workingDirectory: String, id: String) {
        self.binary = binary
        self.workingDirectory = workingDirectory
        self.id = id
    }

    /// File names inside the working directory.
    package enum FileName {
        /// The API Unix socket.
        package static let apiSocket = "api.sock"
        /// Firecracker's own log (`--log-path`).
        package static let log = "firecracker.log"
        /// JSON metrics lines (`--metrics-path`).
        package static let metrics = "metrics.json"
        /// The guest's serial console (Firecracker's stdout).
        package static let serial = "serial.log"
        /// Firecracker's stderr.
        package static let standardError = "stderr.log"
        /// Marks the directory as a snapbench VMM directory, holding the owner's pid.
        package static let marker = ".snapbench-vmm"
    }

    func path(_ name: String) -> String { workingDirectory + "/" + name }
}
