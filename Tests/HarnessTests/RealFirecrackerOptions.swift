import Firecracker
import Harness
import TestSupport

extension ScenarioRunner.Options {
    /// A run on real Firecracker with the built-in guest, its work and snapshots below `scratch`.
    static func realFirecracker(in scratch: String) async throws -> Self {
        var options = Self(workDirectory: scratch + "/work")
        options.snapshotDirectory = scratch + "/snapshots"
        options.guestPath = try TestEnvironment.guestPath()
        options.firecrackerPath = try await TestEnvironment.installation().firecrackerPath
        return options
    }
}
