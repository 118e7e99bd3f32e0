import Foundation
import Reporting

/// After the drain: is anything left? Child VMMs, files in the work directory, descriptors above the start,
/// and how jemalloc `allocated` moved.
struct LeakChecker {
    var workDirectory: String
    var descriptorsBefore: Int
    var allocatedBefore: UInt64?
    var timeline: [TimelineSample]

    /// Descriptors the run may still legitimately hold afterwards (event-loop and reactor threads started
    /// on first use).
    static let descriptorAllowance = 8

    func check() -> LeakCheck {
        let vmms = ProcessMemory.childVMMs()
        let files = (FileManager.default.subpaths(atPath: workDirectory) ?? []).filter { !$0.hasPrefix(".") }
        let descriptorsAfter = ProcessMemory.openDescriptors()
        let allocatedAfter = Jemalloc()?.statistics().allocated
        var problems: [String] = []
        if !vmms.isEmpty { problems.append("\(vmms.count) VMM processes still running: \(vmms)") }
        if !files.isEmpty { problems.append("\(files.count) files left in \(workDirectory): \(files.prefix(5))") }
        if descriptorsAfter > descriptorsBefore + Self.descriptorAllowance {
            problems.append("\(descriptorsAfter - descriptorsBefore) more descriptors open than at the start")
        }
        return LeakCheck(
            childVMMs: vmms.count,
            leftoverFiles: files,
            descriptorsBefore: descriptorsBefore,
            descriptorsAfter: descriptorsAfter,
            allocatedBefore: allocatedBefore,
            allocatedAfter: allocatedAfter,
            allocatedSlopeBytesPerSecond: TimelineSampler.allocatedSlope(timeline),
            problems: problems
        )
    }
}
