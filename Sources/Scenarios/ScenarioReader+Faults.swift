import Firecracker
import Foundation
import HostSystem
import Reporting
import SnapshotPool
import Yams

/// `faults`: what each does, when, and whether the pool can take it.
extension ScenarioReader {
    func faults(_ node: Node, total: Duration, pool: PoolSettings) throws -> [FaultSpec] {
        try document.list(node, path: "faults", nonEmpty: false).enumerated().map { index, item in
            let fields = try Fields(item, path: "faults[\(index)]", document: document)
            let kindNode = try fields.required("kind")
            let kind = try document.word(kindNode, path: fields.path("kind"), from: FaultAction.kinds)
            try fields.rejectUnknown(allowed: ["kind", "at", "duration"] + FaultAction.parameterNames(of: kind))
            let atNode = try fields.required("at")
            let at = try document.duration(atNode, path: fields.path("at"), allowZero: true)
            if at > total {
                throw document.error(
                    .faultOutOfRange,
                    at: atNode,
                    path: fields.path("at"),
                    "at \(Units.format(at)) is after the scenario's end (its phases last \(Units.format(total)))"
                )
            }
            let duration = try fields["duration"].map { try document.duration($0, path: fields.path("duration")) }
            if let duration, at + duration > total, let node = fields["duration"] {
                throw document.error(
                    .faultOutOfRange,
                    at: node,
                    path: fields.path("duration"),
                    "the fault would end at \(Units.format(at + duration)), after the scenario's end (its phases last \(Units.format(total)))"
                )
            }
            var parameters: [String: String] = [:]
            for entry in fields.entries where !["kind", "at", "duration"].contains(entry.key) {
                guard case .scalar(let scalar) = entry.value, entry.value.tagName != .null else {
                    throw document.error(
                        .wrongType,
                        at: entry.value,
                        path: fields.path(entry.key),
                        "fault parameters are single values, found \(ScenarioDocument.describe(entry.value))"
                    )
                }
                parameters[entry.key] = scalar.string
            }
            let action: FaultAction
            switch FaultAction.make(kind: kind, parameters: parameters, duration: duration) {
            case .success(let made): action = made
            case .failure(let problem):
                let key = problem.key ?? "kind"
                throw document.error(.invalidValue, at: fields[key] ?? item, path: fields.path(key), problem.message)
            }
            try checkApplicable(action, fields: fields, pool: pool)
            return FaultSpec(kind: kind, action: action, at: at, duration: duration, parameters: parameters)
        }
    }

    /// Faults that act on something the scenario must set up: the pool's cgroup, its own filesystem.
    func checkApplicable(_ action: FaultAction, fields: Fields, pool: PoolSettings) throws {
        switch action {
        case .memoryPressure(_?, _) where pool.cgroupLimitMiB == nil:
            let key = fields.has("cgroup_limit_mib") ? "cgroup_limit_mib" : "cgroup_usage_percent"
            throw document.error(
                .inapplicableKey,
                at: fields[key],
                path: fields.path(key),
                "lowers the pool's memory cgroup limit, but the pool has none: set `pool.cgroup_limit_mib`"
            )
        case .diskFull where pool.workFilesystemMiB == nil:
            throw document.error(
                .inapplicableKey,
                at: fields["kind"],
                path: fields.path("kind"),
                "`disk_full` fills the pool's own filesystem: set `pool.work_dir_size_mib`"
            )
        default:
            break
        }
    }
}
