import ArgumentParser
import Firecracker
import Foundation
import Harness
import HostSystem
import Reporting

struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Restore clones of a fresh golden snapshot one after another and time every stage.",
        discussion: """
            Builds a golden snapshot of the built-in guest, then for each run starts a Firecracker process,
            loads the snapshot (paused), resumes it and waits for the guest's readiness line. Prints p50/p95/max
            of each stage and Firecracker's own load_snapshot metric beside the client-side restore time.

            Definitions: restore = PUT /snapshot/load request → response; spawn from nothing = process start +
            restore + resume + readiness.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "How many clones to restore.")
    var runs: Int = 30

    @Option(name: .customLong("working-set"), help: "MiB the guest writes before the snapshot.")
    var workingSet: Int = 16

    @Option(help: "Guest memory in MiB.")
    var memory: Int = 128

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard workingSet >= 0, workingSet <= memory - 24 else {
            throw ValidationError("--working-set must be between 0 and --memory minus 24 MiB (\(memory - 24))")
        }
    }

    func run() async throws {
        let logger = common.makeLogger("snapbench.probe")
        let installation = try await FirecrackerInstallation.locate(explicitPath: common.firecracker)
        let guest = try ProjectPaths.locateGuest(explicitPath: common.guest)
        let directories = try common.directories()
        let root = await ScratchDirectory.claim(kind: "probe", purpose: "restores", in: directories.work)
        let vms = await ScratchDirectory.claim(kind: "probe", purpose: "vms", in: directories.vms)
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: vms)
        }
        print(
            "Firecracker v\(installation.version) (\(installation.isPinned ? "pinned" : "not pinned")), host \(HostInfo.current().kvmFlavour)"
        )
        let spec = VMSpec.builtInGuest(imagePath: guest, workingSetMiB: workingSet, memoryMiB: memory)
        let snapshot = try await Interruption.cancellingOnSignals {
            try await GoldenSnapshot.build(
                spec: spec,
                installation: installation,
                into: root + "/golden",
                logger: logger
            )
        }
        print(
            "golden snapshot: \(memory) MiB, \(workingSet) MiB written, boot → ready \(formatMilliseconds(snapshot.manifest.bootToReadyMilliseconds, decimals: 1)) ms, create \(formatMilliseconds(snapshot.manifest.createMilliseconds, decimals: 1)) ms"
        )
        let total = runs
        var probe = RestoreProbe(installation: installation, snapshot: snapshot, workRoot: vms + "/clones")
        probe.logger = logger
        let result = try await Interruption.cancellingOnSignals { [probe, runs] in
            try await probe.run(runs: runs) { done in
                if done % 10 == 0 || done == total { print("  restored \(done)/\(total)") }
            }
        }
        var table = TextTable(
            columns: ["stage (ms)", "p50", "p95", "max", "n"],
            alignments: [.left, .right, .right, .right, .right]
        )
        for (name, histogram) in result.stages {
            let summary = histogram.summary
            table.append([
                name, formatMilliseconds(summary.p50), formatMilliseconds(summary.p95),
                formatMilliseconds(summary.max), String(summary.count),
            ])
        }
        print(table.render())
        if let client = result.load.summary.p50, let own = result.firecrackerLoad.summary.p50 {
            print(
                "client restore p50 − Firecracker load_snapshot p50 = \(formatMilliseconds(client - own, decimals: 3)) ms"
            )
        }
        print("\(result.tokens.count) distinct readiness tokens; e.g. \(result.tokens.first ?? "-")")
    }
}
