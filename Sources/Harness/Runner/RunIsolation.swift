import Firecracker
import Foundation
import Glibc
import HostSystem
import Scenarios
import SnapshotPool
import SystemPackage

/// What isolates one run's clones from the host and from each other, made before the pool starts and released
/// after its drain: a network namespace per clone holding the snapshot's TAPs (`vm.network_interfaces`), and for
/// `pool.launch: jailer` the run's own chroot base and parent cgroup. Each is named for this process, so the
/// leak check finds what a release missed and the next run reclaims what a killed one left.
struct RunIsolation: Sendable {
    var networkSlots: NetworkSlotPool?
    var jail: JailerOptions?
    /// The run's own chroot base, made here and removed at release.
    var jailBase: String?

    /// The first part of a run's chroot base's name (its owner tag's kind).
    static let jailKind = "jails"
    /// Network slots beyond the pool's VMs and its standby processes (each holds one): a VM being torn down still
    /// holds its slot while its replacement restores.
    static let spareSlots = 2

    /// Makes what `scenario` needs for clones of `spec`.
    ///
    /// - Throws: ``RunError`` `.prerequisitesMissing` when the jailer is not installed; the error of a namespace
    ///   or directory that cannot be made (nothing made is left).
    static func make(
        for scenario: Scenario,
        spec: VMSpec,
        installation: FirecrackerInstallation,
        storeDirectory: String
    ) async throws -> RunIsolation {
        var isolation = RunIsolation()
        do {
            if let settings = scenario.pool.launch.jail {
                isolation.jail = try await makeJail(
                    settings,
                    installation: installation,
                    storeDirectory: storeDirectory
                )
                isolation.jailBase = settings.chrootBase == nil ? isolation.jail?.chrootBase : nil
            }
            if !spec.networkInterfaces.isEmpty {
                isolation.networkSlots = try await NetworkSlotPool(
                    prefix: NetworkSlotPool.ownedPrefix(tag: String(UUID().uuidString.prefix(6)).lowercased()),
                    count: scenario.pool.configuration.maximumVMs + scenario.pool.standbyProcesses + spareSlots,
                    tapNames: spec.networkInterfaces.map(\.hostDevName)
                )
            }
        } catch {
            _ = await isolation.release()
            throw error
        }
        return isolation
    }

    private static func makeJail(
        _ settings: JailSettings,
        installation: FirecrackerInstallation,
        storeDirectory: String
    ) async throws -> JailerOptions {
        guard let jailer = installation.jailerPath else {
            throw RunError(
                .prerequisitesMissing,
                "pool.launch: jailer needs Firecracker's jailer beside \(installation.firecrackerPath); run "
                    + "scripts/setup, which installs the pinned one"
            )
        }
        let base: String
        if let chosen = settings.chrootBase {
            base = chosen
        } else {
            // Beside the store: the snapshot's files are hard-linked into every jail.
            let parent = URL(fileURLWithPath: storeDirectory).deletingLastPathComponent().path
            // A killed run's chroot base (its VMMs are reclaimed by the pool, found by their jails' markers).
            _ = await OrphanSweep.run(TaggedDirectories(parent: parent, kind: jailKind, noun: "chroot base"))
            base = parent + "/" + OwnerTag(kind: jailKind).name(String(UUID().uuidString.prefix(6)).lowercased())
        }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        return JailerOptions(
            jailerPath: jailer,
            uid: settings.uid,
            gid: settings.gid,
            chrootBase: base,
            cgroup: try settings.cgroupMemoryMiB.map { try jailCgroup(memoryMiB: $0) }
        )
    }

    /// A parent cgroup named for this process (as the run's memory cgroup is, so the leak check and the orphan
    /// sweep know it), in the v1 memory hierarchy where there is one, else in cgroup2.
    ///
    /// - Throws: `prerequisitesMissing` when this host mounts neither (the jailer would fail on each VM).
    static func jailCgroup(memoryMiB: Int, placement: MemoryCgroup.Placement = .discover()) throws -> JailCgroup {
        let parent = OwnerTag(kind: MemoryCgroup.defaultPrefix).name("jail" + String(UUID().uuidString.prefix(6)))
        let bytes = memoryMiB << 20
        if let v1 = placement.v1Parent {
            return JailCgroup(
                version: 1,
                parent: parent,
                settings: ["memory.limit_in_bytes=\(bytes)"],
                parentDirectories: [v1 + "/" + parent]
            )
        }
        guard let v2 = placement.v2Parent else {
            throw RunError(
                .prerequisitesMissing,
                "pool.launch.cgroup_memory_mib: this host mounts no cgroup2 hierarchy and no v1 memory hierarchy "
                    + "(/proc/self/mounts), so the jailer cannot limit its VMs' memory"
            )
        }
        return JailCgroup(
            version: 2,
            parent: parent,
            settings: ["memory.max=\(bytes)"],
            parentDirectories: [v2 + "/" + parent]
        )
    }

    /// Removes the namespaces, the run's chroot base and the jails' parent cgroup; returns what could not be.
    func release() async -> [String] {
        var problems: [String] = []
        if let networkSlots {
            do {
                try await networkSlots.destroy()
            } catch {
                problems.append("the run's network namespaces could not all be removed: \(error)")
            }
        }
        for directory in jail?.cgroup?.parentDirectories ?? [] where FileManager.default.fileExists(atPath: directory) {
            if rmdir(directory) != 0 {
                problems.append("the jails' cgroup \(directory) could not be removed: \(Errno.last)")
            }
        }
        if let jailBase {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: jailBase + "/firecracker")) ?? []
            if !left.isEmpty { problems.append("jails left in \(jailBase): \(left.prefix(5))") }
            do {
                try DirectoryTree.remove(jailBase)
            } catch {
                problems.append("the run's chroot base \(jailBase) could not be removed: \(error)")
            }
        }
        return problems
    }
}
