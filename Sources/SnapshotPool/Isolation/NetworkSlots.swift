import Firecracker
import Foundation
import Glibc
import HostSystem
package import Logging

// MARK: - Slot

/// One network namespace a VMM can run in, holding TAP devices with the names a snapshot was taken with.
///
/// A snapshot's network interfaces name their host TAP device, and every clone of it asks for that same
/// name on restore. Two clones on one host can only both have `tap0` if each sees its own: a network
/// namespace per clone. Run the clone's Firecracker under ``launcher`` (`ip netns exec NAME`, which execs,
/// so the pid stays Firecracker's):
///
/// ```swift
/// let slot = try await pool.acquire()
/// let clone = try await ClonedVM.restore(
///     from: snapshot, installation: installation, workingDirectory: directory, id: "c1",
///     options: ClonedVM.RestoreOptions(launcher: slot.launcher)
/// )
/// // … later, once the clone is destroyed:
/// try await pool.release(slot)
/// ```
package struct NetworkSlot: Sendable, Hashable, CustomStringConvertible {
    /// The slot's position in its pool, from 0.
    package let index: Int
    /// The network namespace's name, `<prefix>-<index>` (e.g. `snb-1234-0`).
    package let namespace: String
    /// The TAP devices in the namespace, all up; the first is ``tapName``.
    package let tapNames: [String]
    /// The command prefix that runs a program inside the namespace, for ``Firecracker/VMMConfiguration/launcher``:
    /// `[ip, "netns", "exec", namespace]`.
    package let launcher: [String]

    /// The first (usually the only) TAP device's name.
    package var tapName: String { tapNames[0] }

    package var description: String { "\(namespace)[\(tapNames.joined(separator: ","))]" }

    init(index: Int, namespace: String, tapNames: [String], ipPath: String) {
        self.index = index
        self.namespace = namespace
        self.tapNames = tapNames
        self.launcher = [ipPath, "netns", "exec", namespace]
    }
}

// MARK: - Pool

