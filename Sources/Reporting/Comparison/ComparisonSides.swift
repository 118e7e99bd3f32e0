/// Which arguments of `snapbench compare` are the base and which the candidate: everything before
/// `--candidate` is base and everything after it candidate; without `--candidate`, exactly two arguments
/// are base and candidate.
///
/// ```swift
/// let sides = try ComparisonSides(positional: ["old.json", "new.json"], candidate: [])
/// sides.base       // ["old.json"]
/// sides.candidate  // ["new.json"]
/// ```
package struct ComparisonSides: Sendable, Equatable {
    package var base: [String]
    package var candidate: [String]

    /// - Throws: ``ComparisonError`` with code `.noReports` when a side would be empty or two positional
    ///   arguments cannot be told apart.
    package init(positional: [String], candidate: [String]) throws {
        if candidate.isEmpty {
            guard positional.count == 2 else {
                throw ComparisonError(
                    .noReports,
                    "give BASE… --candidate CANDIDATE…, or exactly two reports (base, candidate); got "
                        + "\(positional.count) argument\(positional.count == 1 ? "" : "s") and no --candidate"
                )
            }
            self.base = [positional[0]]
            self.candidate = [positional[1]]
        } else {
            guard !positional.isEmpty else {
                throw ComparisonError(.noReports, "no base report: give BASE… before --candidate")
            }
            self.base = positional
            self.candidate = candidate
        }
    }
}
