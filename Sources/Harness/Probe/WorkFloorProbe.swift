package import Firecracker
import Foundation
import HostSystem
package import Logging
import MicroVM
package import Reporting

/// The floor of a guest's first work after a resume (``WorkFloor``): clones of the scenario's VM, each asked by
/// its agent over vsock to re-touch its working set twice, the second time with every page present.
///
/// The probe builds a golden snapshot of its own — the scenario's guest with a vsock device and its agent, so
/// it can be asked twice — restores `samples` clones from it one at a time (Firecracker's File backend, page
/// cache warm), and keeps each clone's second re-touch as the guest's TSC timed it. Nothing else runs.
///
/// ```swift
/// let floor = try await WorkFloorProbe(installation: fc, spec: spec, touchMiB: 16, workDirectory: "/tmp/wf")
///     .measure(samples: 5)
/// ```
package struct WorkFloorProbe: Sendable {
    package var installation: FirecrackerInstallation
    /// The scenario's built-in guest (its working set and touch order); the probe adds the agent.
    package var spec: VMSpec
    package var touchMiB: Int
    /// The golden snapshot and the clones go below it (removed at the end).
    package var workDirectory: String
    package var logger: Logger

    package init(
        installation: FirecrackerInstallation,
        spec: VMSpec,
        touchMiB: Int,
        workDirectory: String,
        logger: Logger = Logger(label: "snapbench.work-floor")
    ) {
        self.installation = installation
        self.spec = spec
        self.touchMiB = touchMiB
        self.workDirectory = workDirectory
        self.logger = logger
    }

    /// Measures `samples` clones.
    ///
    /// - Throws: the first build, restore or agent failure; every clone is destroyed whatever happens.
    package func measure(samples: Int) async throws -> WorkFloor {
        defer { try? FileManager.default.removeItem(atPath: workDirectory) }
        var spec = self.spec
        // Asked, not done at every resume: `touch=` off, the agent on, the serial proof left out.
        spec.bootArgs =
            spec.bootArgs.split(separator: " ").filter { !$0.hasPrefix("touch=") }.joined(separator: " ")
            + " serialproof=0"
        spec.vsock = Vsock(guestCid: 3, udsPath: "vsock.sock")
        spec.readiness.agent = .builtIn
        spec.hugePages = nil
        let snapshot = try await GoldenSnapshot.build(
            spec: spec,
            installation: installation,
            into: workDirectory + "/golden",
            logger: logger
        )
        var guest: [Double] = []
        for index in 0..<samples {
            let clone = try await ClonedVM.restore(
                from: snapshot,
                installation: installation,
                workingDirectory: "\(workDirectory)/clone-\(index)",
                id: "work-floor-\(index)",
                options: ClonedVM.RestoreOptions(
                    logger: logger
                )
            )
            do {
                _ = try await clone.resume(deadline: .now + .seconds(5))
                var reports: [WorkReport] = []
                for _ in 0..<2 {
                    let exchange = try await clone.ask(
                        .builtIn,
                        "touch \(touchMiB)",
                        expecting: "W",
                        deadline: .now + .seconds(30)
                    )
                    guard let report = WorkReport(line: exchange.reply, observedAt: exchange.replied),
                        report.wrongPages == 0
                    else {
                        throw FirecrackerError(.agentMismatch, "the work floor's clone answered `\(exchange.reply)`")
                    }
                    reports.append(report)
                }
                guest.append(Double(reports[1].guestMicroseconds) / 1000)
                await clone.destroy()
            } catch {
                await clone.destroy()
                throw error
            }
        }
        return WorkFloor(touchMiB: touchMiB, samples: samples, guestMilliseconds: guest)
    }
}
