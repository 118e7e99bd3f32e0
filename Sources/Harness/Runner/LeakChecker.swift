import Firecracker
import Foundation
import Reporting

/// After the drain: is anything left? Child VMMs, files in the work directory, descriptors above the start,
/// and how jemalloc `allocated` moved.
struct LeakChecker {
    /// This run's pool directory (removed by a clean drain); `nil` for backends without files.
    var poolDirectory: String?
    var descriptorsBefore: Int
    var allocatedBefore: UInt64?
    var timeline: [TimelineSample]
    /// The run's own filesystem, which must be unmounted by now.
    var filesystemPath: String? = nil

    /// Descriptors the run may still legitimately hold afterwards (event-loop and reactor threads started
    /// on first use).
    static let descriptorAllowance = 8

    func check() -> LeakCheck {
        let vmms = ProcessStatus.firecrackerChildren()
        let files: [String] =
            poolDirectory.flatMap { directory in
                FileManager.default.fileExists(atPath: directory)
                    ? [directory] + (FileManager.default.subpaths(atPath: directory) ?? []) : nil
            } ?? []
        let descriptorsAfter = ProcessStatus.openDescriptorCount()
        let allocatedAfter = Jemalloc()?.statistics().allocated
        var problems: [String] = []
        if !vmms.isEmpty { problems.append("\(vmms.count) VMM processes still running: \(vmms)") }
        if !files.isEmpty {
            problems.append("the pool directory was left with \(files.count - 1) files: \(files.prefix(5))")
        }
        let helpers = FaultHelperProcess.unreaped
        if !helpers.isEmpty {
            problems.append("\(helpers.count) fault helper processes not reaped: \(helpers.sorted())")
        }
        if let filesystemPath, SizeLimitedFilesystem.mountedTmpfs().contains(filesystemPath) {
            problems.append("the run's filesystem is still mounted at \(filesystemPath)")
        }
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
