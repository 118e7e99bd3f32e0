package import Firecracker
import Foundation
import Glibc
import HostSystem

/// Where the tests find Firecracker, the guest and scratch space, and what the host offers.
package enum TestEnvironment {
    /// The package root, derived from this file's location.
    package static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Whether real Firecracker tests can run: `/dev/kvm` is present and usable.
    ///
    /// When it is not, the message says so loudly on stderr once, and the suites that need it are skipped
    /// with a comment naming the reason.
    package static let kvmAvailable: Bool = {
        let usable = HostInfo.kvmUsable
        if !usable {
            let banner = String(repeating: "!", count: 78)
            FileHandle.standardError.write(
                Data(
                    "\n\(banner)\n!! /dev/kvm is absent or unusable: every REAL FIRECRACKER test is SKIPPED.\n!! Only simulated-backend and unit tests run on this host.\n\(banner)\n\n"
                        .utf8
                )
            )
        }
        return usable
    }()

    /// The comment attached to skipped real-Firecracker suites.
    package static let kvmSkipReason =
        "SKIPPED: /dev/kvm is absent or unusable on this host; real Firecracker tests need it"

    /// The Firecracker installation under test (run `scripts/setup` first).
    package static func installation() async throws -> FirecrackerInstallation {
        try await FirecrackerInstallation.locate(explicitPath: nil, projectRoots: [packageRoot])
    }

    /// The built-in guest image.
    package static func guestPath() throws -> String {
        try ProjectPaths.locateGuest(projectRoots: [packageRoot])
    }

    /// A fresh, empty scratch directory, unique to the caller.
    ///
    /// Kept short (`/tmp/sbt-<pid>/<8 hex>`): VMM API sockets live below it, and a Unix socket path has at
    /// most 107 bytes.
    package static func scratchDirectory(_ name: String = #function) throws -> String {
        _ = sweptDeadOwners
        let path =
            "\(FileManager.default.temporaryDirectory.path)/sbt-\(getpid())/\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The `sbt-<pid>` directories of test processes that died before removing them (killed, or crashed), swept
    /// once per process before its first scratch directory: a live owner's, or another user's, is left alone.
    private static let sweptDeadOwners: Void = {
        let temporary = FileManager.default.temporaryDirectory.path
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] {
            guard entry.hasPrefix("sbt-"), let pid = Int32(entry.dropFirst(4)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: "\(temporary)/\(entry)")
            }
        }
    }()

    /// Removes a scratch directory, and the process's `sbt-<pid>` directory above it once that is empty, so
    /// tests leave nothing in `/tmp`.
    package static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if parent.hasSuffix("/sbt-\(getpid())") { rmdir(parent) }
    }
}
