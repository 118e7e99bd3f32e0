import Foundation
import HostSystem
package import Reporting

/// What a scenario will do, worked out from its file alone: each phase's arrivals and length, and each gate with
/// the samples it needs and whether the schedule provides them. `snapbench run --plan` prints it and starts
/// nothing.
///
/// ```swift
/// let plan = ScenarioPlan(try ScenarioParser.parse(file: "Scenarios/smoke.yaml"))
/// print(plan.text)
/// // smoke: 3 phases, 56 s of load; 888 measured acquires; backend firecracker
/// ```
package struct ScenarioPlan: Sendable, Equatable {
    /// One phase: its name, whether it is a warm-up, what arrives and for how long.
    package struct PhasePlan: Sendable, Equatable {
        package var name: String
        package var warmup: Bool
        /// The arrivals it schedules (Poisson: the expected number); `nil` for closed-loop workers.
        package var arrivals: Int?
        package var duration: Duration
        package var load: String
    }

    /// One gate: what it needs to be decided, and why the schedule cannot give it, if it cannot.
    package struct GateCheck: Sendable, Equatable {
        package var expression: String
        package var needs: String?
        package var problem: String?
    }

    package var name: String
    package var backend: BackendChoice
    package var phases: [PhasePlan]
    package var measuredAcquires: Int?
    package var loadDuration: Duration
    package var gates: [GateCheck]

    /// Works out the plan of `scenario`, with `extraGates` (from `--gate`) after its own.
    package init(_ scenario: Scenario, extraGates: [Gate] = []) {
        name = scenario.name
        backend = scenario.backend
        phases = scenario.phases.map { phase in
            PhasePlan(
                name: phase.name,
                warmup: phase.warmup,
                arrivals: ArrivalSchedule(load: phase.load, seed: scenario.seed, phase: phase.name)?.plannedCount,
                duration: phase.load.duration,
                load: Self.describe(phase.load)
            )
        }
        measuredAcquires = scenario.plannedMeasuredAcquires
        loadDuration = scenario.loadDuration
        gates = (scenario.gates + extraGates).map { gate in
            GateCheck(
                expression: gate.expression,
                needs: Reporting.GatePlan.samplesNeeded(gate),
                problem: scenario.problem(deciding: gate)
            )
        }
    }

    /// Whether every gate can be decided from what the scenario schedules.
    package var isDecidable: Bool { gates.allSatisfy { $0.problem == nil } }

    /// The plan as lines for a terminal.
    package var text: String {
        var lines: [String] = []
        let acquires = measuredAcquires.map { "\($0) measured acquires" } ?? "measured acquires set by the system"
        lines.append(
            "\(name): \(phases.count) phase\(phases.count == 1 ? "" : "s"), \(Self.seconds(loadDuration)) of load; "
                + "\(acquires); backend \(backend.rawValue)"
        )
        for phase in phases {
            let arrivals = phase.arrivals.map { "\($0) arrivals" } ?? "closed loop"
            lines.append(
                "  phase \(phase.name)\(phase.warmup ? " (warm-up, not measured)" : ""): \(phase.load); "
                    + "\(arrivals) over \(Self.seconds(phase.duration))"
            )
        }
        if gates.isEmpty { lines.append("  no gates") }
        for gate in gates {
            var line = "  gate \(gate.expression)"
            if let needs = gate.needs { line += ": needs \(needs)" }
            line += gate.problem.map { "; CANNOT BE DECIDED: \($0)" } ?? (gate.needs == nil ? "" : ", scheduled")
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    private static func seconds(_ duration: Duration) -> String {
        formatNumber(duration.inSeconds) + " s"
    }

    private static func describe(_ load: LoadProfile) -> String {
        switch load {
        case .constantArrivalRate(let rate, _): "\(formatNumber(rate))/s, evenly spaced"
        case .poisson(let rate, _): "\(formatNumber(rate))/s on average, Poisson"
        case .rampingArrivalRate(let start, let stages):
            "ramping from \(formatNumber(start))/s through "
                + stages.map { "\(formatNumber($0.target))/s" }.joined(separator: ", ")
        case .burst(let count, let spread, let bursts, let interval):
            "\(bursts) bursts of \(count) within \(formatNumber(spread.inSeconds * 1000)) ms, "
                + "\(formatNumber(interval.inSeconds)) s apart"
        case .workers(let count, _, _): "\(count) closed-loop workers"
        }
    }
}
