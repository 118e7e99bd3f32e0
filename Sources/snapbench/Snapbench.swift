import ArgumentParser
import Foundation
import Reporting

@main
struct Snapbench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapbench",
        abstract: "Measure snapshot restores of real Firecracker microVMs.",
        discussion: """
            Every number comes from real Firecracker processes restoring real snapshots of the built-in guest.
            Start with `snapbench doctor` to see whether this host can run them, then
            `snapbench probe --runs 30` for the restore floor of this machine.

            Set-up (the pinned Firecracker v1.12.1, the guest, jemalloc): scripts/setup

            \(ExitStatus.help)
            """,
        subcommands: [
            RunCommand.self, ABCommand.self, CompareCommand.self, ReportCommand.self, Doctor.self,
            SnapshotCommand.self, Probe.self, PoolBench.self, AuditCommand.self,
        ]
    )

    /// Parses and runs a command; a command line that does not parse (or fails its own checks) exits 3, the
    /// one code for invalid input, rather than ArgumentParser's 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.invalidInput.rawValue)
            }
            exit(withError: error)
        }
    }
}
