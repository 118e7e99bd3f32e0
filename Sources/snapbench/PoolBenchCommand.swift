import ArgumentParser
import Firecracker
import Foundation
import Harness
import HostSystem
import Logging
import Reporting
import SnapshotPool

struct PoolBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool-bench",
        abstract: "Measure the snapshot pool against raw restores in the same run, and its memory over many leases.",
        discussion: """
            1. raw: clones restored one after another without a pool (resume + readiness; spawn from nothing);
            2. warm: pool of 4 warm VMs, one acquire at a time with the pool full before each (warm hits);
            3. on-demand: pool with no warm VMs (every acquire restores);
            4. memory: jemalloc `allocated` with the pool full, before and after --leases leases.
            Prints the p95 overhead of the pool over the raw floor and the change in allocated bytes.

            With --burst N: N VMs asked for at the same instant, --warm W of them warm (default: all), --rounds \
            times: first without a pool (the raw burst: W paused clones resumed and N − W clones restored and \
            resumed, from N tasks at once), then N acquires at once from a pool of W warm VMs. Spawn runs from the \
            burst's instant to each guest's readiness line. The CPU of one warm and one on-demand spawn run alone \
            (VMM threads + snapbench, from schedstat) gives the burst's CPU-bound floor, (W × warm + (N − W) × \
            on-demand) ÷ cores; every p95 is printed as a ratio to the raw burst of the same run and to that floor, \
            and each burst's CPU beside the floor's.

            Examples:
              snapbench pool-bench --samples 200 --leases 1000
              snapbench pool-bench --burst 16 --rounds 5
              snapbench pool-bench --burst 64 --rounds 3
              snapbench pool-bench --burst 16 --warm 4       # the burst scenario's shape: 12 restored on demand
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "Samples per latency measurement.")
    var samples: Int = 30

    @Option(help: "Leases in the memory loop.")
    var leases: Int = 1000

    @Option(help: ArgumentHelp("Measure bursts of this many simultaneous acquires instead.", valueName: "n"))
    var burst: Int?

    @Option(help: ArgumentHelp("Warm VMs for each burst (with --burst; default: all of them).", valueName: "n"))
    var warm: Int?

    @Option(help: ArgumentHelp("Bursts of each kind (with --burst).", valueName: "n"))
    var rounds: Int = 3

    func validate() throws {
        if let burst, burst < 1 || burst > 256 { throw ValidationError("--burst must be between 1 and 256") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        if let warm {
            guard let burst else { throw ValidationError("--warm applies to --burst only") }
            guard (0...burst).contains(warm) else { throw ValidationError("--warm must be between 0 and --burst") }
        }
        guard samples >= 5 else { throw ValidationError("--samples must be at least 5 (p95 needs them)") }
        guard leases >= 1 else { throw ValidationError("--leases must be at least 1") }
    }

    func run() async throws {
        let logger = common.makeLogger("snapbench.pool-bench")
        let installation = try await FirecrackerInstallation.locate(explicitPath: common.firecracker)
        let guest = try ProjectPaths.locateGuest(explicitPath: common.guest)
        let directories = try common.directories()
        let root = await ScratchDirectory.claim(kind: "bench", purpose: "pool", in: directories.work)
        let vms = await ScratchDirectory.claim(kind: "bench", purpose: "vms", in: directories.vms)
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: vms)
        }
        if let burst {
            try await runBurst(burst, installation: installation, guest: guest, root: root, vms: vms, logger: logger)
            return
        }
        var benchmark = PoolBenchmark(installation: installation, guestPath: guest, workRoot: root)
        benchmark.vmRoot = vms
        benchmark.logger = logger
        let started = ContinuousClock.now
        let result = try await Interruption.cancellingOnSignals { [benchmark] in
            try await benchmark.run(samples: samples, leases: leases) { print("  \($0)") }
        }
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

    private func runBurst(
        _ size: Int,
        installation: FirecrackerInstallation,
        guest: String,
        root: String,
        vms: String,
        logger: Logger
    ) async throws {
        var benchmark = BurstBenchmark(installation: installation, guestPath: guest, workRoot: root)
        benchmark.vmRoot = vms
        benchmark.logger = logger
        let (rounds, warm) = (rounds, self.warm ?? size)
        let result = try await Interruption.cancellingOnSignals { [benchmark] in
            try await benchmark.run(size: size, warm: warm, rounds: rounds) { print("  \($0)") }
        }
        var table = TextTable(
            columns: ["burst of \(size), \(warm) warm (ms)", "p50", "p95", "max", "n", "p95 ÷ raw", "p95 ÷ floor"],
            alignments: [.left, .right, .right, .right, .right, .right, .right]
        )
        let floor = result.floor
        let raw = result.raw.summary.p95 ?? 0
        for (name, histogram) in [("raw (no pool)", result.raw), ("pool", result.pool)] {
            let summary = histogram.summary
            table.append([
                name, formatMilliseconds(summary.p50), formatMilliseconds(summary.p95), formatMilliseconds(summary.max),
                String(summary.count), Self.ratio(summary.p95, raw), Self.ratio(summary.p95, floor.milliseconds),
            ])
        }
        print(
            "backend: firecracker v\(installation.version), host \(HostInfo.current().kvmFlavour), \(result.cores) cores"
        )
        print(table.render())
        func median(_ values: [Double]) -> String {
            let sorted = values.sorted()
            return formatMilliseconds(sorted.isEmpty ? nil : sorted[sorted.count / 2], decimals: 3)
        }
        print(
            "CPU per spawn (VMMs + snapbench): alone, warm \(formatMilliseconds(floor.warmSpawnCPUMilliseconds, decimals: 3)) "
                + "ms and on demand \(formatMilliseconds(floor.onDemandSpawnCPUMilliseconds, decimals: 3)) ms; in a raw "
                + "burst \(median(result.rawCPUPerSpawn)) ms; in a pool burst \(median(result.poolCPUPerSpawn)) ms"
        )
        print(
            "CPU-bound floor: (\(warm) × \(formatMilliseconds(floor.warmSpawnCPUMilliseconds, decimals: 3)) + "
                + "\(size - warm) × \(formatMilliseconds(floor.onDemandSpawnCPUMilliseconds, decimals: 3))) ms ÷ "
                + "\(result.cores) cores = \(formatMilliseconds(floor.milliseconds)) ms"
        )
    }

    private static func ratio(_ value: Double?, _ reference: Double) -> String {
        guard let value, reference > 0 else { return "–" }
        return String(format: "%.2f×", value / reference)
    }
}
