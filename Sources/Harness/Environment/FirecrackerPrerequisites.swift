import Firecracker
import HostSystem

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
    func check(for vm: VMDefinition) async throws -> (FirecrackerInstallation, VMSpec) {
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
            spec = try Self.spec(for: vm, guestPath: guestPath)
        } catch {
            missing.append("\(error)")
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

    /// The VM a scenario restores.
    static func spec(for vm: VMDefinition, guestPath: String?) throws -> VMSpec {
        switch vm {
        case .builtInGuest(let workingSet, let memory, let vcpus):
            return .builtInGuest(
                imagePath: try ProjectPaths.locateGuest(explicitPath: guestPath),
                workingSetMiB: workingSet,
                memoryMiB: memory,
                vcpuCount: vcpus
            )
        case .linux(let guest):
            return VMSpec(
                kernelImagePath: guest.kernel,
                bootArgs: guest.bootArgs,
                vcpuCount: guest.vcpus,
                memoryMiB: guest.memoryMiB,
                drives: [Drive(driveId: "rootfs", pathOnHost: guest.rootfs, isRootDevice: true, isReadOnly: true)],
                readiness: ReadinessProbe(bootPrefix: guest.bootPattern, resumePrefix: guest.resumePattern)
            )
        }
    }
}
