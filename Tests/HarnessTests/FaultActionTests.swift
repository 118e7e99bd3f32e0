import Harness
import Scenarios
import Testing

@Suite("Fault actions")
struct FaultActionTests {
    private func make(
        _ kind: String,
        _ parameters: [String: String] = [:],
        duration: Duration? = nil
    )
        -> Result<FaultAction, FaultAction.Problem>
    {
        FaultAction.make(kind: kind, parameters: parameters, duration: duration)
    }

    @Test("every kind reads its parameters, with defaults")
    func kinds() throws {
        #expect(try make("vmm_crash").get() == .vmmCrash(count: 1, target: .warm))
        #expect(try make("vmm_crash", ["count": "3", "target": "any"]).get() == .vmmCrash(count: 3, target: .any))
        #expect(
            try make("vmm_hang", ["target": "restoring"], duration: .seconds(1)).get()
                == .vmmHang(count: 1, target: .restoring)
        )
        #expect(try make("snapshot_corruption").get() == .snapshotCorruption(mode: .flipState))
        #expect(
            try make("snapshot_corruption", ["mode": "truncate_state"]).get()
                == .snapshotCorruption(mode: .truncateState)
        )
        #expect(try make("disk_full", duration: .seconds(1)).get() == .diskFull(leaveKiB: 0))
        #expect(try make("cpu_contention", duration: .seconds(1)).get() == .cpuContention(processes: 2))
        #expect(
            try make("memory_pressure", ["cgroup_usage_percent": "97"], duration: .seconds(1)).get()
                == .memoryPressure(limit: .usagePercent(97), balloonMiB: nil)
        )
        #expect(
            try make("memory_pressure", ["balloon_mib": "64", "cgroup_limit_mib": "32"], duration: .seconds(1)).get()
                == .memoryPressure(limit: .mebibytes(32), balloonMiB: 64)
        )
        #expect(FaultAction.vmmCrash(count: 1, target: .warm).lasts == false)
        #expect(FaultAction.cpuContention(processes: 1).lasts)
    }

    @Test(
        "problems name the parameter at fault",
        arguments: [
            ("vmm_crash", ["count": "two"], nil, "count", "expected an integer"),
            ("vmm_crash", ["count": "0"], nil, "count", "must be at least 1"),
            ("vmm_crash", ["target": "wram"], nil, "target", "did you mean `warm`?"),
            ("vmm_crash", ["mode": "x"], nil, "mode", "takes no parameter `mode`"),
            ("vmm_crash", [:], 1, "duration", "remove `duration`"),
            ("vmm_hang", [:], nil, nil, "give it a `duration`"),
            ("memory_pressure", [:], 1, nil, "needs `cgroup_limit_mib`"),
            ("memory_pressure", ["cgroup_usage_percent": "101"], 1, "cgroup_usage_percent", "at most 100"),
            (
                "memory_pressure", ["cgroup_usage_percent": "90", "cgroup_limit_mib": "9"], 1, "cgroup_usage_percent",
                "not both"
            ),
            ("snapshot_corruption", ["mode": "flip"], nil, "mode", "is not one of"),
            ("earthquake", [:], nil, "kind", "unknown fault kind"),
        ] as [(String, [String: String], Int?, String?, String)]
    )
    func problems(kind: String, parameters: [String: String], seconds: Int?, key: String?, message: String) {
        guard case .failure(let problem) = make(kind, parameters, duration: seconds.map { .seconds($0) }) else {
            Issue.record("\(kind) \(parameters) should be refused")
            return
        }
        #expect(problem.key == key)
        #expect(problem.message.contains(message), "\(problem.message)")
    }
}