/// A fixed set of network namespaces, each holding the same TAP names, leased out one VMM at a time.
///
/// The namespaces are created up front by ``init(prefix:count:tapNames:ipPath:logger:)`` (namespace set-up
/// costs a few `ip` processes, too slow for a restore's critical path), handed out by ``acquire()``, made
/// clean again by ``release(_:)`` (no process may be left in a namespace when it is reused, or two VMMs would
/// contend for one TAP) and removed with everything in them by ``destroy()``, which must end every pool;
/// ``withNetworkSlotPool(prefix:count:tapNames:ipPath:logger:body:)`` does that on every path.
///
/// The TAP devices are made persistent and up before any VMM runs. Firecracker running as root would create
/// a missing TAP itself (TUNSETIFF does), but down, unconfigured and gone with the VMM (verified with v1.12.1);
/// a second clone in the same namespace then fails its load with "Resource busy". Pre-created devices stay
/// under the pool's control and can be wired up (addresses, bridges) once, not per restore.
///
/// Names encode the owner's pid (`snb-<pid>-<index>`), so a later run can tell a dead owner's namespaces
/// from a live one's and delete them with ``reclaimOrphans(kind:ipPath:logger:)``: a killed harness leaves
/// its namespaces behind, since nothing in the kernel ties them to its life. Needs root (CAP_SYS_ADMIN and
/// CAP_NET_ADMIN) and iproute2.
///
/// ```swift
/// let pool = try await NetworkSlotPool(prefix: NetworkSlotPool.ownedPrefix(), count: 8, tapNames: ["tap0"])
/// let slot = try await pool.acquire()          // e.g. snb-1234-0 holding tap0
/// // run a VMM with `slot.launcher`, destroy it, then:
/// try await pool.release(slot)
/// try await pool.destroy()
/// ```
package actor NetworkSlotPool {
    /// The `ip` binary used when none is given: the first of `/usr/sbin/ip`, `/sbin/ip`, `/usr/bin/ip`,
    /// `/bin/ip` that is executable.
    package static let defaultIPPath = IPRoute.defaultPath

    /// The ``OwnerTag`` kind of this package's namespace names: `snb-<pid>-…`.
    package static let defaultKind = "snb"

    /// The prefix every namespace name of this pool starts with (the names are `<prefix>-<index>`).
    package nonisolated let prefix: String
    /// Every slot of the pool, leased or not.
    package nonisolated let slots: [NetworkSlot]

    private enum State {
        /// Slots ready to lease (the longest idle first) and the leased ones by index.
        case active(free: [NetworkSlot], leased: [Int: NetworkSlot])
        case destroyed
    }

    private var state: State
    private let ip: IPRoute
    private let logger: Logger

    /// A prefix that carries this process's ``OwnerTag``: `<kind>-<pid>`, or `<kind>-<pid>-<tag>` to keep
    /// several pools of one process apart.
    ///
    /// ```swift
    /// NetworkSlotPool.ownedPrefix()             // "snb-1234"
    /// NetworkSlotPool.ownedPrefix(tag: "gold")  // "snb-1234-gold"
    /// ```
    package static func ownedPrefix(kind: String = defaultKind, tag: String? = nil) -> String {
        let owner = OwnerTag(kind: kind)
        return tag.map(owner.name) ?? owner.description
    }

    /// Where `ip netns` keeps the named namespace `name`: a handle whose inode is the namespace's.
    package static func namespacePath(_ name: String) -> String { "/var/run/netns/" + name }

    /// Creates `count` network namespaces named `<prefix>-0` … `<prefix>-<count-1>`, each holding one TAP
    /// device per name in `tapNames`, brought up.
    ///
    /// - Parameters:
    ///   - prefix: the start of every namespace name; one of its `-`-separated parts must be this process's
    ///     pid so orphans can be recognised (``ownedPrefix(kind:tag:)`` makes one). Letters, digits, `.`,
    ///     `_` and `-` only.
    ///   - count: how many namespaces (at least 1).
    ///   - tapNames: the TAP devices each namespace holds: the snapshot's `hostDevName`s, or the names
    ///     clones will be given by `networkOverrides`. At least one; each a valid interface name (1–15
    ///     bytes, no `/`, `:` or whitespace).
    ///   - ipPath: the iproute2 `ip` binary.
    ///   - logger: progress at info level.
    /// - Throws: ``NetworkSlotError`` with `.invalidConfiguration`, or `.commandFailed` (e.g. a namespace of
    ///   that name already exists); the namespaces created before the failure are deleted again.
    package init(
        prefix: String,
        count: Int,
        tapNames: [String],
        ipPath: String = NetworkSlotPool.defaultIPPath,
        logger: Logger = Logger(label: "snapbench.pool.network")
    ) async throws {
        try Self.validate(prefix: prefix, count: count, tapNames: tapNames)
        let ip = IPRoute(path: ipPath)
        var slots: [NetworkSlot] = []
        do {
            for index in 0..<count {
                let slot = NetworkSlot(
                    index: index,
                    namespace: "\(prefix)-\(index)",
                    tapNames: tapNames,
                    ipPath: ipPath
                )
                try await ip.run(["netns", "add", slot.namespace])
                // Appended once the name is ours: a rollback must never delete a namespace it did not add.
                slots.append(slot)
                for tap in tapNames {
                    try await ip.run(["-n", slot.namespace, "tuntap", "add", "dev", tap, "mode", "tap"])
                    try await ip.run(["-n", slot.namespace, "link", "set", "dev", tap, "up"])
                }
            }
        } catch {
            for slot in slots { try? await ip.deleteNamespace(slot.namespace) }
            throw error
        }
        self.prefix = prefix
        self.slots = slots
        self.ip = ip
        self.logger = logger
        self.state = .active(free: slots, leased: [:])
        logger.info(
            "network slots ready",
            metadata: ["netns.prefix": "\(prefix)", "netns.count": "\(count)", "netns.taps": "\(tapNames)"]
        )
    }

    /// How many slots can be acquired now.
    package var availableCount: Int {
        guard case .active(let free, _) = state else { return 0 }
        return free.count
    }

    /// Leases a slot: its namespace holds no process, and its TAP devices are free.
    ///
    /// - Returns: the slot idle the longest.
    /// - Throws: ``NetworkSlotError`` `.exhausted` when every slot is leased, `.destroyed` after ``destroy()``.
    package func acquire() throws -> NetworkSlot {
        guard case .active(var free, var leased) = state else {
            throw NetworkSlotError(.destroyed, "the network slot pool \(prefix) has been destroyed")
        }
        guard !free.isEmpty else {
            throw NetworkSlotError(.exhausted, "all \(slots.count) network slots of \(prefix) are leased")
        }
        let slot = free.removeFirst()
        leased[slot.index] = slot
        state = .active(free: free, leased: leased)
        return slot
    }

    /// Returns a leased slot to the pool, once nothing runs in its namespace any more.
    ///
    /// Call it after the VMM that ran in the slot is destroyed. Any process still in the namespace (a VMM
    /// that was not stopped, or a straggler it started) is killed first, so the next lease never finds its
    /// TAP device taken. After ``destroy()`` this does nothing: the slot is already gone.
    ///
    /// - Throws: ``NetworkSlotError`` `.notLeased` for a slot this pool did not hand out (or got back
    ///   already), `.processesRemain` or `.commandFailed` when the namespace cannot be emptied; then the slot
    ///   is not reused, and ``destroy()`` still removes it.
    package func release(_ slot: NetworkSlot) async throws {
        guard case .active(_, let leased) = state else { return }
        guard leased[slot.index] == slot else {
            throw NetworkSlotError(.notLeased, "the network slot \(slot) is not leased from \(prefix)")
        }
        let killed: [Int32]
        do {
            killed = try await ip.killProcesses(in: slot.namespace)
        } catch {
            // The pool may have been destroyed during the await, deleting the namespace under the command.
            guard case .active(let free, var leased) = state else { return }
            leased[slot.index] = nil
            state = .active(free: free, leased: leased)
            logger.warning(
                "network slot retired: its namespace cannot be emptied",
                metadata: ["netns.name": "\(slot.namespace)", "error": "\(error)"]
            )
            throw error
        }
        if !killed.isEmpty {
            logger.info(
                "killed processes left in a released network slot",
                metadata: ["netns.name": "\(slot.namespace)", "netns.pids": "\(killed)"]
            )
        }
        // Re-checked after the await: a destroy() in between has already deleted the namespace.
        guard case .active(var free, var leased) = state, leased[slot.index] == slot else { return }
        leased[slot.index] = nil
        free.append(slot)
        state = .active(free: free, leased: leased)
    }

    /// Deletes every namespace of the pool, leased or not, with everything in it: processes still inside
    /// are killed first, and the TAP devices go with their namespace. Safe to call more than once.
    ///
    /// - Throws: the first ``NetworkSlotError`` met; every namespace is still attempted.
    package func destroy() async throws {
        guard case .active = state else { return }
        // Marked first, so an acquire or release interleaved with the awaits below sees a destroyed pool.
        state = .destroyed
        var firstError: (any Error)?
        for slot in slots {
            do {
                try await ip.deleteNamespace(slot.namespace)
            } catch {
                firstError = firstError ?? error
                logger.warning(
                    "cannot delete a network namespace",
                    metadata: ["netns.name": "\(slot.namespace)", "error": "\(error)"]
                )
            }
        }
        logger.info("network slots deleted", metadata: ["netns.prefix": "\(prefix)"])
        if let firstError { throw firstError }
    }

    // MARK: - Orphans

    /// Deletes the namespaces whose ``OwnerTag`` (`<kind>-<pid>-…`) names an owner that has ended, with
    /// everything in them.
    ///
    /// Call it at start-up, before creating pools: a harness that was killed could not destroy its own.
    /// Names that carry no tag of `kind` are never touched. A pid recycled by an unrelated process keeps its
    /// orphans until that process ends.
    ///
    /// ```swift
    /// let reclaimed = try await NetworkSlotPool.reclaimOrphans()  // e.g. ["snb-977-0", "snb-977-1"]
    /// ```
    ///
    /// - Parameters:
    ///   - kind: the tag kind of the names (`snb`).
    ///   - ipPath: the iproute2 `ip` binary.
    ///   - logger: each deletion at info level.
    /// - Returns: the namespaces deleted.
    /// - Throws: the first ``NetworkSlotError`` met; every orphan is still attempted.
    @discardableResult
    package static func reclaimOrphans(
        kind: String = defaultKind,
        ipPath: String = NetworkSlotPool.defaultIPPath,
        logger: Logger = Logger(label: "snapbench.pool.network")
    ) async throws -> [String] {
        let sweep = await OrphanSweep.run(Namespaces(kind: kind, ip: IPRoute(path: ipPath)))
        for (name, owner) in sweep.reclaimed {
            logger.info(
                "deleted an orphaned network namespace",
                metadata: ["netns.name": "\(name)", "netns.owner_pid": "\(owner.pid)"]
            )
        }
        if let error = sweep.firstError { throw error }
        return sweep.reclaimed.map(\.name)
    }

    /// The network namespaces as ``TaggedResources``.
    private struct Namespaces: TaggedResources {
        let kind: String
        let ip: IPRoute
        var noun: String { "network namespace" }
        func names() async throws -> [String] { try await ip.namespaces() }
        func remove(_ name: String) async throws { try await ip.deleteNamespace(name) }
    }

    // MARK: - Validation

    static func validate(prefix: String, count: Int, tapNames: [String]) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !prefix.isEmpty, prefix.count <= 200, prefix.allSatisfy(allowed.contains), prefix.first != "-" else {
            throw NetworkSlotError(
                .invalidConfiguration,
                "the namespace prefix \"\(prefix)\" must be 1–200 letters, digits, '.', '_' or '-'"
            )
        }
        guard prefix.split(separator: "-").contains(Substring(String(getpid()))) else {
            throw NetworkSlotError(
                .invalidConfiguration,
                "the namespace prefix \"\(prefix)\" must contain this process's pid \(getpid()) as a '-'-separated "
                    + "part (e.g. \(ownedPrefix())), so that its namespaces can be reclaimed if it dies"
            )
        }
        guard count >= 1 else {
            throw NetworkSlotError(.invalidConfiguration, "a network slot pool needs at least 1 slot, not \(count)")
        }
        guard !tapNames.isEmpty, Set(tapNames).count == tapNames.count else {
            throw NetworkSlotError(
                .invalidConfiguration,
                "the TAP names \(tapNames) must be at least one, without duplicates"
            )
        }
        // The kernel's dev_valid_name(): shorter than IFNAMSIZ (16), not "." or "..", no '/', ':' or space.
        for name in tapNames
        where name.isEmpty || name.utf8.count > 15 || name == "." || name == ".."
            || name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace })
        {
            throw NetworkSlotError(
                .invalidConfiguration,
                "\"\(name)\" is not a valid interface name (1–15 bytes, no '/', ':' or whitespace)"
            )
        }
    }
}

