public import ArgumentParser
import Foundation
import HostSystem
public import Logging

/// Options every command that drives Firecracker shares.
struct CommonOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Path of the firecracker binary (default: $SNAPBENCH_FIRECRACKER, then $SNAPBENCH_HOME, then "
                + "libexec/snapbench/firecracker beside an installed snapbench, then .snapbench/bin/firecracker in a "
                + "checkout, then $PATH).",
            valueName: "path"
        )
    )
    var firecracker: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Path of the built-in guest ELF (default: $SNAPBENCH_GUEST, then $SNAPBENCH_HOME, then "
                + "share/snapbench/guest/ beside an installed snapbench, then .snapbench/guest/snapbench-guest.elf in a "
                + "checkout).",
            valueName: "path"
        )
    )
    var guest: String?

    @Option(
        name: .customLong("work-dir"),
        help: ArgumentHelp("Where VM working directories and snapshots are made.", valueName: "dir")
    )
    var workDirectory: String = FileManager.default.temporaryDirectory.appendingPathComponent("snapbench").path

    @Option(
        name: .customLong("vm-dir"),
        help: ArgumentHelp(
            "Where each VM's own directory (API socket, logs, serial output) is made (default: /dev/shm/snapbench "
                + "where /dev/shm is a tmpfs, else --work-dir: creating thousands of them on ext4 costs CPU).",
            valueName: "dir"
        )
    )
    var vmDirectory: String?

    /// Where VM directories go: `--vm-dir`, else a tmpfs, else the work directory.
    var vmRoot: String { vmDirectory ?? RuntimeDirectory.base(fallback: workDirectory) }

    @Option(name: .customLong("log-level"), help: "How much to log to standard error.")
    var logLevel: Logger.Level = .warning

    func makeLogger(_ label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = logLevel
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
