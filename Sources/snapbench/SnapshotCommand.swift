import ArgumentParser
import Firecracker
import Foundation
import HostSystem

struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Build or verify golden snapshots of the built-in guest.",
        subcommands: [Build.self, Verify.self]
    )

    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Boot the built-in guest, wait until it is ready, and write a Full snapshot with its manifest.",
            discussion: "Example: snapbench snapshot build --output /tmp/golden --working-set 16 --memory 128"
        )

        @OptionGroup var common: CommonOptions

        @Option(help: ArgumentHelp("Directory to write vm.state, vm.mem and manifest.json into.", valueName: "dir"))
        var output: String

        @Option(name: .customLong("working-set"), help: "MiB of guest memory the guest writes before the snapshot.")
        var workingSet: Int = 16

        @Option(help: "Guest memory in MiB.")
        var memory: Int = 128

        @Option(help: "vCPUs.")
        var vcpus: Int = 1

        func validate() throws {
            guard (1...32).contains(vcpus) else { throw ValidationError("--vcpus must be between 1 and 32") }
            guard memory >= 32 else { throw ValidationError("--memory must be at least 32 MiB") }
            guard workingSet >= 0, workingSet <= memory - 24 else {
                throw ValidationError("--working-set must be between 0 and --memory minus 24 MiB (\(memory - 24))")
            }
        }

        func run() async throws {
            let logger = common.makeLogger("snapbench.snapshot")
            let installation = try await FirecrackerInstallation.locate(explicitPath: common.firecracker)
            let guest = try ProjectPaths.locateGuest(explicitPath: common.guest)
            let spec = VMSpec.builtInGuest(
                imagePath: guest,
                workingSetMiB: workingSet,
                memoryMiB: memory,
                vcpuCount: vcpus
            )
            let output = try PrivateDirectory.prepare(output, role: "snapshot directory", flag: "--output")
            let snapshot = try await Interruption.cancellingOnSignals {
                try await GoldenSnapshot.build(spec: spec, installation: installation, into: output, logger: logger)
            }
            let manifest = snapshot.manifest
            print("snapshot written to \(snapshot.directory)")
            print("  state \(manifest.stateFile) sha256 \(manifest.stateSHA256)")
            print("  memory \(manifest.memoryFile) \(manifest.memoryBytes / 1_048_576) MiB")
            print(
                "  boot → ready \(String(format: "%.1f", manifest.bootToReadyMilliseconds)) ms, create \(String(format: "%.1f", manifest.createMilliseconds)) ms"
            )
            print("  compatibility key \(manifest.compatibility.digest)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a snapshot's files against its manifest and this host.",
            discussion: "Exits non-zero when a file is missing or damaged, or the snapshot was made elsewhere."
        )

        @OptionGroup var common: CommonOptions

        @Argument(help: ArgumentHelp("The snapshot directory.", valueName: "dir"))
        var directory: String

        func run() async throws {
            let snapshot = try GoldenSnapshot.open(directory: directory)
            try snapshot.verify()
            let installation = try await FirecrackerInstallation.locate(explicitPath: common.firecracker)
            var spec = snapshot.manifest.spec
            spec.kernelImagePath = snapshot.manifest.spec.kernelImagePath
            let here = try CompatibilityKey.make(spec: spec, installation: installation, host: .current())
            let differences = here.differences(from: snapshot.manifest.compatibility)
            guard differences.isEmpty else {
                print("incompatible with this host: \(differences.joined(separator: ", ")) differ")
                throw ExitCode.failure
            }
            print("ok: files intact, compatible with this host (key \(here.digest.prefix(16))…)")
        }
    }
}
