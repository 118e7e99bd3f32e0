import ArgumentParser
import Harness
import Reporting

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check whether this host can run real Firecracker restores.",
        discussion: """
            Checks /dev/kvm (and which KVM it is), the Firecracker and jailer binaries (version, sha256, whether
            they are the pinned build), the built-in guest, jemalloc, cgroup v1/v2, memory PSI, userfaultfd and
            network namespaces/TUN. Exits non-zero when the Firecracker path cannot run.
            """
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let checks = await HostChecks(firecrackerPath: common.firecracker, guestPath: common.guest).run()
        var table = TextTable(columns: ["check", "status", "detail"])
        for check in checks {
            table.append([check.name, check.status.rawValue, check.detail])
        }
        print(table.render())
        if checks.contains(where: { $0.status == .failed }) {
            print("\nThe Firecracker path cannot run on this host; see the failed checks above.")
            throw ExitCode.failure
        }
    }
}
