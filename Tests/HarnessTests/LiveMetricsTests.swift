import Foundation
import FoundationNetworking
import Harness
import HostSystem
import Reporting
import Scenarios
import TestSupport
import Testing

@Suite(
    "Live metrics during a run on real Firecracker",
    .serialized,
    .requiresKVM,
    .timeLimit(.minutes(2))
)
struct LiveMetricsTests {
    @Test("a scrape during the run gets the pool's state, spawn and restore histograms and served acquires")
    func scrapeDuringRun() async throws {
        let scratch = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(scratch) }
        let yaml = """
            name: live
            description: live metrics
            pool: {warm_target: 2}
            phases:
              - {name: load, executor: constant-arrival-rate, rate: 40/s, duration: 3s, hold: 5ms}
            gates:
              - errors count == 0

            """
        try yaml.write(toFile: scratch + "/live.yaml", atomically: true, encoding: .utf8)
        let scenario = try ScenarioParser.parse(file: scratch + "/live.yaml")
        var options = ScenarioRunner.Options(workDirectory: scratch + "/work")
        options.metricsListen = "127.0.0.1:0"
        let address = SendableBox<String?>(nil)
        options.metricsListening = { bound in address.update { $0 = bound } }
        let scrapes = LockedArray<String>()
        let report = try await withThrowingTaskGroup(of: Void.self, returning: RunReport.self) { group in
            // Scrapes until an acquire has been served, polling for it through the 3 s of load, or until the run
            // has ended and cancels it.
            group.addTask {
                while !Task.isCancelled {
                    if let bound = address.value, let url = URL(string: "http://\(bound)/metrics"),
                        let (data, response) = try? await URLSession.shared.data(from: url),
                        (response as? HTTPURLResponse)?.statusCode == 200
                    {
                        let text = String(decoding: data, as: UTF8.self)
                        scrapes.append(text)
                        if Self.served(in: text) > 0 { return }
                    }
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            let report = try await ScenarioRunner(scenario: scenario, options: options).run()
            group.cancelAll()
            try await group.waitForAll()
            return report
        }
        let scraped = try #require(scrapes.values.last { Self.served(in: $0) > 0 }, "no scrape saw a served acquire")
        #expect(scraped.contains("snapbench_spawn_seconds_bucket{le="), "\(scraped.prefix(600))")
        #expect(scraped.contains("snapbench_restore_seconds_count"))
        #expect(scraped.contains("snapbench_pool_vms{state=\"warm\"}"))
        #expect(scraped.contains("snapbench_vmm_pss_bytes"))
        #expect(report.verdict == .pass, "\(report.gates.filter { !$0.passed })")
        #expect(
            report.leakCheck.problems.isEmpty,
            "the metrics server left nothing behind: \(report.leakCheck.problems)"
        )
        // Stopped with the run: nothing listens there any more.
        let bound = try #require(address.value)
        let after = try? await URLSession.shared.data(from: try #require(URL(string: "http://\(bound)/metrics")))
        #expect(after == nil)
    }

    @Test("an address that does not parse is refused before anything starts")
    func badAddress() async throws {
        await #expect(throws: RunError.self) {
            try await MetricsServer.start(listen: "localhost", metrics: LiveMetrics())
        }
        await #expect(throws: RunError.self) {
            try await MetricsServer.start(listen: "127.0.0.1:99999", metrics: LiveMetrics())
        }
    }

    /// `snapbench_acquires_total{outcome="served"}` in an exposition.
    static func served(in text: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix("snapbench_acquires_total{outcome=\"served\"}") {
            return Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }
}
