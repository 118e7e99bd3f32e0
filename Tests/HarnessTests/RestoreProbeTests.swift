import Firecracker
import Foundation
import Harness
import Synchronization
import TestSupport
import Testing

@Suite(
    "Restore probe on real Firecracker",
    .serialized,
    .enabled(if: TestEnvironment.kvmAvailable, Comment(rawValue: TestEnvironment.kvmSkipReason))
)
struct RestoreProbeTests {
    @Test("each run records every stage once, tokens are distinct, nothing is left in the work root")
    func probe() async throws {
        try await withGoldenSnapshot { installation, snapshot, clones in
            var progress: [Int] = []
            let seen = ProgressLog()
            let result = try await RestoreProbe(installation: installation, snapshot: snapshot, workRoot: clones)
                .run(runs: 3) { seen.append($0) }
            progress = seen.values
            #expect(progress == [1, 2, 3])
            #expect(Set(result.tokens).count == 3)
            for (name, histogram) in result.stages {
                #expect(histogram.count == 3, "\(name) should have 3 values")
            }
            let spawnP50 = try #require(result.spawn.percentile(50))
            let loadP50 = try #require(result.load.percentile(50))
            #expect(spawnP50 > loadP50)
            #expect((try? FileManager.default.contentsOfDirectory(atPath: clones))?.isEmpty ?? true)
            #expect(Leftovers.childVMMs().isEmpty)
        }
    }
}

final class ProgressLog: Sendable {
    private let storage = Mutex<[Int]>([])
    func append(_ value: Int) { storage.withLock { $0.append(value) } }
    var values: [Int] { storage.withLock { $0 } }
}
