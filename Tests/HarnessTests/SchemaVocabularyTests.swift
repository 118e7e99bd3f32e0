import Foundation
import Reporting
import TestSupport
import Testing

/// The JSON schemas describe the same metrics as ``Metric``: a metric added there and not here would make
/// every report that gates on it invalid, and every scenario that names it fail an editor's check.
@Suite("The schemas and the metric vocabulary")
struct SchemaVocabularyTests {
    static func schema(_ path: String) throws -> Any {
        try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: TestEnvironment.packageRoot + path))
        )
    }

    /// Every array under `key` anywhere in `node`.
    static func arrays(named key: String, in node: Any) -> [[Any]] {
        if let object = node as? [String: Any] {
            let own = (object[key] as? [Any]).map { [$0] } ?? []
            return own + object.values.flatMap { arrays(named: key, in: $0) }
        }
        if let array = node as? [Any] { return array.flatMap { arrays(named: key, in: $0) } }
        return []
    }

    @Test("the run report schema lists every metric a gate can name, in the vocabulary's order")
    func reportSchemaMetrics() throws {
        let enums = Self.arrays(named: "enum", in: try Self.schema("/Reports/run-report.schema.json"))
        let metrics = try #require(enums.first { $0.contains { $0 as? String == "spawn_ms" } }) as? [String]
        #expect(metrics == Metric.allCases.map(\.rawValue))
    }

    @Test("the scenario schema's gate patterns accept exactly the statistics each metric allows")
    func scenarioSchemaGates() throws {
        let schema = try Self.schema("/Scenarios/scenario.schema.json")
        let gate = try #require((schema as? [String: Any])?["$defs"] as? [String: Any])["gate"] as? [String: Any]
        let patterns = try #require(gate?["anyOf"] as? [[String: String]]).compactMap { $0["pattern"] }
        let expressions = try patterns.map { try NSRegularExpression(pattern: $0) }
        func accepted(_ text: String) -> Bool {
            expressions.contains { $0.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil }
        }
        for metric in Metric.allCases {
            for statistic in Statistic.allCases {
                let text = "\(metric.rawValue) \(statistic.rawValue) < 0.5"
                #expect(accepted(text) == metric.statistics.contains(statistic), "\(text)")
            }
        }
        #expect(!accepted("spwan_ms p95 < 50"))
    }
}
