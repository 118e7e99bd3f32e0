/// What a guest reports once it has done its first piece of work after a resume — for the built-in guest,
/// re-touching part of its working set (`W<microseconds>/<wrong pages>`): its own time for the work, and how
/// many pages did not hold what it wrote there before the snapshot, so a wrong page from the host is caught.
///
/// ```swift
/// let report = WorkReport(line: "W48213/0", observedAt: .now)
/// report?.guestMicroseconds  // 48213
/// report?.wrongPages         // 0
/// ```
package struct WorkReport: Sendable, Equatable {
    /// The whole line.
    package var token: String
    /// The guest's own time for the work, from its TSC.
    package var guestMicroseconds: Int
    /// Pages that did not hold their tag.
    package var wrongPages: Int
    /// When the host read the line.
    package var observedAt: ContinuousClock.Instant

    package init(token: String, guestMicroseconds: Int, wrongPages: Int, observedAt: ContinuousClock.Instant) {
        self.token = token
        self.guestMicroseconds = guestMicroseconds
        self.wrongPages = wrongPages
        self.observedAt = observedAt
    }

    /// The report in a `W<microseconds>/<wrong pages>` line; `nil` for any other line.
    package init?(line: String, observedAt: ContinuousClock.Instant) {
        guard line.first == "W" else { return nil }
        let parts = line.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let microseconds = Int(parts[0]), let wrong = Int(parts[1])
        else { return nil }
        self.init(token: line, guestMicroseconds: microseconds, wrongPages: wrong, observedAt: observedAt)
    }
}
