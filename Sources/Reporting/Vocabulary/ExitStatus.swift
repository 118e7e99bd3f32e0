/// The exit codes of every `snapbench` command, one list for all of them.
///
/// ```swift
/// ExitStatus.of(report)                     // .success, .failure, .inconclusive, .incomplete or .simulated
/// ExitStatus.worst([.success, .failure])    // .failure
/// ```
package enum ExitStatus: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// Every gate passed on real Firecracker; `compare`: no gated metric regressed.
    case success = 0
    /// A gate failed; `compare`/`ab`: a gated metric regressed.
    case failure = 1
    /// A run could not complete, or could not start because KVM, Firecracker or the guest is missing.
    case incomplete = 2
    /// Invalid input: a scenario, gate, report or command line that does not parse, or a contradictory request;
    /// nothing was started.
    case invalidInput = 3
    /// No gate failed, but one could not be decided from the samples (or a host disturbance left too few);
    /// `compare`: too few runs a side to decide. Re-run, or run longer.
    case inconclusive = 4
    /// Every gate passed on the simulated backend: invented numbers, not a verdict on any build.
    case simulated = 5
    /// Every gate passed, but the results store did not take the run (down, or it refused the write); the
    /// JSON report is written and the message names the store's error. Any other outcome keeps its own code.
    case storeFailed = 6
    /// No gate failed or was undecided, and every gate the pool controls passed, but an absolute target was
    /// host-bound: this host's own floor, measured in the same run, leaves it no room. The pool is not at fault;
    /// this host cannot sign off that target.
    case hostBound = 7

    /// How serious it is, for the worst of several: success < store failed < simulated < host-bound <
    /// inconclusive < failure < incomplete < invalid input.
    var severity: Int {
        switch self {
        case .success: 0
        case .storeFailed: 1
        case .simulated: 2
        case .hostBound: 3
        case .inconclusive: 4
        case .failure: 5
        case .incomplete: 6
        case .invalidInput: 7
        }
    }

    /// The most serious of `statuses` (success for none).
    package static func worst(_ statuses: some Sequence<ExitStatus>) -> ExitStatus {
        statuses.max { $0.severity < $1.severity } ?? .success
    }

    /// The exit status a run's report calls for.
    package static func of(_ report: RunReport) -> ExitStatus {
        switch report.verdict {
        case .pass: report.isFirecracker ? .success : .simulated
        case .fail: .failure
        case .inconclusive: .inconclusive
        case .hostBound: .hostBound
        case .incomplete: .incomplete
        }
    }

    package var description: String {
        switch self {
        case .success: "0 success"
        case .failure: "1 failure"
        case .incomplete: "2 incomplete"
        case .invalidInput: "3 invalid input"
        case .inconclusive: "4 inconclusive"
        case .simulated: "5 simulated"
        case .storeFailed: "6 store failed"
        case .hostBound: "7 host-bound"
        }
    }

    /// The exit codes as `--help` lists them.
    package static let help = """
        Exit codes: 0 every gate passed on real Firecracker; 1 a gate failed; 2 a run could not complete \
        (or KVM, Firecracker or the guest is missing, or a scenario needs root and nothing was started: the \
        message says how to fix it); 3 invalid input \
        (nothing was started); 4 inconclusive (no gate failed, but the samples could not decide one: run \
        longer or again); 5 every gate passed on the simulated backend (invented numbers: not a verdict); 6 every \
        gate passed but the results store did not take the run (the JSON report is written; see --store); 7 \
        host-bound (every gate the pool controls passed, but an absolute target was out of reach: this host's own \
        floor, measured in the same run, leaves it no room; the report gives the floor's figures).
        """
}
