/// The devices a run's clones had, and what checking every leased clone for them found.
///
/// ```swift
/// let devices = DeviceReport(devices: "3 NICs, 3 drives of 16 MiB (copy), balloon, vsock", launch: "jailer",
///                            clonesChecked: 40, clonesFailed: 0, problems: [])
/// devices.summary  // "3 NICs, 3 drives of 16 MiB (copy), balloon, vsock; jailer: 40 of 40 clones had every device"
/// ```
package struct DeviceReport: Codable, Sendable, Equatable {
    /// The scenario's devices, in words ("none" without any).
    package var devices: String
    /// How each VMM was launched: `direct` or `jailer …`.
    package var launch: String
    /// Leased clones checked.
    package var clonesChecked: Int
    /// Clones that lacked a device.
    package var clonesFailed: Int
    /// The first problems found, at most ``maximumProblems``.
    package var problems: [String]

    /// Clones that had every device.
    package var clonesPassed: Int { clonesChecked - clonesFailed }

    /// Problems a report keeps.
    package static let maximumProblems = 5

    package init(devices: String, launch: String, clonesChecked: Int, clonesFailed: Int, problems: [String]) {
        self.devices = devices
        self.launch = launch
        self.clonesChecked = clonesChecked
        self.clonesFailed = clonesFailed
        self.problems = problems
    }

    /// One line for text and Markdown summaries.
    package var summary: String {
        let checked =
            clonesChecked == 0
            ? "no clone checked"
            : "\(clonesPassed) of \(clonesChecked) clones had every device"
        return "\(devices); \(launch): \(checked)"
    }
}
