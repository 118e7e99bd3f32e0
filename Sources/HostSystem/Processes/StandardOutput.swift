import CSystemShims

/// This process's standard output stream.
package enum StandardOutput {
    /// Flushes every line as it is written, even into a file or pipe, so that a CI log shows each progress
    /// line when it happens rather than when a 4 KiB buffer fills.
    ///
    /// ```swift
    /// StandardOutput.makeLineBuffered()  // first thing in main
    /// ```
    package static func makeLineBuffered() {
        snapbench_line_buffer_stdout()
    }
}
