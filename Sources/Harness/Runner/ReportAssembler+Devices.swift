import Reporting
import Scenarios

extension ReportAssembler {
    /// The clones' devices and launch mode, and what checking every leased clone found; `nil` for an unjailed
    /// VM without devices.
    func deviceReport() -> DeviceReport? {
        guard scenario.devices.hasDevices || scenario.pool.launch != .direct else { return nil }
        let checks = outcome.deviceChecks
        return DeviceReport(
            devices: scenario.devices.description,
            launch: scenario.pool.launch.description,
            clonesChecked: checks.checked,
            clonesFailed: checks.failed,
            problems: checks.problems
        )
    }

    /// Every clone had every device: a nothing-lost check of every run whose VM has devices.
    func deviceGate() -> GateResult {
        let checks = outcome.deviceChecks
        let problem =
            checks.checked == 0
            ? "no leased clone was checked for its devices"
            : "\(checks.failed) of \(checks.checked) clones lacked a device: "
                + checks.problems.joined(separator: " | ")
        let passed = checks.checked > 0 && checks.failed == 0
        return GateResult(
            expression: "nothing lost: every clone has its snapshot's devices",
            measured: Double(checks.failed),
            passed: passed,
            reason: passed ? nil : problem
        )
    }
}
