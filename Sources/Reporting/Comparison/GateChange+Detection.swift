extension GateChange {
    /// The gates of one scenario whose outcome differs: passed in every base run and failed in a candidate
    /// run, or the reverse. A gate only one side states is not a change of outcome and is left out.
    ///
    /// ```swift
    /// let changes = GateChange.changes(scenario: "smoke", base: [baseRun], candidate: [candidateRun])
    /// ```
    package static func changes(scenario: String, base: [RunReport], candidate: [RunReport]) -> [GateChange] {
        var expressions: [String] = []
        for gate in (base + candidate).flatMap(\.gates) where !expressions.contains(gate.expression) {
            expressions.append(gate.expression)
        }
        return expressions.compactMap { expression in
            let baseResults = base.flatMap { $0.gates.filter { $0.expression == expression } }
            let candidateResults = candidate.flatMap { $0.gates.filter { $0.expression == expression } }
            guard !baseResults.isEmpty, !candidateResults.isEmpty else { return nil }
            let basePassed = baseResults.filter(\.passed).count
            let candidatePassed = candidateResults.filter(\.passed).count
            let direction: Direction
            if basePassed == baseResults.count, candidatePassed < candidateResults.count {
                direction = .nowFailing
            } else if basePassed < baseResults.count, candidatePassed == candidateResults.count {
                direction = .nowPassing
            } else {
                return nil
            }
            return GateChange(
                scenario: scenario,
                expression: expression,
                direction: direction,
                basePassed: basePassed,
                baseRuns: baseResults.count,
                candidatePassed: candidatePassed,
                candidateRuns: candidateResults.count
            )
        }
    }
}
