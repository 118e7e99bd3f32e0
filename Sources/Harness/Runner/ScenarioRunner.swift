import Firecracker
import Foundation
import Glibc
import HostSystem
package import Logging
package import Reporting
package import Scenarios
import SnapshotPool

/// Runs one scenario: checks that its backend can run here, builds the pool on it, drives it through the
/// phases, samples memory and the host, drains, checks for leaks, evaluates the gates and returns the report.
///
/// ```swift
/// let runner = ScenarioRunner(scenario: scenario, options: .init(workDirectory: "/tmp/snapbench"))
/// let report = try await runner.run()
/// print(report.verdict)
/// ```
package struct ScenarioRunner: Sendable {
    /// Where and how to run.
    package struct Options: Sendable {
        /// VM working directories go below it (`vms/`, shared by every run so that a run reclaims what a killed
        /// one left); snapshots too unless ``snapshotDirectory`` is set.
        package var workDirectory: String
        /// Where golden snapshots are built; `nil` means `<workDirectory>/snapshots`.
        package var snapshotDirectory: String?
        /// Where VM directories go (`vms/` below it, shared by every run, so that a run reclaims what a killed
        /// one left); `nil` means the work directory. A tmpfs is best (see `RuntimeDirectory`).
        package var vmDirectory: String?
        /// The Firecracker binary, when the user named one.
        package var firecrackerPath: String?
        /// The built-in guest, when the user named one.
        package var guestPath: String?
        /// Overrides the scenario's backend choice.
        package var backend: BackendChoice?
        /// Gates added on the command line.
        package var extraGates: [Gate] = []
        /// A release sign-off: only real Firecracker may run it.
        package var signOff = false
        /// Where the run's audit log goes; `nil` keeps it in the work directory until it is verified, then
        /// removes it.
        package var auditPath: String?
        /// The snapbench commit the report names.
        package var commit: String?
        /// Called about once a second with the run's progress.
        package var progress: (@Sendable (RunProgress) -> Void)?
        /// Where to log.
        package var logger = Logger(label: "snapbench.run")
        /// For tests of the gates only: time added to every restore inside its timed load, as the regression
        /// drill build adds.
        package var regressionDrill: Duration?
        /// For tests of the gates only: whether the host's disturbances (CPU steal, other processes' CPU, a late
        /// real-time thread) take the acquires they touch out of a failed gate's second judgement. Off, a failed
        /// gate stays failed whatever else the host runs, so a test's verdict cannot depend on a build beside it.
        package var detectsDisturbances = true
        /// For tests of the leak check only: VMs (by id) whose teardown skips removing their directory.
        package var skipsCleanup: (@Sendable (String) -> Bool)?
        /// Serve live metrics (Prometheus text) at `host:port` while the run lasts; port 0 lets the system pick.
        package var metricsListen: String?
        /// Told where the live metrics are served, once they are.
        package var metricsListening: (@Sendable (String) -> Void)?

        package init(workDirectory: String) {
            self.workDirectory = workDirectory
        }
    }

    /// The scenario.
    package var scenario: Scenario
    /// The options.
    package var options: Options

    package init(scenario: Scenario, options: Options) {
        self.scenario = scenario
        self.options = options
    }

    /// Runs the scenario.
    ///
    /// - Returns: the report, with its verdict (`incomplete` when the pool could not start or a phase could not
    ///   run; the error is in the report's gates).
    /// - Throws: ``RunError`` when the run cannot start: `.prerequisitesMissing` (no usable KVM, Firecracker or
    ///   guest, with how to fix it), `.notPermitted` (the scenario needs root: ``PrivilegeCheck``) or
    ///   `.invalidRequest` (a sign-off on the simulated backend); the set-up's
    ///   own error when a resource cannot be made. Nothing is left behind.
    package func run() async throws -> RunReport {
        let choice = options.backend ?? scenario.backend
        let signOff = options.signOff || scenario.signOff
        if signOff, choice == .simulated {
            throw RunError(
                .invalidRequest,
                "\(scenario.name) is a release sign-off, which only real Firecracker may pass; it cannot run on the "
                    + "simulated backend"
            )
        }
        switch choice {
        case .firecracker:
            let missing = PrivilegeCheck(scenario: scenario).missing()
            if !missing.isEmpty {
                throw RunError(
                    .notPermitted,
                    "\(scenario.name) needs what this user may not do, so nothing was started: "
                        + missing.joined(separator: "; ")
                )
            }
            let (installation, spec) = try await FirecrackerPrerequisites(
                firecrackerPath: options.firecrackerPath,
                guestPath: options.guestPath
            )
            .check(
                for: scenario.vm,
                readiness: scenario.readiness,
                memory: scenario.pool.memory,
                maximumVMs: scenario.pool.configuration.maximumVMs
            )
            let audit = try RunAuditLog(path: options.auditPath, workDirectory: options.workDirectory)
            let resources: RunResources<FirecrackerBackend>
            do {
                resources = try await .firecracker(
                    scenario: scenario,
                    options: options,
                    installation: installation,
                    spec: spec,
                    audit: audit
                )
            } catch {
                audit.close()
                audit.discard()
                throw error
            }
            return await execute(resources, signOff: signOff)
        case .simulated:
            let audit = try RunAuditLog(path: options.auditPath, workDirectory: options.workDirectory)
            return await execute(.simulated(scenario: scenario, audit: audit), signOff: signOff)
        }
    }

    private func execute<Backend: VMBackend>(_ resources: RunResources<Backend>, signOff: Bool) async -> RunReport {
        var live: LiveMetrics?
        var server: MetricsServer?
        if let listen = options.metricsListen {
            let metrics = LiveMetrics()
            do {
                server = try await MetricsServer.start(listen: listen, metrics: metrics)
                live = metrics
                options.metricsListening?(server?.address ?? listen)
            } catch {
                options.logger.error("live metrics not served: \(error)")
            }
        }
        let outcome = await RunExecution(scenario: scenario, options: options, resources: resources, live: live)
            .drive()
        await server?.stop()
        let releaseProblems = await resources.release()
        let leakCheck = LeakChecker(
            outcome: outcome,
            poolDirectory: resources.poolDirectory,
            filesystemPath: resources.filesystem?.path,
            teardown: resources.teardown,
            releaseProblems: releaseProblems,
            allocationLimit: (scenario.gates + options.extraGates).first { $0.metric == .allocatedPerLease }?.threshold
        )
        .check()
        let report = await ReportAssembler(
            scenario: scenario,
            options: options,
            outcome: outcome,
            leakCheck: leakCheck,
            backend: resources.backend.kind,
            installation: resources.installation,
            auditPath: resources.audit.path,
            quarantines: await resources.quarantines(),
            signOff: signOff
        )
        .assemble()
        resources.audit.discard()
        return report
    }
}

/// Why a run could not start.
package struct RunError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of problem.
    package enum Code: String, Sendable, Equatable {
        /// KVM, Firecracker or the guest is not usable here; the message says how to fix it.
        case prerequisitesMissing = "prerequisites_missing"
        /// The request contradicts itself (a sign-off on the simulated backend).
        case invalidRequest = "invalid_request"
        /// The scenario needs what this user may not do (network namespaces, the jailer, a memory cgroup, a
        /// mount); the message names each key and why.
        case notPermitted = "not_permitted"
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
