import Firecracker
import Foundation
import Glibc
import HostSystem
import Randomness
import Scenarios
import SnapshotPool

/// A fault as applied: what it hit, and how to undo it.
struct AppliedFault: Sendable {
    /// Whether anything was done (a fault the backend cannot suffer is only recorded).
    var applied: Bool
    /// What it hit.
    var targets: [String]
    /// What happened while applying it, in words.
    var notes: [String]
    /// Undoes it; returns notes on what reverting found. `nil` for instantaneous faults.
    var revert: (@Sendable () async -> [String])?
}

/// Applies each kind of fault for real: signals to VMMs, damage to snapshot files, a lowered cgroup limit,
/// helper processes that take memory or CPU, a filesystem filled up.
struct FaultInjector: Sendable {
    let surface: FaultSurface
    /// Where each signal to a VMM is noted before it is sent.
    let log: FaultLog

    /// Applies `action`, choosing victims with `random`.
    func apply(_ action: FaultAction, random: inout SplitMix64) async -> AppliedFault {
        switch action {
        case .vmmCrash(let count, let target):
            return await signal(SIGKILL, count: count, target: target, random: &random, revert: false)
        case .vmmHang(let count, let target):
            return await signal(SIGSTOP, count: count, target: target, random: &random, revert: true)
        case .snapshotCorruption(let mode):
            return await corrupt(mode)
        case .memoryPressure(let limit, let balloon):
            return await pressure(limit: limit, balloonMiB: balloon)
        case .diskFull(let leave):
            return fill(leavingKiB: leave)
        case .cpuContention(let processes):
            return await contend(processes: processes)
        }
    }

    /// How long a crash or hang waits for enough VMs in the target state.
    static let victimSearch: Duration = .seconds(2)

    private static func notApplied(_ why: String) -> AppliedFault {
        AppliedFault(applied: false, targets: [], notes: [why], revert: nil)
    }

    // MARK: - VMMs

    private func signal(
        _ number: Int32,
        count: Int,
        target: VMTarget,
        random: inout SplitMix64,
        revert: Bool
    ) async -> AppliedFault {
        if surface.backend == .simulated && number != SIGKILL {
            return Self.notApplied("a simulated VM has no process to stop")
        }
        var chosen: [FaultVictim] = []
        // A restore lasts ~10 ms and a lease as long as its hold: when none is in that state at this instant,
        // watch for one for a while rather than miss the fault.
        let deadline = ContinuousClock.now + Self.victimSearch
        while chosen.count < count {
            var candidates = await surface.victims(target).filter { candidate in
                !chosen.contains { $0.id == candidate.id }
            }
            while chosen.count < count, !candidates.isEmpty {
                let index = Int(random.next() % UInt64(candidates.count))
                let victim = candidates.remove(at: index)
                if let pid = victim.pid { log.noteSignal(to: pid) }
                if await surface.signal(victim, number) { chosen.append(victim) }
            }
            guard chosen.count < count, ContinuousClock.now < deadline else { break }
            try? await Task.sleep(for: .milliseconds(1))
        }
        var notes: [String] = []
        if chosen.count < count {
            notes.append("found \(chosen.count) of \(count) \(target.rawValue) VMs to signal")
        }
        var applied = AppliedFault(applied: !chosen.isEmpty, targets: chosen.map(\.label), notes: notes)
        if revert {
            let surface = self.surface
            let stopped = chosen
            applied.revert = {
                var continued = 0
                for victim in stopped where await surface.signal(victim, SIGCONT) { continued += 1 }
                return ["continued \(continued) of \(stopped.count) stopped VMMs (the rest were destroyed)"]
            }
        }
        return applied
    }

    // MARK: - Snapshot files

    private func corrupt(_ mode: CorruptionMode) async -> AppliedFault {
        guard let snapshot = await surface.snapshot() else {
            return Self.notApplied("the \(surface.backend.rawValue) backend has no snapshot files")
        }
        do {
            switch mode {
            case .truncateState:
                let size = try Self.size(of: snapshot.statePath)
                guard truncate(snapshot.statePath, off_t(size / 2)) == 0 else { throw Self.errno("truncate") }
                return AppliedFault(
                    applied: true,
                    targets: [snapshot.statePath],
                    notes: ["state file cut from \(size) to \(size / 2) bytes"],
                    revert: nil
                )
            case .flipState:
                let size = try Self.size(of: snapshot.statePath)
                let handle = try FileHandle(forUpdating: URL(fileURLWithPath: snapshot.statePath))
                defer { try? handle.close() }
                let offset = UInt64(size / 2)
                try handle.seek(toOffset: offset)
                let original = try handle.read(upToCount: 64) ?? Data()
                try handle.seek(toOffset: offset)
                try handle.write(contentsOf: Data(original.map { ~$0 }))
                return AppliedFault(
                    applied: true,
                    targets: [snapshot.statePath],
                    notes: ["\(original.count) bytes inverted at offset \(offset) of \(size)"],
                    revert: nil
                )
            case .removeMemory:
                try FileManager.default.removeItem(atPath: snapshot.memoryPath)
                return AppliedFault(applied: true, targets: [snapshot.memoryPath], notes: ["removed"], revert: nil)
            }
        } catch {
            return Self.notApplied("could not damage the snapshot: \(error)")
        }
    }

