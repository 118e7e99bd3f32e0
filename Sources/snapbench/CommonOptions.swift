public import ArgumentParser
import Foundation
import Glibc
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
        help: ArgumentHelp(
            "Where snapshots, scratch files and VM working directories are made (default: $TMPDIR/snapbench-<uid>, "
                + "/tmp/snapbench-<uid> without TMPDIR). Made at mode 0700 without following links; refused when it "
                + "is a symbolic link, belongs to another user, or others may write to it.",
            valueName: "dir"
        )
    )
    var workDirectory: String?

    @Option(
        name: .customLong("vm-dir"),
        help: ArgumentHelp(
            "Where each VM's own directory (API socket, logs, serial output) is made (default: "
                + "/dev/shm/snapbench-<uid> where /dev/shm is a tmpfs, else below the work directory: creating thousands "
                + "of them on ext4 costs CPU). Checked as --work-dir is.",
            valueName: "dir"
        )
    )
    var vmDirectory: String?

    /// The work and VM directories, made and checked (``PrivateDirectory``): the flags' or this user's defaults.
    ///
    /// - Throws: `PrivateDirectory.Refusal` naming the directory, what is wrong and the fix, before anything is
    ///   written below it.
    func directories() throws -> (work: String, vms: String) {
        let user = getuid()
        let temporary = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let work = try PrivateDirectory.prepare(
            workDirectory ?? "\(temporary)/snapbench-\(user)",
            role: "work directory",
            flag: "--work-dir"
        )
        let vms = try PrivateDirectory.prepare(
            vmDirectory ?? RuntimeDirectory.base(named: "snapbench-\(user)", fallback: work + "/vms"),
            role: "VM directory",
            flag: "--vm-dir"
        )
        return (work, vms)
    }

    @Option(name: .customLong("log-level"), help: "How much to log to standard error.")
    var logLevel: Logger.Level = .warning

    func makeLogger(_ label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = logLevel
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
