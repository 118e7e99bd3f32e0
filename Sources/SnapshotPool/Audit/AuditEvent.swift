/// What happened, as one word-like name in an audit record.
///
/// A struct rather than an enum so that a log written by a newer snapbench, with events this build has never
/// heard of, still decodes and verifies: the chain is about bytes, not about knowing every event.
///
/// The raw values are dotted lower-case names, the same style as the structured log metadata
/// (`"vm.id"`), so a person can grep an audit log and an application log for the same word.
///
/// ```swift
/// log.record(.vmLease, ["vm.id": "vm-7", "lease.id": "42"])
/// let custom = AuditEvent(rawValue: "harness.fault")  // any name works; known names are static members
/// ```
package struct AuditEvent: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// The name written into the `event` key of a record, e.g. `"vm.lease"`.
    package let rawValue: String

    /// An event with any name; prefer the static members for the pool's own events.
    package init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Encodes as a bare string, so records read `"event":"vm.lease"` rather than a nested object.
    package init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    /// Writes the bare name, e.g. `"vm.lease"`.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The name, e.g. `vm.lease`, as printed by `snapbench audit verify`.
    package var description: String { rawValue }

    /// Orders by name, so per-event counts print in a stable order.
    package static func < (lhs: AuditEvent, rhs: AuditEvent) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    // MARK: - Snapshots

    /// A golden snapshot was built.
    package static let snapshotBuild = AuditEvent(rawValue: "snapshot.build")
    /// A golden snapshot's files were checked against its manifest.
    package static let snapshotVerify = AuditEvent(rawValue: "snapshot.verify")
    /// A snapshot was taken out of service because it failed a check or its clones failed.
    package static let snapshotQuarantine = AuditEvent(rawValue: "snapshot.quarantine")
    /// A snapshot's files were deleted.
    package static let snapshotDelete = AuditEvent(rawValue: "snapshot.delete")

    // MARK: - VMs

    /// A VM was restored from a snapshot.
    package static let vmRestore = AuditEvent(rawValue: "vm.restore")
    /// A VM was handed to a caller.
    package static let vmLease = AuditEvent(rawValue: "vm.lease")
    /// A caller gave a VM back.
    package static let vmRelease = AuditEvent(rawValue: "vm.release")
    /// A VM's process was stopped and its files removed.
    package static let vmDestroy = AuditEvent(rawValue: "vm.destroy")
    /// A VM's process exited without being asked to.
    package static let vmCrash = AuditEvent(rawValue: "vm.crash")
    /// An acquire took a second VM because its first had not proved readiness after the hedge delay.
    package static let vmHedge = AuditEvent(rawValue: "vm.hedge")
    /// A hedged acquire's race ended: which VM was leased, which is destroyed.
    package static let vmHedgeDecided = AuditEvent(rawValue: "vm.hedge.decided")

    // MARK: - Memory pressure

    /// Warm VMs were destroyed to relieve memory pressure.
    package static let pressureShed = AuditEvent(rawValue: "pressure.shed")
    /// The memory-pressure level changed.
    package static let pressureLevel = AuditEvent(rawValue: "pressure.level")

    // MARK: - Pool lifecycle

    /// The pool's configuration was set or changed.
    package static let configuration = AuditEvent(rawValue: "configuration")
    /// The pool started.
    package static let poolStart = AuditEvent(rawValue: "pool.start")
    /// The pool shut down.
    package static let poolShutdown = AuditEvent(rawValue: "pool.shutdown")
    /// A VMM left behind by an earlier run (one that was killed) was found and stopped at start-up.
    package static let orphanReclaimed = AuditEvent(rawValue: "orphan.reclaimed")
}
