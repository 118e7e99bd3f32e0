import Foundation

extension ComparisonReport {
    /// The comparison as one self-contained HTML page: inline CSS and SVG charts, no scripts, no network.
    ///
    /// The outcome and the tally come first, then how the verdicts were decided (resamples, significance,
    /// thresholds, subsampling), a chart of each row's relative change of the mean over the shaded noise
    /// threshold, a chart of each row's p95 change with its bootstrap confidence interval, every row coloured
    /// by verdict, the gates that changed outcome, the notes and the runs compared.
    ///
    /// ```swift
    /// let comparison = try ReportComparator().compare(base: base, candidate: candidate)
    /// try comparison.writeHTML(to: "Reports/compare.html")
    /// ```
    package func html() -> String {
        var page = ComparisonPage(report: self)
        return page.render()
    }

    /// Writes ``html()`` to `path`, creating its directory.
    ///
    /// ```swift
    /// try comparison.writeHTML(to: "/tmp/compare.html")
    /// ```
    package func writeHTML(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(html().utf8).write(to: url, options: .atomic)
    }
}
