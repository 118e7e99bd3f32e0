/// The floor of the guest's first work after a resume: the same re-touch with every page of it already
/// present, measured at the start of the run. What a memory backend adds to the first work — page faults,
/// copies, waits on a page server — is the distance from this floor; the floor itself is the guest's own loop,
/// which on a nested host moves with the host's speed that hour.
///
/// Each sample is one clone re-touching its working set twice over its agent (`touch <MiB>`, once to bring the
/// pages in, once more with them all present); the second is the sample, timed by the guest's own TSC.
///
/// ```swift
/// let floor = WorkFloor(touchMiB: 16, samples: 5, guestMilliseconds: [9.8, 10.1, 9.9, 10.4, 10.0])
/// floor.milliseconds  // 10.0, the median
/// ```
package struct WorkFloor: Codable, Sendable, Equatable {
    /// MiB re-touched, as the scenario's work does.
    package var touchMiB: Int
    /// Clones measured.
    package var samples: Int
    /// Each clone's second re-touch, by the guest's TSC, in ms.
    package var guestMilliseconds: [Double]
    /// Their median, in ms: the floor `work_floor_ratio` divides by.
    package var milliseconds: Double

    package init(touchMiB: Int, samples: Int, guestMilliseconds: [Double]) {
        self.touchMiB = touchMiB
        self.samples = samples
        self.guestMilliseconds = guestMilliseconds
        let sorted = guestMilliseconds.sorted()
        let middle = sorted.count / 2
        self.milliseconds =
            sorted.isEmpty ? 0 : sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
