/// Why a comparison could not be made; every case is invalid input (`snapbench compare` exits 3).
///
/// ```swift
/// do { _ = try ReportLoader.load(["missing.json"]) } catch let error as ComparisonError {
///     print(error)  // "no report missing.json: not a file or a directory"
/// }
/// ```
public struct ComparisonError: Error, CustomStringConvertible, Sendable {
    /// What went wrong; extensible, compare with `==`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        /// An argument names no file, directory or baseline.
        public static let notFound = Code(name: "notFound")
        /// A file exists but is not a run report this build reads.
        public static let unreadableReport = Code(name: "unreadableReport")
        /// A directory or a side holds no report.
        public static let noReports = Code(name: "noReports")
        /// The sides share no scenario.
        public static let noCommonScenario = Code(name: "noCommonScenario")

        public var description: String { name }
    }

    public var code: Code
    /// What happened, naming the file or argument.
    public var message: String
    /// The error underneath, e.g. the decoder's.
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        underlying.map { "\(message): \($0)" } ?? message
    }
}
