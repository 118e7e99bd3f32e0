import Synchronization

/// Every VM's teardown, verified as it happens: the backend records, for each VM it destroys, what was still
/// there afterwards (its process not reaped, its directory, its network slot, its jail). The leak check of a
/// run reads it, so a leak of one VM in ten thousand is seen with the VM's id, not only as a count.
///
/// ```swift
/// let ledger = TeardownLedger()
/// ledger.record(vm: "warm-7", problems: [])
/// ledger.verified   // 1
/// ledger.problems   // []
/// ```
package final class TeardownLedger: Sendable {
    private struct State {
        var verified = 0
        var problems: [String] = []
        var problemVMs = 0
    }

    /// Problems kept in words at most (the count goes on).
    package static let keptProblems = 50

    private let state = Mutex(State())

    package init() {}

    /// Records one VM's teardown and what it left.
    package func record(vm id: String, problems: [String]) {
        state.withLock { state in
            state.verified += 1
            guard !problems.isEmpty else { return }
            state.problemVMs += 1
            for problem in problems where state.problems.count < Self.keptProblems {
                state.problems.append("\(id): \(problem)")
            }
        }
    }

    /// VMs whose teardown was checked.
    package var verified: Int { state.withLock { $0.verified } }
    /// What teardowns left, in words (at most ``keptProblems``).
    package var problems: [String] { state.withLock { $0.problems } }
    /// VMs whose teardown left something.
    package var failedTeardowns: Int { state.withLock { $0.problemVMs } }
}
