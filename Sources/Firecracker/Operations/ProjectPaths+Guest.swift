import Foundation
package import HostSystem

extension ProjectPaths {
    /// The built-in guest image: `explicitPath`, `$SNAPBENCH_GUEST`, then the search order of ``ProjectPaths``
    /// (`$SNAPBENCH_HOME`, the running executable's install prefix, the checkout roots).
    ///
    /// ```swift
    /// let image = try ProjectPaths.locateGuest()  // e.g. "/src/snapbench/.snapbench/guest/snapbench-guest.elf"
    /// ```
    ///
    /// - Parameters:
    ///   - explicitPath: a path the user gave (`--guest`); it wins over everything else, and when it is given
    ///     only `$SNAPBENCH_GUEST` is searched besides it.
    ///   - environment: where `SNAPBENCH_GUEST` and `SNAPBENCH_HOME` are read from.
    ///   - executablePath: the running executable, whose `<prefix>/share/snapbench/guest` is searched.
    ///   - projectRoots: checkout roots whose `.snapbench/guest` is searched.
    /// - Throws: `FirecrackerError(.binaryNotFound)` with the places searched.
    package static func locateGuest(
        explicitPath: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String? = currentExecutable(),
        projectRoots: [String] = candidateRoots()
    ) throws -> String {
        var candidates: [String] = []
        if let explicitPath { candidates.append(explicitPath) }
        if let fromEnvironment = environment[guestEnvironmentVariable], !fromEnvironment.isEmpty {
            candidates.append(fromEnvironment)
        }
        if explicitPath == nil {
            candidates += searchPaths(
                installed: installedGuest,
                checkout: guest,
                environment: environment,
                executablePath: executablePath,
                projectRoots: projectRoots
            )
        }
        // Absolute: Firecracker opens the image from its VM's own directory.
        let readable = candidates.first { FileManager.default.isReadableFile(atPath: $0) }
        guard let path = readable.map(absolute) else {
            throw FirecrackerError(
                .binaryNotFound,
                "the built-in guest is not built (searched: \(candidates.joined(separator: ", "))); run scripts/setup "
                    + "in a checkout or scripts/install, or pass --guest PATH, or set \(guestEnvironmentVariable) "
                    + "or \(homeEnvironmentVariable)"
            )
        }
        return path
    }
}

extension ProjectPaths {
    /// The stand-in root filesystem for the `guest: linux` path (`vm.rootfs: "@rootfs"`): a real ext4 image
    /// `scripts/setup` makes with `mkfs.ext4 -d`, holding the reference agent. The built-in guest, standing in for
    /// the user's kernel (`vm.kernel: "@guest"`), does not mount it; Firecracker attaches it as the root drive.
    package static let standInRootfs = ".snapbench/rootfs/agent-rootfs.ext4"
    /// The same below an install prefix.
    package static let installedStandInRootfs = "share/snapbench/rootfs/agent-rootfs.ext4"

    /// The stand-in root filesystem: the search order of ``ProjectPaths``.
    ///
    /// - Throws: `FirecrackerError(.binaryNotFound)` with the places searched and the fix.
    package static func locateStandInRootfs(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String? = currentExecutable(),
        projectRoots: [String] = candidateRoots()
    ) throws -> String {
        let candidates = searchPaths(
            installed: installedStandInRootfs,
            checkout: standInRootfs,
            environment: environment,
            executablePath: executablePath,
            projectRoots: projectRoots
        )
        guard let path = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }).map(absolute)
        else {
            throw FirecrackerError(
                .binaryNotFound,
                "the stand-in root filesystem is not made (searched: \(candidates.joined(separator: ", "))); run "
                    + "scripts/setup in a checkout, or scripts/install"
            )
        }
        return path
    }
}
