import Firecracker
import Foundation
import Glibc
import HostSystem
import Scenarios
import SnapshotPool

/// A VM a crash or hang may pick.
struct FaultVictim: Sendable, Equatable {
    /// Where a victim is: the pool's states, and the one only the host's process table shows.
    enum State: String, Sendable, Equatable {
        case warm, leased, standby
        /// A VMM working in the pool's directory that the pool does not list yet: its load has not answered.
        case restoring

        init(_ state: PoolVM.State) {
            switch state {
            case .warm: self = .warm
            case .leased: self = .leased
            case .standby: self = .standby
            }
        }

        /// Whether a fault aimed at `target` may pick a victim in this state.
        func matches(_ target: VMTarget) -> Bool {
            switch target {
            case .any: true
            case .warm: self == .warm
            case .leased: self == .leased
            case .restoring: self == .restoring
            }
        }
    }

    var id: String
    var pid: Int32?
    var state: State

    var label: String { pid.map { "\(id) (pid \($0), \(state.rawValue))" } ?? "\(id) (\(state.rawValue))" }
}

/// What faults may act on in one run, provided by the runner for its backend.
struct FaultSurface: Sendable {
    /// The backend's name, for notes on faults it cannot suffer.
    var backend: BackendKind
    /// The VMs a crash or hang may pick among `target`, in a stable order.
    var victims: @Sendable (VMTarget) async -> [FaultVictim]
    /// Delivers `signal` to a victim; `false` when it could not.
    var signal: @Sendable (FaultVictim, Int32) async -> Bool
    /// The golden snapshot on disk, when the backend has one.
    var snapshot: @Sendable () async -> GoldenSnapshot?
    /// The pool's memory cgroup, when it has one.
    var cgroup: MemoryCgroup?
    /// The pool's own filesystem, when it has one.
    var filesystem: SizeLimitedFilesystem?
}

extension FaultSurface {
    /// A surface over a Firecracker pool: its inventory for warm and leased VMMs, and its pool directory to
    /// tell restoring VMMs (children working there that are neither warm nor leased) from others.
    static func firecracker<Backend: VMBackend>(
        pool: SnapshotPool<Backend, ContinuousClock>,
        poolDirectory: String,
        store: SnapshotStore,
        cgroup: MemoryCgroup?,
        filesystem: SizeLimitedFilesystem?
    ) -> FaultSurface {
        FaultSurface(
            backend: .firecracker,
            victims: { target in
                let known = await pool.inventory()
                var victims = known.map { FaultVictim(id: $0.id, pid: $0.pid, state: .init($0.state)) }
                if target == .restoring || target == .any {
                    let knownPIDs = Set(known.compactMap(\.pid))
                    // A standby process (no VM loaded yet) is no restoring VM; `any` may still pick it.
                    let standby = Set(pool.backend.standbyProcessIDs())
                    for pid in ProcessStatus.firecrackerChildren().sorted() where !knownPIDs.contains(pid) {
                        let cwd = ProcessStatus.workingDirectory(of: pid) ?? ""
                        guard cwd.hasPrefix(poolDirectory + "/") else { continue }
                        let id = String(cwd.dropFirst(poolDirectory.count + 1).prefix { $0 != "/" })
                        let state: FaultVictim.State = standby.contains(pid) ? .standby : .restoring
                        victims.append(FaultVictim(id: id, pid: pid, state: state))
                    }
                }
                return victims.filter { $0.state.matches(target) }
            },
            signal: { victim, number in
                guard let pid = victim.pid else { return false }
                return kill(pid, number) == 0
            },
            snapshot: { try? await store.current() },
            cgroup: cgroup,
            filesystem: filesystem
        )
    }

    /// A surface over a simulated pool: crashes go through the backend's hook; nothing else exists to hurt.
    static func simulated<PoolClock: Clock<Duration>>(
        pool: SnapshotPool<SimulatedBackend<PoolClock>, ContinuousClock>
    ) -> FaultSurface {
        FaultSurface(
            backend: .simulated,
            victims: { target in
                await pool.inventory()
                    .map { FaultVictim(id: $0.id, pid: nil, state: .init($0.state)) }
                    .filter { $0.state.matches(target) }
            },
            signal: { victim, number in
                number == SIGKILL && pool.backend.crash(victim.id)
            },
            snapshot: { nil },
            cgroup: nil,
            filesystem: nil
        )
    }
}
