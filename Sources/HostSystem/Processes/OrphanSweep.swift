/// One kind of resource whose names carry an ``OwnerTag``: how to list the names present and how to remove
/// one. ``OrphanSweep`` does the rest, the same way for every kind.
///
/// ```swift
/// struct Mounts: TaggedResources {
///     let kind = "fs"
///     func names() -> [String] { mountedTmpfs(below: directory) }
///     func remove(_ name: String) throws { try unmount(name) }
/// }
/// ```
package protocol TaggedResources: Sendable {
    /// The tag kind the resources' names start with (`pool`, `snb`, `snapbench`, `fs`).
    var kind: String { get }
    /// What to call one, in logs (`network namespace`).
    var noun: String { get }
    /// The names present now (whatever their owner); names that carry no tag are skipped by the sweep.
    func names() async throws -> [String]
    /// Removes one whose owner has ended, with everything in it.
    func remove(_ name: String) async throws
}

/// Reclaims what killed runs left: every resource of a ``TaggedResources`` kind whose ``OwnerTag`` names an
/// owner that has ended.
///
/// ```swift
/// let sweep = await OrphanSweep.run(NetworkNamespaces(ip: ip))
/// for name in sweep.reclaimed { logger.notice("deleted \(name)") }
/// ```
package struct OrphanSweep: Sendable {
    /// One orphan that could not be removed.
    package struct Failure: Sendable {
        package var name: String
        package var error: any Error
    }

    /// The orphans removed, by name, with their tags.
    package var reclaimed: [(name: String, owner: OwnerTag)] = []
    /// The orphans whose removal failed; every orphan is attempted.
    package var failures: [Failure] = []
    /// Set when the names could not be listed at all.
    package var listingError: (any Error)?

    /// Lists `resources`, and removes each whose owner has ended.
    package static func run(_ resources: some TaggedResources) async -> OrphanSweep {
        var sweep = OrphanSweep()
        let names: [String]
        do {
            names = try await resources.names()
        } catch {
            sweep.listingError = error
            return sweep
        }
        for name in names.sorted() {
            guard let owner = OwnerTag(parsing: name, kind: resources.kind), owner.isOrphaned else { continue }
            do {
                try await resources.remove(name)
                sweep.reclaimed.append((name, owner))
            } catch {
                sweep.failures.append(Failure(name: name, error: error))
            }
        }
        return sweep
    }

    /// The first error met, listing or removing.
    package var firstError: (any Error)? { listingError ?? failures.first?.error }
}
