import ArgumentParser

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
            """,
        subcommands: [
            RunCommand.self, ReportCommand.self, CompareCommand.self, Doctor.self, SnapshotCommand.self, Probe.self,
            PoolBench.self,
            AuditCommand.self,
        ]
    )
}
