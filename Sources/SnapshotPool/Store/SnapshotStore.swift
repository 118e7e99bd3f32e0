package import Firecracker
import Foundation
import HostSystem
package import Logging

/// Golden snapshots on disk, one directory per compatibility key: built from a ``VMSpec`` when missing,
/// verified before use, rebuilt when stale or incompatible, quarantined after a failed load.
///
/// ```swift
/// let store = SnapshotStore(directory: "/var/lib/snapbench/snapshots", installation: installation, spec: spec)
/// let snapshot = try await store.current()
/// ```
package actor SnapshotStore {
    /// Where snapshots live.
    package nonisolated let directory: String
    /// The Firecracker binary snapshots are made with.
    package nonisolated let installation: FirecrackerInstallation
    /// What the golden VM is.
    package nonisolated let spec: VMSpec
    /// Snapshots older than this are rebuilt; `nil` keeps them.
    package nonisolated let maximumAge: Duration?
    /// A command prefix the golden VM's Firecracker runs under (e.g. a network namespace).
    package nonisolated let launcher: [String]
    /// Where builds, verifications, quarantines and deletions are recorded.
    package nonisolated let audit: AuditLog?

    /// A snapshot another tool made, used instead of building one: never moved, rebuilt or written.
    package nonisolated let external: GoldenSnapshot?
    /// Why the external snapshot failed to load, once it has.
    private var externalFailure: String?

    private let logger: Logger
    private var cached: GoldenSnapshot?
    private var building: Task<GoldenSnapshot, any Error>?
    /// What the store did, for the audit log and reports.
    package private(set) var history: [StoreEvent] = []

    /// Something the store did.
    package enum StoreEvent: Sendable, Equatable {
        /// A snapshot was built (`reason` says why).
        case built(digest: String, reason: String)
        /// A snapshot on disk was verified and is used.
        case verified(digest: String)
        /// A snapshot was moved aside after a failure.
        case quarantined(digest: String, to: String, reason: String)
        /// A stale or incompatible snapshot was deleted.
        case deleted(digest: String, reason: String)
    }

    package init(
        directory: String,
        installation: FirecrackerInstallation,
        spec: VMSpec,
        maximumAge: Duration? = nil,
        launcher: [String] = [],
        audit: AuditLog? = nil,
        external: GoldenSnapshot? = nil,
        logger: Logger = Logger(label: "snapbench.store")
    ) {
        self.external = external
        self.launcher = launcher
        self.audit = audit
        self.directory = directory
        self.installation = installation
        self.spec = spec
        self.maximumAge = maximumAge
        self.logger = logger
    }

    /// The snapshot to restore from: the cached one, or one from disk that verifies, or a new build.
    ///
    /// - Throws: `FirecrackerError` when no snapshot can be built.
    package func current() async throws -> GoldenSnapshot {
        if let external {
            if let externalFailure {
                throw FirecrackerError(
                    .snapshotInvalid,
                    "the snapshot \(external.statePath) failed to load (\(externalFailure)); snapbench never changes a "
                        + "snapshot it did not make, so there is nothing to restore until it is fixed"
                )
            }
            return external
        }
        if let cached, !isStale(cached) { return cached }
        // One build at a time: concurrent callers (refills, on-demand restores) share the one in flight
        // instead of rebuilding into the same directory.
        if let building { return try await building.value }
        let task = Task { try await self.load() }
        building = task
        defer { building = nil }
        return try await task.value
    }

    private func load() async throws -> GoldenSnapshot {
        let key = try CompatibilityKey.make(spec: spec, installation: installation, host: .current())
        let snapshotDirectory = directory + "/" + String(key.digest.prefix(16))
        var reason = "no snapshot for this key"
        if let existing = try? GoldenSnapshot.open(directory: snapshotDirectory) {
            let differences = existing.manifest.compatibility.differences(from: key)
            if !differences.isEmpty {
                reason = "incompatible: \(differences.joined(separator: ", "))"
            } else if isStale(existing) {
                reason = "stale: older than \(maximumAge.map { "\($0)" } ?? "-")"
            } else {
                do {
                    try existing.verify()
                    cached = existing
                    record(.verified(digest: key.digest))
                    return existing
                } catch {
                    reason = "failed verification: \(error)"
                }
            }
            record(.deleted(digest: key.digest, reason: reason))
            try? FileManager.default.removeItem(atPath: snapshotDirectory)
        }
        logger.info("building a golden snapshot", metadata: ["snapshot.reason": "\(reason)"])
        let built = try await GoldenSnapshot.build(
            spec: spec,
            installation: installation,
            into: snapshotDirectory,
            launcher: launcher,
            logger: logger
        )
        cached = built
        record(.built(digest: key.digest, reason: reason))
        return built
    }

    /// Moves the current snapshot aside (under `quarantine/`) so the next ``current()`` builds a new one.
    ///
    /// - Parameters:
    ///   - reason: why, kept in the history.
    ///   - directory: the snapshot that failed; when it is no longer the current one (a concurrent failure
    ///     already quarantined it and a new one was built), nothing happens, so a good rebuild is never
    ///     thrown away for an old failure.
    package func quarantine(reason: String, directory failed: String? = nil) {
        if let external {
            // Never moved: it is someone else's. Later restores are refused with the reason.
            externalFailure = reason
            record(.quarantined(digest: external.manifest.compatibility.digest, to: external.statePath, reason: reason))
            return
        }
        guard let snapshot = cached, failed == nil || failed == snapshot.directory else { return }
        cached = nil
        let target =
            "\(directory)/quarantine/\(URL(fileURLWithPath: snapshot.directory).lastPathComponent)-\(Int(Date().timeIntervalSince1970))"
        do {
            try FileManager.default.createDirectory(
                atPath: directory + "/quarantine",
                withIntermediateDirectories: true
            )
            try FileManager.default.moveItem(atPath: snapshot.directory, toPath: target)
        } catch {
            try? FileManager.default.removeItem(atPath: snapshot.directory)
        }
        record(.quarantined(digest: snapshot.manifest.compatibility.digest, to: target, reason: reason))
        logger.warning("golden snapshot quarantined", metadata: ["snapshot.to": "\(target)", "reason": "\(reason)"])
    }

    private func record(_ event: StoreEvent) {
        history.append(event)
        guard let audit else { return }
        switch event {
        case .built(let digest, let reason):
            audit.record(.snapshotBuild, ["snapshot.digest": digest, "reason": reason])
        case .verified(let digest):
            audit.record(.snapshotVerify, ["snapshot.digest": digest])
        case .quarantined(let digest, let target, let reason):
            audit.record(.snapshotQuarantine, ["snapshot.digest": digest, "snapshot.to": target, "reason": reason])
        case .deleted(let digest, let reason):
            audit.record(.snapshotDelete, ["snapshot.digest": digest, "reason": reason])
        }
    }

    private func isStale(_ snapshot: GoldenSnapshot) -> Bool {
        guard let maximumAge else { return false }
        return Date().timeIntervalSince(snapshot.manifest.createdAt) > Double(maximumAge.components.seconds)
    }
}
