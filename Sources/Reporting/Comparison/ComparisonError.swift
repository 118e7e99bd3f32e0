/// Why a comparison could not be made; every case is invalid input (`snapbench compare` exits 3).
///
/// ```swift
/// do { _ = try ReportLoader.load(["missing.json"]) } catch let error as ComparisonError {
///     print(error)  // "no report missing.json: not a file or a directory"
/// }
/// ```
package struct ComparisonError: Error, CustomStringConvertible, Sendable {
    /// What went wrong; extensible, compare with `==`.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        /// An argument names no file, directory or baseline.
        package static let notFound = Code(name: "notFound")
        /// A file exists but is not a run report this build reads.
        package static let unreadableReport = Code(name: "unreadableReport")
        /// A directory or a side holds no report.
        package static let noReports = Code(name: "noReports")
        /// The sides share no scenario.
        package static let noCommonScenario = Code(name: "noCommonScenario")

        package var description: String { name }
    }

    package var code: Code
    /// What happened, naming the file or argument.
    package var message: String
    /// The error underneath, e.g. the decoder's.
    package var underlying: (any Error)?

    package init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    package var description: String {
        underlying.map { "\(message): \($0)" } ?? message
    }
}
