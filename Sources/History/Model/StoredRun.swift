package import Foundation
import HostSystem
package import Reporting

/// One run report as the results store keeps it: its identity, the metadata a history is filtered by, the
/// summaries a trend is drawn from, and the recorded distributions.
///
/// The id is the SHA-256 of the report's canonical JSON (``RunReport/encoder()``: sorted keys), so the same
/// report recorded by `run` and later imported from its file is one run, and an import can be repeated.
///
/// ```swift
/// let run = try StoredRun(report: RunReport.readJSON(from: "out/smoke.json"))
/// print(run.id.prefix(12), run.hostClass, run.summaries.count)
/// ```
package struct StoredRun: Sendable, Equatable {
    /// One statistic of one metric in one phase (`overall` for the whole run).
    package struct Summary: Sendable, Equatable, Hashable {
        package var phase: String
        package var metric: String
        package var statistic: String
        package var value: Double

        package init(phase: String, metric: String, statistic: String, value: Double) {
            self.phase = phase
            self.metric = metric
            self.statistic = statistic
            self.value = value
        }
    }

    /// A recorded latency distribution (distinct values in ms and their counts).
    package struct Distribution: Sendable, Equatable {
        package var phase: String
        package var metric: String
        package var valuesMilliseconds: [Double]
        package var counts: [Int]
    }

    /// SHA-256 of the canonical report JSON, hex.
    package var id: String
    package var scenario: String
    /// ISO 8601, UTC, to the second: sorts as text in either database.
    package var startedAt: String
    package var durationSeconds: Double
    package var commit: String?
    package var snapbenchVersion: String
    package var backend: String
    package var verdict: String
    package var hostname: String
    package var cpuModel: String
    package var cpuCount: Int
    package var kernel: String
    package var kvmFlavour: String
    package var firecrackerVersion: String?
    package var firecrackerSHA256: String?
    /// Hosts whose results compare: CPU model, cores, KVM flavour, backend and Firecracker version.
    package var hostClass: String
    package var summaries: [Summary]
    package var distributions: [Distribution]
    /// The canonical report JSON.
    package var json: Data

    /// The statistics kept for each latency: every one a spectrum has.
    package static let latencyStatistics = Spectrum.statistics

    /// - Throws: when the report cannot be encoded (it always can; `Double.nan` aside).
    package init(report: RunReport) throws {
        let json = try RunReport.encoder().encode(report)
        self.json = json
        id = FileDigest.sha256(of: json)
        scenario = report.scenario
        startedAt = ISO8601DateFormatter().string(from: report.startedAt)
        durationSeconds = report.durationSeconds
        let environment = report.environment
        commit = environment.commit
        snapbenchVersion = environment.snapbenchVersion ?? "unknown"
        backend = environment.backend
        verdict = report.verdict.rawValue
        hostname = environment.hostname
        cpuModel = environment.cpuModel
        cpuCount = environment.cpuCount
        kernel = environment.kernel
        kvmFlavour = environment.kvmFlavour
        firecrackerVersion = environment.firecrackerVersion
        firecrackerSHA256 = environment.firecrackerSHA256
        hostClass = Self.hostClass(of: environment)
        var summaries: [Summary] = []
        var distributions: [Distribution] = []
        for (name, phase) in [("overall", report.overall)] + report.phases.map({ ($0.name, $0) }) {
            for (key, spectrum) in phase.latencies.sorted(by: { $0.key < $1.key }) {
                let metric = key + "_ms"
                for statistic in Self.latencyStatistics {
                    if let value = spectrum.value(of: statistic), value.isFinite {
                        summaries.append(
                            Summary(phase: name, metric: metric, statistic: statistic.rawValue, value: value)
                        )
                    }
                }
                if name == "overall", let recorded = spectrum.distribution {
                    distributions.append(
                        Distribution(
                            phase: name,
                            metric: metric,
                            valuesMilliseconds: recorded.valuesMilliseconds,
                            counts: recorded.counts
                        )
                    )
                }
            }
        }
        // What the gates measured beyond latencies (memory, counts, ratios), under the whole run.
        var seen = Set(summaries.map { "\($0.phase) \($0.metric) \($0.statistic)" })
        for result in report.gates {
            guard let gate = result.gate, let value = result.measured, value.isFinite else { continue }
            let summary = Summary(
                phase: "overall",
                metric: gate.metric.rawValue,
                statistic: gate.statistic.rawValue,
                value: value
            )
            if seen.insert("\(summary.phase) \(summary.metric) \(summary.statistic)").inserted {
                summaries.append(summary)
            }
        }
        self.summaries = summaries
        self.distributions = distributions
    }

    /// The class of hosts `environment` belongs to.
    package static func hostClass(of environment: EnvironmentInfo) -> String {
        [
            environment.cpuModel, "\(environment.cpuCount) cores", environment.kvmFlavour, environment.backend,
            environment.firecrackerVersion.map { "Firecracker \($0)" } ?? "no Firecracker",
        ]
        .joined(separator: " · ")
    }
}
