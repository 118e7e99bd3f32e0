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
    package var loadSnapshotMicroseconds: UInt64?
    /// `latencies_us.resume_vm`.
    package var resumeMicroseconds: UInt64?
    /// `latencies_us.pause_vm`.
    package var pauseMicroseconds: UInt64?
    /// `latencies_us.full_create_snapshot`.
    package var fullCreateSnapshotMicroseconds: UInt64?
    /// `api_server.process_startup_time_us`.
    package var processStartupMicroseconds: UInt64?
    /// `vsock.conns_added`: connections the vsock device opened (host- or guest-initiated). A count since the
    /// previous line, so ``latest(inFile:)`` adds it up over the file's lines.
    package var vsockConnectionsAdded: UInt64?

    /// Parses one metrics line.
    ///
    /// A figure that is absent, zero, or not an unsigned 64-bit integer (a fraction, a negative number, a
    /// string, `true`) is `nil`; the rest of the line is still read.
    ///
    /// - Throws: `FirecrackerError(.invalidResponse)` when the line is not a JSON object.
    public init(line: String) throws {
        try self.init(json: Data(line.utf8))
    }

    private init(json: Data) throws {
        let parsed: Line
        do {
            parsed = try JSONDecoder().decode(Line.self, from: json)
        } catch {
            throw FirecrackerError(
                .invalidResponse,
                "a metrics line is not a JSON object: \(String(decoding: json.prefix(120), as: UTF8.self))",
                underlying: error
            )
        }
        let latencies = parsed.latencies?.values ?? [:]
        loadSnapshotMicroseconds = latencies["load_snapshot"]
        resumeMicroseconds = latencies["resume_vm"]
        pauseMicroseconds = latencies["pause_vm"]
        fullCreateSnapshotMicroseconds = latencies["full_create_snapshot"]
        processStartupMicroseconds = parsed.apiServer?.values["process_startup_time_us"]
        vsockConnectionsAdded = parsed.vsock?.values["conns_added"]
    }

    /// The parts of a metrics line that are read: `latencies_us`, `api_server` and `vsock`.
    private struct Line: Decodable {
        var latencies: Figures?
        var apiServer: Figures?
        var vsock: Figures?

        init(from decoder: any Decoder) throws {
            // Throws unless the line is an object; a group of another kind is as if absent.
            let container = try decoder.container(keyedBy: Key.self)
            latencies = try? container.decodeIfPresent(Figures.self, forKey: Key("latencies_us"))
            apiServer = try? container.decodeIfPresent(Figures.self, forKey: Key("api_server"))
            vsock = try? container.decodeIfPresent(Figures.self, forKey: Key("vsock"))
        }
    }

    /// One group of figures: each member that is a positive unsigned 64-bit integer ("0" means "no such
    /// operation since the last flush").
    private struct Figures: Decodable {
        var values: [String: UInt64] = [:]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys {
                if let value = try? container.decode(UInt64.self, forKey: key), value > 0 {
                    values[key.stringValue] = value
                }
            }
        }
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Merges the lines of a metrics file, later lines overriding earlier values (counts added up).
    ///
    /// - Returns: `nil` when the file has no complete line.
    /// - Throws: `FirecrackerError(.invalidResponse)` for a malformed line.
    package static func latest(inFile path: String) throws -> FirecrackerMetrics? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        // Bytes, not strings: each line is ~10 KiB of JSON, read at every on-demand VM's release.
        var merged: FirecrackerMetrics?
        for line in data.split(separator: UInt8(ascii: "\n"))
        where line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) {
            let next = try FirecrackerMetrics(json: Data(line))
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
        if vsockConnectionsAdded != nil || next.vsockConnectionsAdded != nil {
            result.vsockConnectionsAdded = (vsockConnectionsAdded ?? 0) + (next.vsockConnectionsAdded ?? 0)
        }
        return result
    }
}
