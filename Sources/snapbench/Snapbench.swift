import ArgumentParser
import Foundation
import HostSystem
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
        version: SnapbenchVersion.current,
        subcommands: [
            RunCommand.self, ABCommand.self, CompareCommand.self, ReportCommand.self, DoctorCommand.self,
            SnapshotCommand.self, ProbeCommand.self, PoolBenchCommand.self, AuditCommand.self, HistoryCommand.self,
        ]
    )

    /// Parses and runs a command; a command line that does not parse (or fails its own checks) exits 3, the
    /// one code for invalid input, rather than ArgumentParser's 64.
    static func main() async {
        // Line-buffered even into a file or pipe, so a CI log shows each progress line as it happens.
        StandardOutput.makeLineBuffered()
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let refusal as PrivateDirectory.Refusal {
            FileHandle.standardError.write(Data("snapbench: invalid input: \(refusal)\n".utf8))
            Foundation.exit(ExitStatus.invalidInput.rawValue)
        } catch let refusal as FileNameError {
            FileHandle.standardError.write(Data("snapbench: invalid input: \(refusal)\n".utf8))
            Foundation.exit(ExitStatus.invalidInput.rawValue)
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

extension ExitCode {
    /// The process exit code of a snapbench outcome: every command ends through this one mapping.
    init(_ status: ExitStatus) {
        self.init(status.rawValue)
    }
}
