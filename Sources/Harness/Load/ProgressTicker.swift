import HostSystem
import Scenarios
import SnapshotPool

/// What the run is doing, for a progress display.
package struct RunProgress: Sendable {
    package var phase: String
    package var phaseIndex: Int
    package var elapsed: Duration
    package var phaseDuration: Duration?
    package var served: Int
    package var failed: Int
    package var spawnP95Milliseconds: Double?
    package var warm: Int
    /// Acquires a host disturbance touched so far.
    package var disturbed: Int
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
