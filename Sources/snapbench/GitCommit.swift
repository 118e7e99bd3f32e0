import Foundation
import HostSystem

/// The snapbench commit a report names: `$SNAPBENCH_COMMIT`, else the checkout's `HEAD` read from `.git`
/// without running git.
enum GitCommit {
    static func current() -> String? {
        if let commit = ProcessInfo.processInfo.environment["SNAPBENCH_COMMIT"], !commit.isEmpty { return commit }
        for root in ProjectPaths.candidateRoots() {
            guard let head = try? String(contentsOfFile: root + "/.git/HEAD", encoding: .utf8) else { continue }
            let trimmed = head.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.hasPrefix("ref: ") else { return trimmed }
            let ref = String(trimmed.dropFirst(5))
            if let value = try? String(contentsOfFile: root + "/.git/" + ref, encoding: .utf8) {
                return value.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let packed = (try? String(contentsOfFile: root + "/.git/packed-refs", encoding: .utf8)) ?? ""
            return packed.split(separator: "\n").first { $0.hasSuffix(" " + ref) }.map { String($0.prefix(40)) }
        }
        return nil
    }
}
