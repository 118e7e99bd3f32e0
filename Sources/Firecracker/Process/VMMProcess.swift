import Foundation
import Glibc
import HostSystem
package import Logging
import Subprocess
import Synchronization
import SystemPackage

/// A running Firecracker process: its API client, serial console and files, and the means to stop it.
///
/// A supervising task owns the child from spawn to reap (swift-subprocess, process descriptor based), so
/// the exit of a VMM is noticed when it happens, not by polling. Every handle must end in ``destroy()``,
/// which stops the process (SIGTERM, then SIGKILL after the grace period), reaps it and removes its
/// working directory; ``withVMM(_:logger:body:)`` does that on every path.
///
/// ```swift
/// let vmm = try await VMMProcess.launch(configuration)
/// defer { Task { await vmm.destroy() } }
/// let info = try await vmm.api.instanceInfo()
/// ```
package final class VMMProcess: Sendable {
    /// The longest Unix socket path (`sun_path` holds 108 bytes with the terminating zero).
    package static let maximumSocketPathLength = 107

    /// How the process was started.
    package let configuration: VMMConfiguration
    /// The process id.
    package let pid: Int32
    /// A client for this process's API socket.
    package let api: FirecrackerAPIClient
    /// The guest's serial console.
    package let serial: SerialConsole
    /// From just before spawning to the first accepted connection on the API socket.
    package let startupDuration: Duration

    private let control: ProcessControl
    private let logger: Logger

    private init(
        configuration: VMMConfiguration,
        pid: Int32,
        control: ProcessControl,
        startupDuration: Duration,
        api: FirecrackerAPIClient,
        logger: Logger
    ) {
        self.configuration = configuration
        self.pid = pid
        self.control = control
        self.startupDuration = startupDuration
        self.api = api
        self.serial = SerialConsole(path: configuration.path(VMMConfiguration.FileName.serial))
        self.logger = logger
    }

    /// The working directory.
    package var workingDirectory: String { configuration.workingDirectory }

    /// What ``destroy(removingWorkspace:)`` removes: the working directory, or for a jailed VMM its whole jail.
    package var ownedDirectory: String {
        configuration.jailer?.jailDirectory(id: configuration.id) ?? configuration.workingDirectory
    }

    /// Path of the metrics file.
    package var metricsPath: String { configuration.path(VMMConfiguration.FileName.metrics) }

    /// Path of Firecracker's log.
    package var logPath: String { configuration.path(VMMConfiguration.FileName.log) }

    /// How the process ended, or `nil` while it runs.
    package var exit: VMMExit? { control.exit }

    /// Whether the process has ended or is on its way out (the kernel is tearing it down), decided from the
    /// process itself: its process descriptor and its `/proc` status, so it holds from the moment the kernel
    /// starts to close the process's descriptors, before its exit is recorded.
    var isEnding: Bool { control.isEnding(pid: pid) }

    /// Starts Firecracker and returns once its API socket accepts connections.
    ///
    /// - Parameters:
    ///   - configuration: binary, working directory, id and limits.
    ///   - logger: where this driver logs (never the hot path above debug).
    /// - Returns: the running process.
    /// - Throws: `FirecrackerError` with `.binaryNotFound` (the binary, or an absolute launcher, is not
    ///   executable), `.launchFailed`, `.processExited` (the process ended before its socket was ready, e.g.
    ///   the launcher failed) or `.socketNotReady`; nothing is left running or on disk.
    package static func launch(
        _ configuration: VMMConfiguration,
        logger: Logger = Logger(label: "snapbench.firecracker")
    ) async throws -> VMMProcess {
        guard access(configuration.binary, X_OK) == 0 else {
            throw FirecrackerError(.binaryNotFound, "no executable Firecracker at \(configuration.binary)")
        }
        // A launcher named by path is checked here too, so a typo is not reported as a VMM that exited.
        if let launcher = configuration.launcher.first, launcher.contains("/"), access(launcher, X_OK) != 0 {
            throw FirecrackerError(.binaryNotFound, "no executable launcher at \(launcher)")
        }
        let socketPath = configuration.path(VMMConfiguration.FileName.apiSocket)
        guard socketPath.utf8.count <= Self.maximumSocketPathLength else {
            throw FirecrackerError(
                .workspace,
                "the API socket path \(socketPath) has \(socketPath.utf8.count) bytes; Unix sockets allow "
                    + "\(Self.maximumSocketPathLength): choose a shorter work directory"
            )
        }
        try Workspace.prepare(configuration)
        let control = ProcessControl()
        let started = ContinuousClock.now
        let pid: Int32
        do {
            pid = try await spawn(configuration, control: control, logger: logger)
        } catch {
            try? Workspace.remove(
                configuration.jailer?.jailDirectory(id: configuration.id) ?? configuration.workingDirectory
            )
            throw error
        }
        let spawned = ContinuousClock.now
        let api = FirecrackerAPIClient(socketPath: socketPath, defaultTimeout: configuration.requestTimeout)
        let vmm = VMMProcess(
            configuration: configuration,
            pid: pid,
            control: control,
            startupDuration: .zero,
            api: api,
            logger: logger
        )
        do {
            if let limit = configuration.openFileLimit {
                try ProcessLimits.setOpenFileLimit(of: pid, to: limit)
            }
            try await waitForSocket(vmm, deadline: started + configuration.startupTimeout)
        } catch {
            await vmm.destroy()
            throw error
        }
        let ready = ContinuousClock.now
        logger.debug(
            "VMM up",
            metadata: [
                "vm.id": "\(configuration.id)", "vm.pid": "\(pid)",
                "vm.spawn_ms": "\(started.duration(to: spawned).inMilliseconds)",
                "vm.socket_ms": "\(spawned.duration(to: ready).inMilliseconds)",
            ]
        )
        return VMMProcess(
            configuration: configuration,
            pid: pid,
            control: control,
            startupDuration: started.duration(to: ready),
            api: api,
            logger: logger
        )
    }

    /// Sends a signal to the process (through its process descriptor, so never to a recycled pid).
    ///
    /// - Throws: `FirecrackerError(.system)` when the signal cannot be sent.
    package func send(signal: Int32) throws {
        do {
            try control.send(signal)
        } catch {
            throw FirecrackerError(.system, "cannot send signal \(signal) to VMM \(pid)", underlying: error)
        }
    }

    /// Waits until the process has ended and been reaped.
    package func waitForExit() async -> VMMExit {
        await control.waitForExit()
    }

    /// Waits until the process has ended, or `timeout` has passed.
    ///
    /// - Returns: how it ended, or `nil` when it still runs.
    package func waitForExit(within timeout: Duration) async -> VMMExit? {
        await control.waitForExit(within: timeout)
    }

    /// Stops the process: SIGTERM, then SIGKILL after the grace period; returns once it is reaped.
    @discardableResult
    package func stop() async -> VMMExit {
        await api.close()
        if let exit = control.exit { return exit }
        try? control.send(SIGTERM)
        // A stopped (SIGSTOP) process never acts on SIGTERM; SIGCONT lets it, SIGKILL below ends it anyway.
        try? control.send(SIGCONT)
        if let exit = await waitForExit(within: configuration.stopGracePeriod) { return exit }
        logger.debug("VMM ignored SIGTERM; killing", metadata: ["vm.id": "\(configuration.id)", "vm.pid": "\(pid)"])
        try? control.send(SIGKILL)
        return await control.waitForExit()
    }

    /// Stops the process and removes its working directory. Safe to call more than once.
    ///
    /// - Parameter removingWorkspace: `false` leaves the directory in place (only for tests that prove a leak
    ///   check catches a VM's leftovers).
    package func destroy(removingWorkspace: Bool = true) async {
        await stop()
        // The jailer's cgroup of this VM, empty now that its only process has been reaped.
        for directory in configuration.jailer?.cgroup?.cgroupDirectories(id: configuration.id) ?? [] {
            _ = rmdir(directory)
        }
        guard removingWorkspace else { return }
        do {
            // A jail is the directory above its root: the jailer made it, and it goes too.
            try Workspace.remove(
                configuration.jailer?.jailDirectory(id: configuration.id) ?? configuration.workingDirectory
            )
        } catch {
            logger.warning(
                "could not remove a VMM working directory",
                metadata: ["vm.id": "\(configuration.id)", "error": "\(error)"]
            )
        }
    }

    /// The last lines of Firecracker's log and stderr, to explain a failure.
    package func diagnostics(maxBytes: Int = 600) -> String {
        [VMMConfiguration.FileName.log, VMMConfiguration.FileName.standardError]
            .compactMap { name -> String? in
                guard let data = FileManager.default.contents(atPath: configuration.path(name)), !data.isEmpty
                else { return nil }
                return "\(name): "
                    + String(decoding: data.suffix(maxBytes), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            .joined(separator: " | ")
    }

    // MARK: - Launch steps

    /// What is spawned: the binary itself, or the launcher's first element with the binary among its arguments.
    private static func command(_ configuration: VMMConfiguration) -> (executable: Executable, arguments: [String]) {
        let program = configuration.jailer?.jailerPath ?? configuration.binary
        guard let launcher = configuration.launcher.first else {
            return (.path(FilePath(program)), arguments(configuration))
        }
        let executable: Executable = launcher.contains("/") ? .path(FilePath(launcher)) : .name(launcher)
        let prefix = Array(configuration.launcher.dropFirst()) + [program]
        return (executable, prefix + arguments(configuration))
    }

    private static func arguments(_ configuration: VMMConfiguration) -> [String] {
        var firecracker = [
            "--api-sock", configuration.vmmPath(VMMConfiguration.FileName.apiSocket),
            "--log-path", configuration.vmmPath(VMMConfiguration.FileName.log),
            "--level", configuration.logLevel.rawValue,
            "--metrics-path", configuration.vmmPath(VMMConfiguration.FileName.metrics),
        ]
        guard let jail = configuration.jailer else {
            return ["--id", configuration.id] + firecracker + configuration.additionalArguments
        }
        // The jailer passes its own --id to the VMM.
        firecracker += configuration.additionalArguments
        return jail.arguments(id: configuration.id, firecracker: configuration.binary) + ["--"] + firecracker
    }

    /// Starts the supervising task and returns the child's pid once it is spawned.
    private static func spawn(
        _ configuration: VMMConfiguration,
        control: ProcessControl,
        logger: Logger
    )
        async throws -> Int32
    {
        let serial = try Workspace.openForAppend(configuration.path(VMMConfiguration.FileName.serial))
        let standardError: FileDescriptor
        do {
            standardError = try Workspace.openForAppend(configuration.path(VMMConfiguration.FileName.standardError))
        } catch {
            try? serial.close()
            throw error
        }
        let options = {
            var options = PlatformOptions()
            options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: configuration.stopGracePeriod)]
            return options
        }()
        // The supervisor lives exactly as long as the child: `Subprocess.run` returns once the child has been
        // reaped. The body returns at once: run then waits on swift-subprocess's process-descriptor monitor.
        // (Parking inside the body, e.g. in a teardown step with a long allowance, leaves a dispatch timer
        // armed for that allowance after the child exits: ~700 bytes kept per VMM, measured with jeprof.)
        return try await withCheckedThrowingContinuation { (started: CheckedContinuation<Int32, any Error>) in
            let once = ResumeOnce(started)
            let command = command(configuration)
            let commandLine = (configuration.launcher + [configuration.binary]).joined(separator: " ")
            Task {
                do {
                    let result = try await Subprocess.run(
                        command.executable,
                        arguments: Arguments(command.arguments),
                        workingDirectory: FilePath(configuration.workingDirectory),
                        platformOptions: options,
                        input: .none,
                        output: .fileDescriptor(serial, closeAfterSpawningProcess: true),
                        error: .fileDescriptor(standardError, closeAfterSpawningProcess: true)
                    ) { execution in
                        let pid = execution.processIdentifier.value
                        do {
                            try control.attach(pid: pid)
                            once.resume(.success(pid))
                        } catch {
                            // Without a descriptor it could not be stopped safely: end it now.
                            _ = kill(pid, SIGKILL)
                            once.resume(.failure(error))
                        }
                    }
                    control.markExited(VMMExit(result.terminationStatus))
                } catch {
                    once.resume(
                        .failure(
                            FirecrackerError(.launchFailed, "cannot start \(commandLine)", underlying: error)
                        )
                    )
                    control.markExited(.unknown("\(error)"))
                }
            }
        }
    }

    private static func waitForSocket(_ vmm: VMMProcess, deadline: ContinuousClock.Instant) async throws {
        let socketPath = vmm.configuration.path(VMMConfiguration.FileName.apiSocket)
        let control = vmm.control
        let ready = try await FileEvents.wait(on: vmm.workingDirectory, for: .created, until: deadline) {
            control.exit != nil || access(socketPath, F_OK) == 0 ? true : nil
        }
        if let exit = control.exit {
            throw FirecrackerError(
                .processExited,
                "Firecracker \(exit) before its API socket was ready; \(vmm.diagnostics())"
            )
        }
        guard ready != nil else {
            throw FirecrackerError(
                .socketNotReady,
                "the API socket did not appear within \(vmm.configuration.startupTimeout)"
            )
        }
        // The socket file exists from bind(2); listen(2) follows within microseconds, so a refused
        // connection is retried briefly.
        var attempt = 0
        while true {
            do {
                try await vmm.api.connect()
                return
            } catch let error as FirecrackerError where error.code == .connectFailed {
                attempt += 1
                if ContinuousClock.now >= deadline || control.exit != nil || attempt > 200 { throw error }
                try await Task.sleep(for: .microseconds(50))
            }
        }
    }
}

/// Runs `body` with a freshly launched VMM and destroys it afterwards, whether `body` returns or throws.
///
/// ```swift
/// let version = try await withVMM(configuration) { vmm in
///     try await vmm.api.instanceInfo().vmmVersion
/// }
/// ```
package func withVMM<Result: Sendable>(
    _ configuration: VMMConfiguration,
    logger: Logger = Logger(label: "snapbench.firecracker"),
    body: (VMMProcess) async throws -> Result
) async throws -> Result {
    let vmm = try await VMMProcess.launch(configuration, logger: logger)
    do {
        let result = try await body(vmm)
        await vmm.destroy()
        return result
    } catch {
        await vmm.destroy()
        throw error
    }
}

/// Resumes a continuation at most once, from whichever path gets there first.
final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(_ result: Result<T, any Error>) {
        let pending = continuation.withLock { continuation in
            defer { continuation = nil }
            return continuation
        }
        pending?.resume(with: result)
    }
}
