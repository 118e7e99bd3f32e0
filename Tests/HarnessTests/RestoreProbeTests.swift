import Firecracker
import Foundation
import Harness
import Synchronization
import TestSupport
import Testing

@Suite(
    "Restore probe on real Firecracker",
    .serialized,
    .requiresKVM
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

@Suite(
    "Spawn cost probe on real Firecracker",
    .serialized,
    .requiresKVM
)
struct SpawnCostProbeTests {
    @Test("an on-demand spawn costs more CPU than a warm one; every clone is gone and its directory removed")
    func costs() async throws {
        try await withGoldenSnapshot { installation, snapshot, clones in
            let costs = try await SpawnCostProbe(installation: installation, snapshot: snapshot, workDirectory: clones)
                .measure(samples: 3)
            #expect(costs.warm.count == 3 && costs.onDemand.count == 3)
            #expect(costs.warm.allSatisfy { $0 > 0 })
            // The on-demand spawn includes the warm one's resume and readiness, and a whole restore besides.
            for (warm, onDemand) in zip(costs.warm, costs.onDemand) { #expect(onDemand > warm) }
            #expect(costs.onDemandMilliseconds > costs.warmMilliseconds)
            #expect(!FileManager.default.fileExists(atPath: clones))
            #expect(Leftovers.childVMMs().isEmpty)
        }
    }

    @Test("the median of an even number of samples is the mean of the middle two")
    func median() {
        #expect(SpawnCostProbe.Costs(warm: [4, 1, 3, 2], onDemand: [5]).warmMilliseconds == 2.5)
        #expect(SpawnCostProbe.Costs(warm: [], onDemand: [5, 9, 7]).onDemandMilliseconds == 7)
        #expect(SpawnCostProbe.Costs().warmMilliseconds == 0)
    }
}

final class ProgressLog: Sendable {
    private let storage = Mutex<[Int]>([])
    func append(_ value: Int) { storage.withLock { $0.append(value) } }
    var values: [Int] { storage.withLock { $0 } }
}
