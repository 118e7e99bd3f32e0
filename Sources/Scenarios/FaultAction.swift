import Reporting

/// What a scheduled fault does, checked and typed when the scenario is parsed.
///
/// ```swift
/// let action = try FaultAction.make(kind: "vmm_crash", parameters: ["count": "2"], duration: nil).get()
/// // .vmmCrash(count: 2, target: .warm)
/// ```
package enum FaultAction: Sendable, Equatable {
    /// Real memory pressure: the pool's memory cgroup limit lowered, and/or a helper process that allocates
    /// and touches `balloonMiB` (in the pool's cgroup when there is one, else on the host).
    case memoryPressure(limit: CgroupLimit?, balloonMiB: Int?)
    /// SIGKILL to `count` VMMs chosen among `target`.
    case vmmCrash(count: Int, target: VMTarget)
    /// SIGSTOP to `count` VMMs among `target` for the fault's duration, then SIGCONT to those still there.
    case vmmHang(count: Int, target: VMTarget)
    /// Damage to the golden snapshot on disk.
    case snapshotCorruption(mode: CorruptionMode)
    /// The size-limited work filesystem filled to within `leaveKiB` of full for the fault's duration.
    case diskFull(leaveKiB: Int)
    /// `processes` helper processes spinning on the CPU for the fault's duration.
    case cpuContention(processes: Int)

    /// The kinds a scenario may name, in the order the documentation lists them.
    package static let kinds = [
        "memory_pressure", "vmm_crash", "vmm_hang", "snapshot_corruption", "disk_full", "cpu_contention",
    ]

    /// Whether the fault lasts (and so needs a `duration`) or happens at an instant.
    package var lasts: Bool {
        switch self {
        case .vmmCrash, .snapshotCorruption: false
        case .memoryPressure, .vmmHang, .diskFull, .cpuContention: true
        }
    }

    /// A problem with one parameter (or the fault as a whole when `key` is `nil`).
    package struct Problem: Error, Equatable, Sendable {
        /// The parameter at fault, when one is.
        package var key: String?
        /// What is wrong, in words.
        package var message: String
    }

    /// The parameters each kind accepts.
    package static func parameterNames(of kind: String) -> [String] {
        switch kind {
        case "memory_pressure": ["cgroup_limit_mib", "cgroup_usage_percent", "balloon_mib"]
        case "vmm_crash", "vmm_hang": ["count", "target"]
        case "snapshot_corruption": ["mode"]
        case "disk_full": ["leave_kib"]
        case "cpu_contention": ["processes"]
        default: []
        }
    }

    /// Reads a fault from its kind and parameters as written.
    ///
    /// - Returns: the action, or the first problem (unknown kind or parameter, bad value, a duration missing
    ///   or given where none applies).
    package static func make(
        kind: String,
        parameters: [String: String],
        duration: Duration?
    ) -> Result<
        FaultAction, Problem
    > {
        guard kinds.contains(kind) else {
            return .failure(Problem(key: "kind", message: "unknown fault kind `\(kind)`"))
        }
        let allowed = parameterNames(of: kind)
        if let unknown = parameters.keys.sorted().first(where: { !allowed.contains($0) }) {
            let hint = Suggestion.didYouMean(unknown, in: allowed)
            return .failure(
                Problem(
                    key: unknown,
                    message:
                        "`\(kind)` takes no parameter `\(unknown)`\(hint.isEmpty ? " (it takes \(allowed.joined(separator: ", ")))" : hint)"
                )
            )
        }
        do {
            let action = try read(kind: kind, parameters)
            if action.lasts && duration == nil {
                return .failure(Problem(key: nil, message: "`\(kind)` lasts a while: give it a `duration`"))
            }
            if !action.lasts && duration != nil {
                return .failure(Problem(key: "duration", message: "`\(kind)` happens at an instant: remove `duration`"))
            }
            return .success(action)
        } catch {
            return .failure(error)
        }
    }

    private static func read(kind: String, _ parameters: [String: String]) throws(Problem) -> FaultAction {
        func integer(_ key: String, minimum: Int) throws(Problem) -> Int? {
            guard let text = parameters[key] else { return nil }
            guard let value = Int(text) else {
                throw Problem(key: key, message: "expected an integer, found `\(text)`")
            }
            guard value >= minimum else {
                throw Problem(key: key, message: "must be at least \(minimum) (is \(value))")
            }
            return value
        }
        func word<T: RawRepresentable & CaseIterable>(_ key: String, _: T.Type) throws(Problem) -> T?
        where T.RawValue == String {
            guard let text = parameters[key] else { return nil }
            guard let value = T(rawValue: text) else {
                let words = T.allCases.map(\.rawValue)
                throw Problem(
                    key: key,
                    message:
                        "`\(text)` is not one of \(words.joined(separator: ", "))\(Suggestion.didYouMean(text, in: words))"
                )
            }
            return value
        }
        switch kind {
        case "memory_pressure":
            let mebibytes = try integer("cgroup_limit_mib", minimum: 1)
            let percent = try integer("cgroup_usage_percent", minimum: 1)
            if let percent, percent > 100 {
                throw Problem(key: "cgroup_usage_percent", message: "must be at most 100 (is \(percent))")
            }
            if mebibytes != nil, percent != nil {
                throw Problem(
                    key: "cgroup_usage_percent",
                    message: "give `cgroup_limit_mib` or `cgroup_usage_percent`, not both"
                )
            }
            let limit = mebibytes.map(CgroupLimit.mebibytes) ?? percent.map(CgroupLimit.usagePercent)
            let balloon = try integer("balloon_mib", minimum: 1)
            guard limit != nil || balloon != nil else {
                throw Problem(
                    key: nil,
                    message:
                        "`memory_pressure` needs `cgroup_limit_mib` or `cgroup_usage_percent`, `balloon_mib`, or both"
                )
            }
            return .memoryPressure(limit: limit, balloonMiB: balloon)
        case "vmm_crash":
            return .vmmCrash(
                count: try integer("count", minimum: 1) ?? 1,
                target: try word("target", VMTarget.self) ?? .warm
            )
        case "vmm_hang":
            return .vmmHang(
                count: try integer("count", minimum: 1) ?? 1,
                target: try word("target", VMTarget.self) ?? .warm
            )
        case "snapshot_corruption":
            return .snapshotCorruption(mode: try word("mode", CorruptionMode.self) ?? .flipState)
        case "disk_full":
            return .diskFull(leaveKiB: try integer("leave_kib", minimum: 0) ?? 0)
        default:
            return .cpuContention(processes: try integer("processes", minimum: 1) ?? 2)
        }
    }
}

/// Which of the pool's VMs a crash or hang picks from.
package enum VMTarget: String, Sendable, Equatable, CaseIterable {
    /// Restored, paused, waiting in the warm set.
    case warm
    /// Handed out to a caller.
    case leased
    /// Being restored (their VMM runs, the load has not answered yet).
    case restoring
    /// Any of them.
    case any
}

/// How the golden snapshot is damaged.
package enum CorruptionMode: String, Sendable, Equatable, CaseIterable {
    /// The state file cut to half its length.
    case truncateState = "truncate_state"
    /// Bytes in the middle of the state file inverted (Firecracker's CRC64 must refuse it).
    case flipState = "flip_state"
    /// The memory file removed.
    case removeMemory = "remove_memory"
}

/// How far a `memory_pressure` fault lowers the pool's cgroup limit.
package enum CgroupLimit: Sendable, Equatable {
    /// To this many MiB.
    case mebibytes(Int)
    /// To where the cgroup's current usage is this percentage of it (97 → usage at 97 % of the limit).
    case usagePercent(Int)
}
