import Firecracker
import Foundation
import Testing

@Suite("Firecracker metrics")
struct MetricsTests {
    @Test("a metrics line yields the latencies snapbench records; zero means absent")
    func parseLine() throws {
        let line =
            #"{"utc_timestamp_ms":1,"latencies_us":{"load_snapshot":11432,"resume_vm":640,"pause_vm":0,"full_create_snapshot":0},"api_server":{"process_startup_time_us":1450}}"#
        let metrics = try FirecrackerMetrics(line: line)
        #expect(metrics.loadSnapshotMicroseconds == 11432)
        #expect(metrics.resumeMicroseconds == 640)
        #expect(metrics.pauseMicroseconds == nil)
        #expect(metrics.fullCreateSnapshotMicroseconds == nil)
        #expect(metrics.processStartupMicroseconds == 1450)
    }

    @Test("later lines override earlier values in a metrics file, counts add up; malformed lines are errors")
    func mergeFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"""
        {"latencies_us":{"load_snapshot":900},"api_server":{"process_startup_time_us":1000},"vsock":{"conns_added":1}}
        {"latencies_us":{"load_snapshot":0,"resume_vm":300},"vsock":{"conns_added":2}}

        """#.write(toFile: path, atomically: true, encoding: .utf8)
        let merged = try #require(try FirecrackerMetrics.latest(inFile: path))
        #expect(merged.loadSnapshotMicroseconds == 900)
        #expect(merged.resumeMicroseconds == 300)
        #expect(merged.processStartupMicroseconds == 1000)
        // A count since the previous line: added up, not overridden.
        #expect(merged.vsockConnectionsAdded == 3)
        #expect(try FirecrackerMetrics.latest(inFile: path + ".missing") == nil)
        try "not json\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: FirecrackerError.self) { try FirecrackerMetrics.latest(inFile: path) }
    }
}
