import Firecracker
import Foundation
import Glibc
import HostSystem
package import Logging
import SystemPackage

/// A memory cgroup that holds the pool's VMM processes, so their memory is counted together and capped.
///
/// The pool puts every Firecracker process it starts into one cgroup: its usage is then one number to
/// report and to classify (``pressureSource``), and a hard limit keeps a runaway scenario from pushing the
/// host into swap or the global OOM killer — the kernel reclaims and, failing that, OOM-kills inside the
/// cgroup only.
///
/// Creation prefers cgroup v2 when a cgroup2 hierarchy is writable and has the memory controller enabled for
/// its children (`memory` in the parent's `cgroup.subtree_control`); otherwise it uses the v1 memory
/// hierarchy. The name is `<prefix>-<pid>-<random>`, so a later run can tell a leftover from a crashed run
/// (owner pid gone) from a live one (see ``reclaimOrphans(prefix:placement:logger:)``).
///
/// Prefer the scoped form, which always removes the cgroup:
///
/// ```swift
/// try await MemoryCgroup.withCgroup(limitBytes: 2 << 30) { cgroup in
///     let vmm = try await VMMProcess.launch(configuration)
///     try cgroup.add(pid: vmm.pid)
///     print(try cgroup.usage())
/// }
/// ```
///
/// A long-lived owner (the pool) may instead call ``create(prefix:placement:logger:)`` at start and
/// ``destroy(killingProcesses:timeout:)`` at shutdown.
package struct MemoryCgroup: Sendable, CustomStringConvertible {
    /// The first part of this package's cgroup names, `snapbench-<pid>-<random>` (their owner tag's kind).
    package static let defaultPrefix = "snapbench"

    /// Where new cgroups may be created: one parent directory per hierarchy.
    ///
    /// ```swift
    /// let placement = MemoryCgroup.Placement.discover()  // from /proc/self/mounts
    /// let custom = MemoryCgroup.Placement(v2Parent: "/sys/fs/cgroup/snapbench.slice", v1Parent: nil)
    /// ```
    package struct Placement: Sendable, Equatable {
        /// A cgroup2 directory to create children in, `nil` to never use v2.
        package var v2Parent: String?
        /// A v1 memory-hierarchy directory to create children in, `nil` to never use v1.
        package var v1Parent: String?

        /// Creates a placement from explicit parents.
        package init(v2Parent: String?, v1Parent: String?) {
            self.v2Parent = v2Parent
            self.v1Parent = v1Parent
        }

        /// The mount points of the cgroup2 hierarchy and of the v1 hierarchy carrying the memory controller
        /// (``CgroupMounts``).
        ///
        /// - Parameter mounts: the text of `/proc/self/mounts`; read from the system when `nil`.
        /// - Returns: the roots of both hierarchies, each `nil` when not mounted.
        package static func discover(mounts: String? = nil) -> Placement {
            let found = mounts.map(CgroupMounts.parse) ?? CgroupMounts.current()
            return Placement(v2Parent: found.v2, v1Parent: found.v1Memory)
        }
    }

    /// Counters of how often the limit bit: the evidence that a limit, not the host, constrained a run.
    ///
    /// ```swift
    /// let events = try cgroup.events()
    /// print("limit hit \(events.limitHits ?? 0) times, \(events.oomKills ?? 0) OOM kill(s)")
    /// ```
    package struct Events: Sendable, Equatable, Codable {
        /// How many times usage hit the limit: v1 `memory.failcnt`, v2 `max` in `memory.events`.
        package var limitHits: UInt64?
        /// How many processes the cgroup's OOM killer killed: `oom_kill` in v1 `memory.oom_control` or v2
        /// `memory.events`.
        package var oomKills: UInt64?

        /// Creates a set of counters.
        package init(limitHits: UInt64? = nil, oomKills: UInt64? = nil) {
            self.limitHits = limitHits
            self.oomKills = oomKills
        }
    }

    /// The cgroup's directory and interface.
    package let location: CgroupLocation
    private let logger: Logger

    /// The interface this cgroup speaks.
    package var version: CgroupVersion { location.version }
    /// The absolute path of the cgroup directory.
    package var path: String { location.path }
    /// The directory name, `<prefix>-<pid>-<random>`.
    package var name: String { String(path.split(separator: "/").last ?? "") }
    /// The parent cgroup directory, where ``destroy(killingProcesses:timeout:)`` moves leftover processes.
    package var parentPath: String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    package var description: String { "memory cgroup \(version) \(path)" }

    /// A source that reads this cgroup's usage, limit and (v2) pressure together with the host's signals.
    package var pressureSource: SystemPressureSource { SystemPressureSource(cgroup: location) }

    /// Wraps an existing cgroup directory without creating anything.
    ///
    /// ```swift
    /// let existing = MemoryCgroup(location: CgroupLocation(version: .v1, path: "/sys/fs/cgroup/memory/pool"))
    /// print(try existing.usage())
    /// ```
    ///
    /// - Parameters:
    ///   - location: the directory and its interface.
    ///   - logger: receives creation and removal at `debug`.
    package init(
        location: CgroupLocation,
        logger: Logger = Logger(label: "snapbench.cgroup", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.location = location
        self.logger = logger
    }

    // MARK: - Creating and removing

    /// The parent a new cgroup would be created in, and its version, or `nil` when neither hierarchy can
    /// take one.
    ///
    /// ```swift
    /// guard let parent = MemoryCgroup.usableParent() else { print("no memory cgroup available") }
    /// ```
    ///
    /// - Parameter placement: the candidate parents.
    /// - Returns: the v2 parent when it is writable and delegates the memory controller, else the v1 parent
    ///   when it is a writable memory hierarchy, else `nil`.
    package static func usableParent(placement: Placement = .discover()) -> CgroupLocation? {
        if let parent = placement.v2Parent, access(parent, W_OK) == 0,
            let controllers = SystemFile.readIfPresent(parent + "/cgroup.subtree_control"),
            controllers.split(whereSeparator: { $0 == " " || $0.isNewline }).contains("memory")
        {
            return CgroupLocation(version: .v2, path: parent)
        }
        if let parent = placement.v1Parent, access(parent, W_OK) == 0,
            access(parent + "/memory.limit_in_bytes", F_OK) == 0
        {
            return CgroupLocation(version: .v1, path: parent)
        }
        return nil
    }

    /// Creates a new, empty memory cgroup with no limit.
    ///
    /// ```swift
    /// let cgroup = try MemoryCgroup.create()
    /// defer { try? cgroup.destroy(killingProcesses: true) }
    /// try cgroup.setLimit(bytes: 4 << 30)
    /// ```
    ///
    /// - Parameters:
    ///   - prefix: the first part of the name; ``reclaimOrphans(prefix:placement:logger:)`` looks for it (the ``OwnerTag`` kind).
    ///   - placement: where it may go; see ``usableParent(placement:)`` for the choice.
    ///   - logger: receives creation and removal at `debug`.
    /// - Returns: the new cgroup.
    /// - Throws: ``MemoryCgroupError`` `.noController` when no hierarchy can take it, `.create` when
    ///   `mkdir` fails.
    package static func create(
        prefix: String = defaultPrefix,
        placement: Placement = .discover(),
        logger: Logger = Logger(label: "snapbench.cgroup", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(MemoryCgroupError) -> MemoryCgroup {
        guard let parent = usableParent(placement: placement) else {
            let candidates = [placement.v2Parent, placement.v1Parent].compactMap { $0 }.joined(separator: ", ")
            throw MemoryCgroupError(
                .noController,
                path: candidates.isEmpty ? "/proc/self/mounts" : candidates,
                "no writable cgroup2 hierarchy with the memory controller delegated and no writable v1 memory hierarchy"
            )
        }
        // The random part keeps two pools of one process (tests) apart; a clash is retried, not reused,
        // because a cgroup that already exists might hold someone else's processes.
        var attempts = 0
        while true {
            attempts += 1
            let suffix = String(UInt32.random(in: .min ... .max), radix: 16)
            let path = parent.path + "/" + OwnerTag(kind: prefix).name(suffix)
            if mkdir(path, 0o755) == 0 {
                let cgroup = MemoryCgroup(location: CgroupLocation(version: parent.version, path: path), logger: logger)
                logger.debug(
                    "created memory cgroup",
                    metadata: ["cgroup.path": "\(path)", "cgroup.version": "\(parent.version)"]
                )
                return cgroup
            }
            let code = errno
            guard code == EEXIST, attempts < 5 else {
                throw MemoryCgroupError(.create, path: path, "cannot create the cgroup directory", errno: code)
            }
        }
    }

    /// Creates a cgroup for the duration of `body`, then removes it, killing any process still in it.
    ///
    /// ```swift
    /// let usage = try await MemoryCgroup.withCgroup(limitBytes: 512 << 20) { cgroup in
    ///     try cgroup.add(pid: vmm.pid)
    ///     return try cgroup.usage()
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - prefix: the first part of the name.
    ///   - placement: where it may go.
    ///   - limitBytes: a hard limit to set before `body` runs, `nil` for none.
    ///   - killingProcessesOnExit: whether processes left at the end are killed (the default: they are the
    ///     scope's own) or moved to the parent cgroup.
    ///   - logger: receives creation and removal at `debug`.
    ///   - body: what to do with the cgroup.
    /// - Returns: what `body` returned.
    /// - Throws: ``MemoryCgroupError`` from creating, limiting or removing the cgroup, or what `body` threw
    ///   (the cgroup is still removed; a removal error is then dropped in favour of `body`'s).
    package static func withCgroup<Value>(
        prefix: String = defaultPrefix,
        placement: Placement = .discover(),
        limitBytes: UInt64? = nil,
        killingProcessesOnExit: Bool = true,
        logger: Logger = Logger(label: "snapbench.cgroup", factory: { _ in SwiftLogNoOpLogHandler() }),
        isolation: isolated (any Actor)? = #isolation,
        body: (MemoryCgroup) async throws -> Value
    ) async throws -> Value {
        let cgroup = try create(prefix: prefix, placement: placement, logger: logger)
        let result: Value
        do {
            if let limitBytes { try cgroup.setLimit(bytes: limitBytes) }
            result = try await body(cgroup)
        } catch {
            try? cgroup.destroy(killingProcesses: killingProcessesOnExit)
            throw error
        }
        try cgroup.destroy(killingProcesses: killingProcessesOnExit)
        return result
    }

    /// Empties the cgroup and removes its directory. Succeeds at once if the directory is already gone.
    ///
    /// Processes still inside are moved to the parent cgroup, or sent `SIGKILL` when `killingProcesses` is
    /// set (through `cgroup.kill` on v2, which also catches processes forked meanwhile). Moving can fail on
    /// v2 when the parent delegates controllers and is not the root ("no internal processes"); kill then.
    /// The call blocks, polling every few milliseconds, until the kernel lets the directory go — typically at
    /// once, or after the killed processes have exited — so it can run from a `defer`.
    ///
    /// ```swift
    /// try cgroup.destroy(killingProcesses: true)
    /// ```
    ///
    /// - Parameters:
    ///   - killingProcesses: kill leftover processes instead of moving them out.
    ///   - timeout: how long to wait for processes to leave and the directory to be removable.
    /// - Throws: ``MemoryCgroupError`` `.processesRemain` when processes are still inside at the timeout,
    ///   `.remove` when `rmdir` fails for another reason, `.write` when a process cannot be moved.
    package func destroy(killingProcesses: Bool = false, timeout: Duration = .seconds(5)) throws(MemoryCgroupError) {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var signalled = false
        while true {
            guard access(path, F_OK) == 0 else { return }
            let pids: [Int32]
            do throws(MemoryCgroupError) {
                pids = try processes()
            } catch {
                if access(path, F_OK) != 0 { return }  // removed concurrently
                throw error
            }
            if pids.isEmpty {
                if rmdir(path) == 0 || errno == ENOENT {
                    logger.debug("removed memory cgroup", metadata: ["cgroup.path": "\(path)"])
                    return
                }
                let code = errno
                // EBUSY: a process that just exited is still being released; anything else will not improve.
                guard code == EBUSY, clock.now < deadline else {
                    throw MemoryCgroupError(.remove, path: path, "cannot remove the cgroup directory", errno: code)
                }
            } else if clock.now >= deadline {
                let listed = pids.prefix(8).map(String.init).joined(separator: " ")
                throw MemoryCgroupError(
                    .processesRemain,
                    path: path,
                    "\(pids.count) process(es) still inside after \(timeout): \(listed)"
                )
            } else if killingProcesses {
                if version == .v2, access(path + "/cgroup.kill", F_OK) == 0 {
                    // Once is enough: the kernel kills the whole cgroup, children forked meanwhile included.
                    if !signalled { try Self.writeControl("1", to: path + "/cgroup.kill") }
                    signalled = true
                } else {
                    // Every poll: a process forked since the last one shows up in the next listing, and a second
                    // SIGKILL to a process that is already dying is harmless.
                    for pid in pids { kill(pid, SIGKILL) }
                }
            } else {
                for pid in pids {
                    do throws(MemoryCgroupError) {
                        try Self.writeControl("\(pid)", to: parentPath + "/cgroup.procs")
                    } catch {
                        guard error.errno == ESRCH else { throw error }  // ESRCH: exited meanwhile
                    }
                }
            }
            var pause = timespec(tv_sec: 0, tv_nsec: 2_000_000)
            nanosleep(&pause, nil)
        }
    }

    /// Removes empty cgroups whose ``OwnerTag`` (`<prefix>-<pid>-…`) names an owner that has ended: what a
    /// run that crashed or was killed left behind (nothing else removes them, and they pin kernel memory).
    ///
    /// A cgroup whose owner is alive, that still holds processes, or whose name carries no tag is left
    /// alone, so this is safe to call while other runs are active.
    ///
    /// ```swift
    /// let removed = await MemoryCgroup.reclaimOrphans()
    /// if !removed.isEmpty { print("removed \(removed.count) leftover cgroup(s)") }
    /// ```
    ///
    /// - Parameters:
    ///   - prefix: the prefix the cgroups were created with (their tag kind).
    ///   - placement: the parents to scan (both hierarchies).
    ///   - logger: receives each removal at `info`.
    /// - Returns: the paths removed.
    @discardableResult
    package static func reclaimOrphans(
        prefix: String = defaultPrefix,
        placement: Placement = .discover(),
        logger: Logger = Logger(label: "snapbench.cgroup", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async -> [String] {
        var removed: [String] = []
        for parent in Set([placement.v2Parent, placement.v1Parent].compactMap { $0 }).sorted() {
            let sweep = await OrphanSweep.run(Cgroups(kind: prefix, parent: parent))
            for (name, owner) in sweep.reclaimed {
                logger.info(
                    "removed orphaned memory cgroup",
                    metadata: ["cgroup.path": "\(parent)/\(name)", "cgroup.owner_pid": "\(owner.pid)"]
                )
                removed.append(parent + "/" + name)
            }
        }
        return removed
    }

    /// The cgroups below one parent as ``TaggedResources``: only empty ones are removed.
    private struct Cgroups: TaggedResources {
        struct StillInUse: Error {}
        /// How long a jailed VM's cgroup is given to empty after its VMM was killed: 40 × 25 ms.
        static let emptyingPolls = 40
        static let emptyingPollMicroseconds: UInt32 = 25_000
        let kind: String
        let parent: String
        var noun: String { "memory cgroup" }

        func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: parent) }

        func remove(_ name: String) throws {
            let path = parent + "/" + name
            // A jailed VM's cgroup (the jailer makes one per VM below the run's): empty once its VMM is gone. The
            // sweep of orphaned VMMs has just sent them SIGKILL; a killed VMM leaves its cgroup a moment later.
            for child in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                var status = stat()
                guard stat(path + "/" + child, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { continue }
                for _ in 0..<Self.emptyingPolls {
                    if rmdir(path + "/" + child) == 0 || errno != EBUSY { break }
                    usleep(Self.emptyingPollMicroseconds)
                }
            }
            guard let procs = SystemFile.readIfPresent(path + "/cgroup.procs"), procs.allSatisfy(\.isWhitespace),
                rmdir(path) == 0
            else { throw StillInUse() }
        }
    }

    // MARK: - Control

    /// Sets the hard limit, or removes it with `nil`.
    ///
    /// At the limit the kernel reclaims the cgroup's page cache and then OOM-kills inside the cgroup. On v1 a
    /// limit below current usage is refused when reclaim cannot get under it (`EBUSY`).
    ///
    /// ```swift
    /// try cgroup.setLimit(bytes: 64 << 20)
    /// ```
    ///
    /// - Parameter bytes: the limit (the kernel rounds it down to whole pages), `nil` for none.
    /// - Throws: ``MemoryCgroupError`` `.write` naming the control file.
    package func setLimit(bytes: UInt64?) throws(MemoryCgroupError) {
        switch version {
        case .v1: try Self.writeControl(bytes.map { "\($0)" } ?? "-1", to: path + "/memory.limit_in_bytes")
        case .v2: try Self.writeControl(bytes.map { "\($0)" } ?? "max", to: path + "/memory.max")
        }
    }

    /// Moves a process (all its threads) into the cgroup; its children inherit the cgroup from then on.
    ///
    /// ```swift
    /// try cgroup.add(pid: vmm.pid)
    /// ```
    ///
    /// - Parameter pid: the process.
    /// - Throws: ``MemoryCgroupError`` `.write` (errno `ESRCH` when the process is gone).
    package func add(pid: Int32) throws(MemoryCgroupError) {
        try Self.writeControl("\(pid)", to: path + "/cgroup.procs")
    }

    /// The pids of the processes in the cgroup.
    ///
    /// ```swift
    /// let strays = try cgroup.processes().filter { !leasedVMMs.contains($0) }
    /// ```
    ///
    /// - Throws: ``MemoryCgroupError`` `.read`, or `.invalidContents` for a line that is not a pid.
    package func processes() throws(MemoryCgroupError) -> [Int32] {
        let file = path + "/cgroup.procs"
        var pids: [Int32] = []
        for line in try Self.readControl(file).split(whereSeparator: \.isNewline) {
            guard let pid = Int32(line) else {
                throw MemoryCgroupError(.invalidContents, path: file, "not a pid: \"\(line)\"")
            }
            pids.append(pid)
        }
        return pids
    }

    /// Bytes charged to the cgroup now (v1 `memory.usage_in_bytes`, v2 `memory.current`), page cache included.
    ///
    /// ```swift
    /// print("pool VMMs use \(try cgroup.usage() >> 20) MiB")
    /// ```
    ///
    /// - Throws: ``MemoryCgroupError`` `.read` or `.invalidContents`.
    package func usage() throws(MemoryCgroupError) -> UInt64 {
        let file = path + (version == .v1 ? "/memory.usage_in_bytes" : "/memory.current")
        guard let bytes = MemoryPressureReading.parseCgroupBytes(try Self.readControl(file)) else {
            throw MemoryCgroupError(.invalidContents, path: file, "not a byte count")
        }
        return bytes
    }

    /// The hard limit in force, as the kernel reports it back (rounded down to whole pages).
    ///
    /// ```swift
    /// if case .bytes(let bytes) = try cgroup.limit() { print("capped at \(bytes >> 20) MiB") }
    /// ```
    ///
    /// - Throws: ``MemoryCgroupError`` `.read` or `.invalidContents`.
    package func limit() throws(MemoryCgroupError) -> MemoryLimit {
        let file = path + (version == .v1 ? "/memory.limit_in_bytes" : "/memory.max")
        let text = try Self.readControl(file)
        let limit =
            version == .v1
            ? MemoryPressureReading.parseCgroupV1Limit(text) : MemoryPressureReading.parseCgroupV2Max(text)
        guard let limit else { throw MemoryCgroupError(.invalidContents, path: file, "not a memory limit") }
        return limit
    }

    /// How often the limit was hit and how many processes the cgroup's OOM killer took.
    ///
    /// ```swift
    /// let before = try cgroup.events()
    /// // ... a burst of restores ...
    /// if (try cgroup.events().oomKills ?? 0) > (before.oomKills ?? 0) { print("a VMM was OOM-killed") }
    /// ```
    ///
    /// - Throws: ``MemoryCgroupError`` `.read` when the counters file cannot be read.
    package func events() throws(MemoryCgroupError) -> Events {
        switch version {
        case .v1:
            let failures = MemoryPressureReading.parseCgroupBytes(try Self.readControl(path + "/memory.failcnt"))
            let oom = SystemFile.readIfPresent(path + "/memory.oom_control").map(MemoryPressureReading.parseFlatKeyed)
            return Events(limitHits: failures, oomKills: oom?["oom_kill"])
        case .v2:
            let events = MemoryPressureReading.parseFlatKeyed(try Self.readControl(path + "/memory.events"))
            return Events(limitHits: events["max"], oomKills: events["oom_kill"])
        }
    }

    // MARK: - Control files

    /// Reads a control file; a failure names the file and its errno.
    static func readControl(_ path: String) throws(MemoryCgroupError) -> String {
        do throws(SystemError) {
            return try SystemFile.read(path)
        } catch {
            throw MemoryCgroupError(.read, path: path, error.message, errno: error.errno?.rawValue)
        }
    }

    /// Writes a control file in one write; a refused write names the file and its errno.
    static func writeControl(_ text: String, to path: String) throws(MemoryCgroupError) {
        do throws(SystemError) {
            try SystemFile.write(text, to: path)
        } catch {
            throw MemoryCgroupError(.write, path: path, error.message, errno: error.errno?.rawValue)
        }
    }
}
