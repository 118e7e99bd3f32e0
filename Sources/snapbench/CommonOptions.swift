public import ArgumentParser
import Foundation
public import Logging

/// Options every command that drives Firecracker shares.
struct CommonOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Path of the firecracker binary (default: $SNAPBENCH_FIRECRACKER, .snapbench/bin/firecracker, $PATH).",
            valueName: "path"
        )
    )
    var firecracker: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Path of the built-in guest ELF (default: $SNAPBENCH_GUEST, .snapbench/guest/snapbench-guest.elf).",
            valueName: "path"
        )
    )
    var guest: String?

    @Option(
        name: .customLong("work-dir"),
        help: ArgumentHelp("Where VM working directories and snapshots are made.", valueName: "dir")
    )
    var workDirectory: String = FileManager.default.temporaryDirectory.appendingPathComponent("snapbench").path

    @Option(name: .customLong("log-level"), help: "How much to log to standard error.")
    var logLevel: Logger.Level = .warning

    func makeLogger(_ label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = logLevel
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
