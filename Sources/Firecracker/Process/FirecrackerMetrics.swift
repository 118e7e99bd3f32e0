import Foundation

/// The figures snapbench reads from one line of Firecracker's JSON metrics.
///
/// Firecracker writes a line at every `FlushMetrics` action (and once a minute); latencies are in
/// microseconds and describe the most recent operation of each kind.
///
/// ```swift
/// let metrics = try FirecrackerMetrics.latest(inFile: vmm.metricsPath)
/// print(metrics?.loadSnapshotMicroseconds ?? 0)
/// ```
public struct FirecrackerMetrics: Sendable, Equatable {
    /// `latencies_us.load_snapshot`: Firecracker's own time for the load (includes the resume when
    /// `resume_vm` was true).
    public var loadSnapshotMicroseconds: UInt64?
    /// `latencies_us.resume_vm`.
    public var resumeMicroseconds: UInt64?
    /// `latencies_us.pause_vm`.
    public var pauseMicroseconds: UInt64?
    /// `latencies_us.full_create_snapshot`.
    public var fullCreateSnapshotMicroseconds: UInt64?
    /// `api_server.process_startup_time_us`.
    public var processStartupMicroseconds: UInt64?

    /// Parses one metrics line.
    ///
    /// - Throws: `FirecrackerError(.invalidResponse)` when the line is not a JSON object.
    public init(line: String) throws {
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            throw FirecrackerError(.invalidResponse, "a metrics line is not a JSON object: \(line.prefix(120))")
        }
        let latencies = object["latencies_us"] as? [String: Any] ?? [:]
        let apiServer = object["api_server"] as? [String: Any] ?? [:]
        // A zero latency means "no such operation since the last flush".
        func value(_ dictionary: [String: Any], _ key: String) -> UInt64? {
            guard let number = dictionary[key] as? NSNumber, number.int64Value > 0 else { return nil }
            return number.uint64Value
        }
        loadSnapshotMicroseconds = value(latencies, "load_snapshot")
        resumeMicroseconds = value(latencies, "resume_vm")
        pauseMicroseconds = value(latencies, "pause_vm")
        fullCreateSnapshotMicroseconds = value(latencies, "full_create_snapshot")
        processStartupMicroseconds = value(apiServer, "process_startup_time_us")
    }

    /// Merges the lines of a metrics file, later lines overriding earlier values.
    ///
    /// - Returns: `nil` when the file has no complete line.
    /// - Throws: `FirecrackerError(.invalidResponse)` for a malformed line.
    public static func latest(inFile path: String) throws -> FirecrackerMetrics? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        var merged: FirecrackerMetrics?
        for line in lines where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let next = try FirecrackerMetrics(line: line)
            merged = merged.map { $0.overridden(by: next) } ?? next
        }
        return merged
    }

    private func overridden(by next: FirecrackerMetrics) -> FirecrackerMetrics {
        var result = self
        result.loadSnapshotMicroseconds = next.loadSnapshotMicroseconds ?? loadSnapshotMicroseconds
        result.resumeMicroseconds = next.resumeMicroseconds ?? resumeMicroseconds
        result.pauseMicroseconds = next.pauseMicroseconds ?? pauseMicroseconds
        result.fullCreateSnapshotMicroseconds = next.fullCreateSnapshotMicroseconds ?? fullCreateSnapshotMicroseconds
        result.processStartupMicroseconds = next.processStartupMicroseconds ?? processStartupMicroseconds
        return result
    }
}
