import ArgumentParser
import Firecracker
import Foundation
import Logging

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

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning or error.")
    var logLevel: String = "warning"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error")
        }
    }

    func makeLogger(_ label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        return logger
    }
}