// MARK: - Scoped use

/// Runs `body` with a fresh ``NetworkSlotPool`` and destroys the pool afterwards, whether `body` returns or
/// throws.
///
/// ```swift
/// let prefix = NetworkSlotPool.ownedPrefix()
/// let proof = try await withNetworkSlotPool(prefix: prefix, count: 2, tapNames: ["tap0"]) { pool in
///     let slot = try await pool.acquire()
///     let clone = try await ClonedVM.restore(
///         from: snapshot, installation: installation, workingDirectory: directory, id: "c1", launcher: slot.launcher
///     )
///     defer { Task { await clone.destroy() } }
///     return try await clone.resume(deadline: .now + .seconds(1))
/// }
/// ```
///
/// - Throws: what the pool's creation or `body` throws; a failure of the final ``NetworkSlotPool/destroy()``
///   is thrown only when `body` succeeded.
package func withNetworkSlotPool<Result: Sendable>(
    prefix: String,
    count: Int,
    tapNames: [String],
    ipPath: String = NetworkSlotPool.defaultIPPath,
    logger: Logger = Logger(label: "snapbench.pool.network"),
    body: (NetworkSlotPool) async throws -> Result
) async throws -> Result {
    let pool = try await NetworkSlotPool(
        prefix: prefix,
        count: count,
        tapNames: tapNames,
        ipPath: ipPath,
        logger: logger
    )
    let result: Result
    do {
        result = try await body(pool)
    } catch {
        try? await pool.destroy()
        throw error
    }
    try await pool.destroy()
    return result
}
