import Firecracker
import Foundation
import Harness
import Reporting
import SnapshotPool
import TestSupport
import Testing

@Suite(
    "Pool benchmark on real Firecracker",
    .serialized,
    .requiresKVM
)
struct PoolBenchmarkTests {
    @Test("every measurement is taken in one run and the work root is left empty")
    func smallRun() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        var benchmark = PoolBenchmark(
            installation: try await TestEnvironment.installation(),
            guestPath: try TestEnvironment.guestPath(),
            workRoot: scratch + "/bench"
        )
        benchmark.workingSetMiB = 4
        let stages = LockedArray<String>()
        let result = try await benchmark.run(samples: 5, leases: 10) { stages.append($0) }
        #expect(result.rawResumeReadiness.count == 5)
        #expect(result.rawSpawn.count == 5)
        #expect(result.warmAcquire.count == result.warmStages.count)
        #expect(result.warmAcquire.count >= 4, "the pool is full before each warm acquire")
        #expect(result.onDemandAcquire.count == 5)
        #expect(result.leases == 10)
        #expect(result.counters.released == 30)
        #expect((result.allocatedBefore ?? 0) > 0 && (result.allocatedAfter ?? 0) > 0)
        // The pool adds work on top of the VM's own stages, never less.
        #expect(try #require(result.warmAcquire.percentile(50)) >= (try #require(result.warmStages.percentile(50))))
        #expect(stages.values.first?.hasPrefix("raw:") == true)
        #expect(Leftovers.childVMMs().isEmpty)
        let work = (try? FileManager.default.contentsOfDirectory(atPath: scratch + "/bench/work")) ?? []
        #expect(work.isEmpty, "pool directories left: \(work)")
    }

    @Test("a burst benchmark measures every spawn of raw and pool bursts, their CPU and the floor; nothing is left")
    func burst() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        var benchmark = BurstBenchmark(
            installation: try await TestEnvironment.installation(),
            guestPath: try TestEnvironment.guestPath(),
            workRoot: scratch + "/burst"
        )
        benchmark.workingSetMiB = 4
        let lines = LockedArray<String>()
        benchmark.costSamples = 3
        let result = try await benchmark.run(size: 3, warm: 1, rounds: 2) { lines.append($0) }
        #expect(result.raw.count == 6 && result.pool.count == 6)
        #expect(result.rawCPUPerSpawn.count == 2 && result.poolCPUPerSpawn.count == 2)
        #expect(result.rawCPUPerSpawn.allSatisfy { $0 > 0 } && result.poolCPUPerSpawn.allSatisfy { $0 > 0 })
        #expect(result.costs.warm.count == 3 && result.costs.onDemand.count == 3)
        let floor = result.floor
        #expect(floor.warmHitsPerBurst == 1 && floor.onDemandPerBurst == 2)
        #expect(
            abs(
                floor.milliseconds - (floor.warmSpawnCPUMilliseconds + 2 * floor.onDemandSpawnCPUMilliseconds)
                    / Double(result.cores)
            ) < 1e-9
        )
        #expect(lines.values.count == 3 && lines.values[0].hasPrefix("spawns alone:"))
        #expect(Leftovers.childVMMs().isEmpty)
        for directory in ["raw", "single", "work"] {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: scratch + "/burst/" + directory)) ?? []
            #expect(left.isEmpty, "\(directory): \(left)")
        }
    }
}
