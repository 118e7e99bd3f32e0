import Foundation
import Glibc
import HostSystem
import Subprocess
import SystemPackage

/// The Firecracker (and jailer) binaries snapbench drives, with their version and hash.
///
/// The search order is: an explicit path (`--firecracker PATH`), `$SNAPBENCH_FIRECRACKER`, then that of
/// ``ProjectPaths`` — `$SNAPBENCH_HOME`, the running executable's `<prefix>/libexec/snapbench/firecracker`
/// (installed by `scripts/install`), the checkout's `.snapbench/bin/firecracker` (installed by `scripts/setup`) —
/// and last `firecracker` on `$PATH`.
///
/// ```swift
/// let installation = try await FirecrackerInstallation.locate(explicitPath: nil)
/// print(installation.version)  // "1.12.1"
/// ```
package struct FirecrackerInstallation: Codable, Sendable, Equatable {
    /// The version `scripts/setup` installs and the snapshots of this project are made with.
    package static let pinnedVersion = "1.12.1"
    /// SHA-256 of the pinned `firecracker` binary.
    package static let pinnedFirecrackerSHA256 = "b99ea49b8d8b7bfa307d3845585d6a97f7642aa17a985749900370070d8ca930"
    /// SHA-256 of the pinned `jailer` binary.
    package static let pinnedJailerSHA256 = "86622337f91df329cca72bb21cd1324fb8b6fa47931601d65ee4b2c72ef2cae5"
    /// The environment variable that names a Firecracker binary.
    package static let environmentVariable = "SNAPBENCH_FIRECRACKER"

    /// Path of `firecracker`.
    package var firecrackerPath: String
    /// Path of `jailer` beside it, when there is one.
    package var jailerPath: String?
    /// e.g. "1.12.1".
    package var version: String
    /// SHA-256 of `firecracker`.
    package var sha256: String

    package init(firecrackerPath: String, jailerPath: String?, version: String, sha256: String) {
        self.firecrackerPath = firecrackerPath
        self.jailerPath = jailerPath
        self.version = version
        self.sha256 = sha256
    }

    /// Whether this is the pinned binary, byte for byte.
    package var isPinned: Bool { sha256 == Self.pinnedFirecrackerSHA256 }

    /// Finds, versions and hashes the Firecracker binary.
    ///
    /// - Parameters:
    ///   - explicitPath: a path the user gave; it wins over everything else, and when it is given only
    ///     `$SNAPBENCH_FIRECRACKER` is searched besides it.
    ///   - environment: the environment to read `SNAPBENCH_FIRECRACKER`, `SNAPBENCH_HOME` and `PATH` from.
    ///   - executablePath: the running executable, whose `<prefix>/libexec/snapbench` is searched.
    ///   - projectRoots: checkout roots whose `.snapbench/bin` is searched.
    /// - Throws: `FirecrackerError(.binaryNotFound)` naming every place searched.
    package static func locate(
        explicitPath: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String? = ProjectPaths.currentExecutable(),
        projectRoots: [String] = ProjectPaths.candidateRoots()
    ) async throws -> FirecrackerInstallation {
        var candidates: [String] = []
        if let explicitPath { candidates.append(explicitPath) }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            candidates.append(fromEnvironment)
        }
        if explicitPath == nil {
            candidates += ProjectPaths.searchPaths(
                installed: ProjectPaths.installedFirecracker,
                checkout: ProjectPaths.firecracker,
                environment: environment,
                executablePath: executablePath,
                projectRoots: projectRoots
            )
            candidates += (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/firecracker" }
        }
        // Absolute: every VMM runs in its own directory, where a relative path would name nothing.
        guard let path = candidates.first(where: { access($0, X_OK) == 0 }).map(ProjectPaths.absolute) else {
            throw FirecrackerError(
                .binaryNotFound,
                "no executable firecracker found (searched: \(candidates.joined(separator: ", "))); "
                    + "run scripts/setup, or pass --firecracker PATH, or set \(environmentVariable) "
                    + "or \(ProjectPaths.homeEnvironmentVariable)"
            )
        }
        let jailer = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("jailer").path
        return FirecrackerInstallation(
            firecrackerPath: path,
            jailerPath: access(jailer, X_OK) == 0 ? jailer : nil,
            version: try await version(of: path),
            sha256: try FileDigest.sha256(ofFile: path)
        )
    }

    /// Runs `firecracker --version` and returns the version number.
    ///
    /// - Throws: `FirecrackerError(.launchFailed)` when the binary does not answer like Firecracker.
    package static func version(of path: String) async throws -> String {
        let text: String
        do {
            text = try await Subprocess.run(
                .path(FilePath(path)),
                arguments: ["--version"],
                output: .string(limit: 4096),
                error: .discarded
            ).standardOutput
        } catch {
            throw FirecrackerError(.launchFailed, "cannot run \(path) --version", underlying: error)
        }
        guard let version = parseVersion(text) else {
            throw FirecrackerError(
                .launchFailed,
                "\(path) --version printed no Firecracker version: \(text.prefix(80))"
            )
        }
        return version
    }

    /// The snapshot format version this Firecracker reads and writes (`firecracker --snapshot-version`), e.g.
    /// `6.0.0` for v1.12: a state file loads when its major version is equal and its minor no greater.
    ///
    /// - Throws: `FirecrackerError(.launchFailed)` when the binary cannot say.
    package func snapshotFormatVersion() async throws -> String {
        let text: String
        do {
            text = try await Subprocess.run(
                .path(FilePath(firecrackerPath)),
                arguments: ["--snapshot-version"],
                output: .string(limit: 4096),
                error: .discarded
            ).standardOutput
        } catch {
            throw FirecrackerError(.launchFailed, "cannot run \(firecrackerPath) --snapshot-version", underlying: error)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("v") }),
            line.dropFirst().split(separator: ".").count == 3
        else {
            throw FirecrackerError(
                .launchFailed,
                "\(firecrackerPath) --snapshot-version printed no version: \(text.prefix(80))"
            )
        }
        return String(line.dropFirst())
    }

    /// Whether a state file of format `file` loads in a Firecracker of format `reader`: the same major version,
    /// and a minor no greater (Firecracker's own rule).
    ///
    /// ```swift
    /// FirecrackerInstallation.snapshotFormat("6.0.0", loadsIn: "6.1.0")  // true
    /// FirecrackerInstallation.snapshotFormat("5.0.0", loadsIn: "6.0.0")  // false
    /// ```
    package static func snapshotFormat(_ file: String, loadsIn reader: String) -> Bool {
        let a = file.split(separator: ".").compactMap { Int($0) }
        let b = reader.split(separator: ".").compactMap { Int($0) }
        guard a.count >= 2, b.count >= 2 else { return false }
        return a[0] == b[0] && a[1] <= b[1]
    }

    /// Extracts "1.12.1" from "Firecracker v1.12.1".
    static func parseVersion(_ text: String) -> String? {
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count >= 2, words[0] == "Firecracker" || words[0] == "Jailer", words[1].hasPrefix("v") {
                return String(words[1].dropFirst())
            }
        }
        return nil
    }
}
