import Firecracker
import Foundation
import HostSystem
import Scenarios

/// What a run on real Firecracker needs from this host — a usable `/dev/kvm`, a Firecracker binary, the
/// built-in guest — checked before anything starts, so that a missing piece stops the run with every problem
/// and its fix instead of a silent fall-back to invented numbers.
///
/// ```swift
/// let (installation, spec) = try await FirecrackerPrerequisites(firecrackerPath: nil, guestPath: nil)
///     .check(for: scenario.vm)
/// ```
struct FirecrackerPrerequisites: Sendable {
    var firecrackerPath: String?
    var guestPath: String?
    /// Whether `/dev/kvm` can be used (tests pretend otherwise).
    var kvmUsable: @Sendable () -> Bool = { HostInfo.kvmUsable }

    /// The Firecracker installation and the VM to restore.
    ///
    /// - Throws: ``RunError`` `.prerequisitesMissing` naming everything missing and how to fix it.
    func check(
        for vm: VMDefinition,
        readiness: AgentProbe? = nil,
        memory: GuestMemory = GuestMemory(),
        maximumVMs: Int = 1
    ) async throws -> (FirecrackerInstallation, VMSpec) {
        var missing: [String] = []
        if !kvmUsable() {
            missing.append(
                HostInfo.current().kvmFlavour == "none"
                    ? "/dev/kvm is absent (no KVM on this host)"
                    : "/dev/kvm is not readable and writable by this user"
            )
        }
        var installation: FirecrackerInstallation?
        do {
            installation = try await FirecrackerInstallation.locate(explicitPath: firecrackerPath)
        } catch {
            missing.append("\(error)")
        }
        var spec: VMSpec?
        do {
            if case .snapshot = vm {
                // Read from the snapshot itself once Firecracker is found (below).
            } else {
                spec = try Self.spec(for: vm, readiness: readiness, guestPath: guestPath)
            }
            if memory.hugePages, let memoryMiB = spec?.memoryMiB {
                spec?.hugePages = true
                if let problem = Self.hugePageShortage(memoryMiB: memoryMiB, vms: maximumVMs + 1) {
                    missing.append(problem)
                }
            }
        } catch {
            missing.append("\(error)")
        }
        if missing.isEmpty, let installation, case .snapshot(let external) = vm {
            let state = try await ExternalSnapshotCheck(snapshot: external, installation: installation, memory: memory)
                .check(readiness: readiness)
            spec = ExternalSnapshotCheck.spec(of: state, snapshot: external, readiness: readiness)
        }
        guard missing.isEmpty, let installation, let spec else {
            throw RunError(
                .prerequisitesMissing,
                "real Firecracker cannot run here: " + missing.joined(separator: "; ")
                    + ". Fix: run scripts/setup (it installs the pinned Firecracker v\(FirecrackerInstallation.pinnedVersion) "
                    + "and builds the guest), or pass --firecracker PATH (or set \(FirecrackerInstallation.environmentVariable)) "
                    + "and --guest PATH. On a host without KVM, --backend simulated runs the pool's logic on invented "
                    + "latencies; its reports say so and it never passes a sign-off."
            )
        }
        return (installation, spec)
    }

    /// Why `vms` VMs of `memoryMiB` cannot all have 2 MiB huge pages now, if they cannot.
    static func hugePageShortage(memoryMiB: Int, vms: Int, meminfo: String? = nil) -> String? {
        let text = meminfo ?? ((try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? "")
        let free =
            text.split(separator: "\n").first { $0.hasPrefix("HugePages_Free:") }
            .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        let needed = (memoryMiB + 1) / 2 * vms
        guard free < needed else { return nil }
        let total =
            text.split(separator: "\n").first { $0.hasPrefix("HugePages_Total:") }
            .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        return "vm.huge_pages needs \(needed) free 2 MiB huge pages (\(vms) VMs of \(memoryMiB) MiB, golden VM "
            + "included) and \(free) are free; reserve them: echo \(total + needed - free) > /proc/sys/vm/nr_hugepages"
    }

    /// The VM a scenario restores, proving readiness on its serial console or, with `readiness`, through its
    /// agent over vsock.
    static func spec(for vm: VMDefinition, readiness: AgentProbe? = nil, guestPath: String?) throws -> VMSpec {
        switch vm {
        case .builtInGuest(let workingSet, let memory, let vcpus, let touch):
            var spec = VMSpec.builtInGuest(
                imagePath: try ProjectPaths.locateGuest(explicitPath: guestPath),
                workingSetMiB: workingSet,
                memoryMiB: memory,
                vcpuCount: vcpus,
                touch: touch
            )
            if var agent = readiness {
                // The agent does the work when asked; `touch=` would have the guest do it again at every resume.
                // And the proof comes from the agent: the serial line (a VM exit per byte) is left out.
                spec.bootArgs =
                    "ws=\(workingSet) serialproof=0" + (touch.map { " " + $0.agentBootArgs } ?? "")
                    + (agent.port == AgentProbe.builtIn.port ? "" : " agent=\(agent.port)")
                if let touch {
                    agent.workRequest = "touch \(touch.mebibytes)"
                    agent.workExpect = "W"
                }
                spec.readiness.agent = agent
            }
            return spec
        case .linux(let guest):
            return try linuxSpec(guest, readiness: readiness, guestPath: guestPath)
        case .snapshot:
            preconditionFailure("a snapshot's VM is read from its state file (ExternalSnapshotCheck)")
        }
    }

    /// A Linux guest's VM: its kernel and root drive (or the stand-ins `@guest` and `@rootfs`).
    private static func linuxSpec(_ guest: LinuxGuest, readiness: AgentProbe?, guestPath: String?) throws -> VMSpec {
        VMSpec(
            kernelImagePath: guest.kernel == LinuxGuest.builtInGuestKernel
                ? try ProjectPaths.locateGuest(explicitPath: guestPath) : guest.kernel,
            bootArgs: guest.bootArgs,
            vcpuCount: guest.vcpus,
            memoryMiB: guest.memoryMiB,
            drives: [
                Drive(
                    driveId: "rootfs",
                    pathOnHost: guest.rootfs == LinuxGuest.standInRootfs
                        ? try ProjectPaths.locateStandInRootfs() : guest.rootfs,
                    isRootDevice: true,
                    isReadOnly: true
                )
            ],
            readiness: ReadinessProbe(
                bootPrefix: guest.bootPattern,
                resumePrefix: guest.resumePattern,
                agent: readiness
            )
        )
    }
}