    private static func size(of path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.size] as? Int) ?? 0
    }

    private static func errno(_ call: String) -> any Error {
        NSError(domain: NSPOSIXErrorDomain, code: Int(Glibc.errno), userInfo: [NSLocalizedDescriptionKey: call])
    }

    // MARK: - Memory

    private func pressure(limit: CgroupLimit?, balloonMiB: Int?) async -> AppliedFault {
        var targets: [String] = []
        var notes: [String] = []
        var balloon: FaultHelperProcess?
        if let balloonMiB {
            // Bounded: never more than half of what the host has available, whatever the scenario asks.
            let available = Self.availableMiB()
            let size = min(balloonMiB, max(1, available / 2))
            if size < balloonMiB { notes.append("balloon bounded to \(size) MiB (half of MemAvailable)") }
            let started = ContinuousClock.now
            do {
                let helper = try await FaultHelperProcess.start(.balloon(mebibytes: size), cgroup: surface.cgroup)
                balloon = helper
                let place = surface.cgroup.map { "in \($0.name)" } ?? "on the host"
                targets.append("balloon pid \(helper.pid), \(size) MiB \(place)")
                notes.append(
                    "balloon touched \(size) MiB in \(String(format: "%.2f", started.duration(to: .now).inSeconds)) s"
                )
            } catch {
                notes.append("balloon: \(error)")
            }
        }
        var previousLimit: MemoryLimit?
        if let limit {
            if let cgroup = surface.cgroup {
                do {
                    previousLimit = try cgroup.limit()
                    let usage = try cgroup.usage()
                    let bytes: UInt64
                    switch limit {
                    case .mebibytes(let mebibytes): bytes = UInt64(mebibytes) * 1_048_576
                    case .usagePercent(let percent): bytes = max(4_096, usage * 100 / UInt64(percent))
                    }
                    try cgroup.setLimit(bytes: bytes)
                    targets.append(
                        "\(cgroup.name) limit → \(String(format: "%.1f", Double(bytes) / 1_048_576)) MiB"
                            + " (usage \(String(format: "%.1f", Double(usage) / 1_048_576)) MiB)"
                    )
                } catch {
                    notes.append("cgroup limit not lowered: \(error)")
                }
            } else {
                notes.append("the pool has no memory cgroup to limit")
            }
        }
        let cgroup = surface.cgroup
        let held = balloon
        let limitToRestore = previousLimit
        let log = self.log
        let squeezed = !targets.isEmpty
        if squeezed { log.memoryPressureBegan() }
        return AppliedFault(
            applied: squeezed,
            targets: targets,
            notes: notes,
            revert: {
                var notes: [String] = []
                if let held {
                    notes.append(held.isRunning ? "balloon freed" : "the balloon had been OOM-killed")
                    held.stop()
                }
                if let cgroup, let limitToRestore {
                    do {
                        try cgroup.setLimit(bytes: limitToRestore.bytes)
                        notes.append("cgroup limit restored")
                    } catch {
                        notes.append("cgroup limit not restored: \(error)")
                    }
                }
                if squeezed { log.memoryPressureEnded() }
                return notes
            }
        )
    }

    private static func availableMiB() -> Int {
        let text = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        return Int((MemoryPressureReading.parseMeminfo(text)["MemAvailable"] ?? 0) / 1_048_576)
    }

    // MARK: - Disk

    private func fill(leavingKiB: Int) -> AppliedFault {
        guard let filesystem = surface.filesystem else {
            return Self.notApplied("the pool has no filesystem of its own")
        }
        do {
            let taken = try filesystem.fill(leavingKiB: leavingKiB)
            return AppliedFault(
                applied: true,
                targets: [filesystem.path],
                notes: ["filled with \(taken / 1_024) KiB; \(filesystem.freeBytes / 1_024) KiB left"],
                revert: {
                    filesystem.drain()
                    return ["filler removed; \(filesystem.freeBytes / 1_024) KiB free"]
                }
            )
        } catch {
            return Self.notApplied("\(error)")
        }
    }

    // MARK: - CPU

    private func contend(processes: Int) async -> AppliedFault {
        var spinners: [FaultHelperProcess] = []
        var notes: [String] = []
        for _ in 0..<processes {
            do {
                spinners.append(try await FaultHelperProcess.start(.spin))
            } catch {
                notes.append("\(error)")
            }
        }
        let started = spinners
        return AppliedFault(
            applied: !spinners.isEmpty,
            targets: spinners.map { "spinner pid \($0.pid)" },
            notes: notes,
            revert: {
                for spinner in started { spinner.stop() }
                return ["\(started.count) spinners stopped"]
            }
        )
    }
}
