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

    @Test("the load latency scanned from a metrics file's bytes is the one the full decode gives")
    func scannedLoadLatency() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func scanned(_ text: String) throws -> UInt64? {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return FirecrackerMetrics.latestLoadSnapshotMicroseconds(inFile: path)
        }
        let decoys =
            #"{"put_api_requests":{"load_snapshot_count":7},"latencies_us":{"vmm_load_snapshot":5,"#
            + #""note":"load_snapshot","load_snapshot" : 4321 ,"resume_vm":2}}"#
        #expect(try scanned(decoys + "\n") == 4321)
        #expect(try FirecrackerMetrics(line: decoys).loadSnapshotMicroseconds == 4321)
        // A later zero is "no load since": the earlier figure stands, as when the whole file is decoded.
        let lines = #"{"latencies_us":{"load_snapshot":900}}"# + "\n" + #"{"latencies_us":{"load_snapshot":0}}"#
        #expect(try scanned(lines + "\n") == 900)
        #expect(try FirecrackerMetrics.latest(inFile: path)?.loadSnapshotMicroseconds == 900)
        #expect(try scanned(lines + "\n" + #"{"latencies_us":{"load_snapshot":1200}}"#) == 1200)
        // What is not an unsigned integer is no figure; a line that is not JSON is skipped.
        #expect(try scanned(#"{"latencies_us":{"load_snapshot":12.5}}"#) == nil)
        #expect(try scanned(#"{"latencies_us":{"load_snapshot":-3}}"#) == nil)
        #expect(try scanned(#"{"latencies_us":{"load_snapshot":"12"}}"#) == nil)
        #expect(try scanned(#"{"latencies_us":{"load_snapshot":99999999999999999999}}"#) == nil)
        #expect(try scanned(#"{"latencies_us":{"load_snapshot":77}}"# + "\nnot json\n") == 77)
        #expect(try scanned(#"{"api_server":{"load_snapshot":5}}"#) == nil)
        #expect(try scanned("") == nil)
        #expect(try scanned("\n") == nil)
        #expect(try scanned(" \n\t\n") == nil)
        // A last line cut short (no closing brace) is skipped: the line before it stands.
        #expect(
            try scanned(#"{"latencies_us":{"load_snapshot":64}}"# + "\n" + #"{"latencies_us":{"load_snapshot":5"#) == 64
        )
        #expect(FirecrackerMetrics.latestLoadSnapshotMicroseconds(inFile: path + ".missing") == nil)
    }
}
