import Firecracker
import Foundation
import HostSystem
import Reporting
import SnapshotPool
import Yams

/// `gates`: each expression parsed and checked to be decidable from what the scenario schedules.
extension ScenarioReader {
    func gates(_ node: Node, of scenario: Scenario) throws -> [Gate] {
        try document.list(node, path: "gates", nonEmpty: false).enumerated().map { index, item in
            let path = "gates[\(index)]"
            guard case .scalar(let scalar) = item, item.tagName == .str else {
                throw document.error(
                    .wrongType,
                    at: item,
                    path: path,
                    "expected a gate expression such as `spawn_ms p95 < 50`, found \(ScenarioDocument.describe(item))"
                )
            }
            let gate: Gate
            do throws(Gate.ParseError) {
                gate = try Gate(parsing: scalar.string)
            } catch {
                // Point at the offending word when the expression sits on one line as written.
                let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
                let exact = scalar.style == .plain || quoted
                var location = document.error(ScenarioError.Code(error.code), at: item, path: path, error.message)
                if exact, let mark = item.mark, !scalar.string.contains("\n") {
                    location.column = document.column(of: mark) + error.offset + (quoted ? 1 : 0)
                }
                throw location
            }
            if let problem = scenario.problem(deciding: gate) {
                throw document.error(.undecidableGate, at: item, path: path, "`\(gate.expression)` \(problem)")
            }
            return gate
        }
    }
}
