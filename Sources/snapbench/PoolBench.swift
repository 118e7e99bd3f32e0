import ArgumentParser
import Firecracker
import Foundation
import Harness
import HostSystem
import Reporting
import SnapshotPool

struct PoolBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool-bench",
        abstract: "Measure the snapshot pool against raw restores in the same run, and its memory over many leases.",
        discussion: """
            1. raw: clones restored one after another without a pool (resume + readiness; spawn from nothing);
            2. warm: pool of 4 warm VMs, one acquire at a time with the pool full before each (warm hits);
            3. on-demand: pool with no warm VMs (every acquire restores);
            4. memory: jemalloc `allocated` with the pool full, before and after --leases leases.
            Prints the p95 overhead of the pool over the raw floor and the change in allocated bytes.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "Samples per latency measurement.")
    var samples: Int = 30

    @Option(help: "Leases in the memory loop.")
    var leases: Int = 1000

    func validate() throws {
        guard samples >= 5 else { throw ValidationError("--samples must be at least 5 (p95 needs them)") }
        guard leases >= 1 else { throw ValidationError("--leases must be at least 1") }
    }

    func run() async throws {
        let logger = common.makeLogger("snapbench.pool-bench")
        let installation = try await FirecrackerInstallation.locate(explicitPath: common.firecracker)
        let guest = try ProjectPaths.locateGuest(explicitPath: common.guest)
        let root = "\(common.workDirectory)/pb-\(ProcessInfo.processInfo.processIdentifier)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        var benchmark = PoolBenchmark(installation: installation, guestPath: guest, workRoot: root)
        benchmark.logger = logger
        let started = ContinuousClock.now
        let result = try await benchmark.run(samples: samples, leases: leases) { print("  \($0)") }
        var table = TextTable(
            columns: ["measurement (ms)", "p50", "p95", "max", "n"],
            alignments: [.left, .right, .right, .right, .right]
        )
        let rows: [(String, LatencyHistogram)] = [
            ("raw paused clone: resume → ready", result.rawResumeReadiness),
            ("pool warm leases: resume → ready", result.warmStages),
            ("pool warm acquire", result.warmAcquire),
            ("raw spawn from nothing", result.rawSpawn),
            ("pool on-demand acquire", result.onDemandAcquire),
        ]
        for (name, histogram) in rows {
            let summary = histogram.summary
            table.append([
                name, formatMilliseconds(summary.p50), formatMilliseconds(summary.p95),
                formatMilliseconds(summary.max), String(summary.count),
            ])
        }
        print("backend: firecracker v\(installation.version), host \(HostInfo.current().kvmFlavour)")
        print(table.render())
        if let warm = result.warmAcquire.summary.p95, let stages = result.warmStages.summary.p95 {
            print(
                "warm acquire p95 − the same leases' resume+readiness p95 = \(formatMilliseconds(warm - stages, decimals: 3)) ms (target ≤ 0.5)"
            )
        }
        if let warm = result.warmAcquire.summary.p95, let raw = result.rawResumeReadiness.summary.p95 {
            print(
                "warm acquire p95 − hand-resumed paused clones p95 = \(formatMilliseconds(warm - raw, decimals: 3)) ms"
            )
        }
        if let onDemand = result.onDemandAcquire.summary.p95, let raw = result.rawSpawn.summary.p95 {
            print(
                "on-demand acquire p95 − raw spawn p95 = \(formatMilliseconds(onDemand - raw, decimals: 3)) ms (target ≤ 1.0)"
            )
        }
        if let before = result.allocatedBefore, let after = result.allocatedAfter {
            let delta = Int64(after) - Int64(before)
            print(
                "jemalloc allocated: \(before) → \(after) bytes over \(result.leases) leases "
                    + "(Δ \(delta) bytes = \(formatMilliseconds(Double(delta) / 1_048_576, decimals: 3)) MiB; target ±1 MiB)"
            )
        } else {
            print("jemalloc allocated: unknown (jemalloc is not the allocator, or refused the read)")
        }
        let counters = result.counters
        print(
            "leases: \(counters.warmHits) warm, \(counters.onDemand) on demand, \(counters.released) released; took \(started.duration(to: .now))"
        )
    }
}
