import HostSystem
import Reporting

/// Finds the windows in which the host, not the run, limited what was measured, from the timeline's host
/// figures: CPU stolen by the hypervisor, CPU used by processes outside the run, and stalls of the real-time
/// heartbeat, a thread that takes no lock the run holds, so no thread of the run can hold it off.
///
/// The dispatcher's own lag is not evidence: it shares locks (the allocator's, the recorder's) with the
/// run's threads, so a slow pool could delay it, and a regression must never pass for a disturbance. A late
/// arrival is the host's doing only where the hypervisor stole at least as much CPU as the arrival was late in
/// the same interval: the steal is the evidence, the lateness only what it explains. (A real-time dispatcher
/// cannot run while the hypervisor has taken its vCPU: of the 9 sample intervals with a late start in two `smoke`
/// runs on one busy afternoon here, 6 had steal, most of it 5–15 % of a CPU, under the 20 % that marks an interval
/// disturbed by itself.)
///
/// ```swift
/// var detector = DisturbanceDetector()
/// for sample in timeline { detector.observe(sample) }
/// detector.disturbances  // [Disturbance(start: 41.0, end: 41.4, evidence: ["heartbeat 291 ms late", …])]
/// ```
struct DisturbanceDetector: Sendable {
    /// What counts as a disturbance in one sample interval.
    struct Thresholds: Sendable {
        /// Steal, in percent of one CPU.
        var stealPercent = 20.0
        /// CPU used outside the run, in percent of one CPU.
        var otherPercent = 50.0
        /// Lateness of a real-time thread's wake-up, in ms.
        var realTimeLateMs = 10.0
        /// Whether a late arrival (``RunRecorder/lateStartThreshold``) in an interval in which the hypervisor stole
        /// at least as much CPU as the arrival was late marks the interval.
        var lateArrivalsUnderSteal = true

        /// Nothing is a disturbance (tests of the gates whose verdicts must not depend on the host's load).
        static let never = Thresholds(
            stealPercent: .infinity,
            otherPercent: .infinity,
            realTimeLateMs: .infinity,
            lateArrivalsUnderSteal: false
        )
    }

    var thresholds = Thresholds()
    private(set) var disturbances: [Disturbance] = []
    private var previousTime: Double?

    /// Windows closer than this are one.
    static let joinGap = 1.0

    /// Takes one timeline sample into account; returns whether its interval was disturbed.
    @discardableResult
    mutating func observe(_ sample: TimelineSample) -> Bool {
        defer { previousTime = sample.time }
        guard let start = previousTime else { return false }
        var evidence: [String] = []
        if let steal = sample.stealPercent, steal >= thresholds.stealPercent {
            evidence.append("CPU steal \(formatNumber(steal)) % of a CPU")
        }
        if let other = sample.otherCPUPercent, other >= thresholds.otherPercent {
            evidence.append("other processes used \(formatNumber(other)) % of a CPU")
        }
        if let late = sample.heartbeatLateMs, late >= thresholds.realTimeLateMs {
            evidence.append("real-time heartbeat \(formatNumber(late)) ms late")
        }
        if thresholds.lateArrivalsUnderSteal, let steal = sample.stealPercent, let lag = sample.dispatchLagMaxMs,
            lag > RunRecorder.lateStartThreshold.inMilliseconds
        {
            let stolenMs = steal / 100 * (sample.time - start) * 1000
            // The lag is over 1 ms here, so no interval without steal qualifies.
            if stolenMs >= lag {
                evidence.append(
                    "an arrival \(formatNumber(lag)) ms late while the hypervisor stole \(formatNumber(stolenMs)) ms of CPU"
                )
            }
        }
        guard !evidence.isEmpty else { return false }
        if var last = disturbances.last, start - last.end <= Self.joinGap {
            last.end = sample.time
            for item in evidence where !last.evidence.contains(item) { last.evidence.append(item) }
            // Keep the evidence short: the worst few readings are enough to show what happened.
            if last.evidence.count > 6 { last.evidence = Array(last.evidence.prefix(6)) }
            disturbances[disturbances.count - 1] = last
        } else {
            disturbances.append(Disturbance(start: start, end: sample.time, evidence: evidence))
        }
        return true
    }
}
