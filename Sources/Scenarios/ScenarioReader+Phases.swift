import Firecracker
import Foundation
import HostSystem
import Reporting
import SnapshotPool
import Yams

/// `phases`: each phase's executor, its arrivals and hold.
extension ScenarioReader {
    func phases(_ node: Node) throws -> [Phase] {
        var phases: [Phase] = []
        var names: [String: Int] = [:]
        var total = Duration.zero
        for (index, item) in try document.list(node, path: "phases", nonEmpty: true).enumerated() {
            let phase = try self.phase(item, path: "phases[\(index)]")
            total += phase.load.duration
            if total > Self.longestScenario {
                throw document.error(
                    .invalidValue,
                    at: item,
                    path: "phases[\(index)]",
                    "the phases up to this one last \(Units.format(total)), longer than the 30 days a scenario may last"
                )
            }
            if let earlier = names[phase.name] {
                throw document.error(
                    .invalidValue,
                    at: item["name"],
                    path: "phases[\(index)].name",
                    "phase name `\(phase.name)` is already used by phases[\(earlier)]"
                )
            }
            names[phase.name] = index
            phases.append(phase)
        }
        return phases
    }

    func phase(_ node: Node, path: String) throws -> Phase {
        let fields = try Fields(node, path: path, document: document)
        let executor = try document.word(
            fields.required("executor", hint: " (one of \(Self.executors.joined(separator: ", ")))"),
            path: fields.path("executor"),
            from: Self.executors
        )
        let own = Self.executorKeys[executor] ?? []
        var inapplicable: [String: String] = [:]
        for key in Set(Self.executorKeys.values.joined()) where !own.contains(key) {
            inapplicable[key] = "does not apply to the `\(executor)` executor (it takes \(own.joined(separator: ", ")))"
        }
        try fields.rejectUnknown(allowed: Self.phaseKeys + own, inapplicable: inapplicable)

        let name = try document.string(fields.required("name"), path: fields.path("name"))
        let warmup = try fields["warmup"].map { try document.bool($0, path: fields.path("warmup")) } ?? false
        let hold = try fields["hold"].map { try document.distribution($0, path: fields.path("hold")) } ?? .fixed(.zero)

        func value<T>(_ key: String, _ read: (Node, String) throws -> T) throws -> T {
            try read(fields.required(key, hint: " (the `\(executor)` executor needs it)"), fields.path(key))
        }
        func optional<T>(_ key: String, _ read: (Node, String) throws -> T) throws -> T? {
            try fields[key].map { try read($0, fields.path(key)) }
        }
        let rate = { (node: Node, path: String) in try document.rate(node, path: path) }
        let duration = { (node: Node, path: String) in try document.duration(node, path: path) }
        let count = { (node: Node, path: String) in try document.integer(node, path: path, minimum: 1) }

        let load: LoadProfile
        switch executor {
        case "constant-arrival-rate":
            load = .constantArrivalRate(rate: try value("rate", rate), duration: try value("duration", duration))
        case "poisson":
            load = .poisson(rate: try value("rate", rate), duration: try value("duration", duration))
        case "ramping-arrival-rate":
            let start = try optional("start_rate") { try document.rate($0, path: $1, allowZero: true) } ?? 0
            let stages = try value("stages") { try self.stages($0, path: $1) }
            if start == 0 && stages.allSatisfy({ $0.target == 0 }) {
                throw document.error(
                    .invalidValue,
                    at: fields["stages"],
                    path: fields.path("stages"),
                    "the rate never rises above 0/s, so the phase makes no arrivals"
                )
            }
            load = .rampingArrivalRate(startRate: start, stages: stages)
        case "burst":
            let size = try value("count", count)
            let spread = try optional("spread") { try document.duration($0, path: $1, allowZero: true) } ?? .zero
            let bursts = try optional("bursts", count) ?? 1
            let interval =
                bursts > 1
                ? try duration(fields.required("interval", hint: " (needed when bursts > 1)"), fields.path("interval"))
                : try optional("interval", duration) ?? .zero
            if bursts > 1 && spread >= interval {
                throw document.error(
                    .invalidValue,
                    at: fields["spread"],
                    path: fields.path("spread"),
                    "spread (\(Units.format(spread))) must be shorter than interval (\(Units.format(interval))) "
                        + "or bursts would overlap"
                )
            }
            load = .burst(count: size, spread: spread, bursts: bursts, interval: interval)
        default:
            let workers = try value("count", count)
            let think =
                try optional("think_time") { try document.distribution($0, path: $1) } ?? .fixed(.zero)
            load = .workers(count: workers, thinkTime: think, duration: try value("duration", duration))
        }
        return Phase(name: name, warmup: warmup, load: load, hold: hold)
    }

    func stages(_ node: Node, path: String) throws -> [RampStage] {
        try document.list(node, path: path, nonEmpty: true).enumerated().map { index, item in
            let fields = try Fields(item, path: "\(path)[\(index)]", document: document)
            try fields.rejectUnknown(allowed: ["target", "duration"])
            return RampStage(
                target: try document.rate(fields.required("target"), path: fields.path("target"), allowZero: true),
                duration: try document.duration(fields.required("duration"), path: fields.path("duration"))
            )
        }
    }
}
