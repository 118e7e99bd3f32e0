import HostSystem
import SnapshotPool

/// What the run is doing, for a progress display.
public struct RunProgress: Sendable {
    public var phase: String
    public var phaseIndex: Int
    public var elapsed: Duration
    public var phaseDuration: Duration?
    public var served: Int
    public var failed: Int
    public var spawnP95Milliseconds: Double?
    public var warm: Int
    /// Acquires a host disturbance touched so far.
    public var disturbed: Int
}

/// Reports progress about once a second while a phase runs.
struct ProgressTicker<Backend: VMBackend>: Sendable {
    let phase: Phase
    let index: Int
    let start: ContinuousClock.Instant
    let recorder: RunRecorder
    let pool: SnapshotPool<Backend, ContinuousClock>
    let sink: @Sendable (RunProgress) -> Void

    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let totals = recorder.totals
            sink(
                RunProgress(
                    phase: phase.name,
                    phaseIndex: index,
                    elapsed: start.duration(to: .now),
                    phaseDuration: phase.load.duration,
                    served: totals.served,
                    failed: totals.failed,
                    spawnP95Milliseconds: recorder.spawnP95(phase: index),
                    warm: await pool.statistics().warm,
                    disturbed: recorder.excludedCount
                )
            )
        }
    }
}
