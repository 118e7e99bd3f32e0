public import Foundation

/// Where `scripts/setup` installs what snapbench needs, relative to the project root.
public enum ProjectPaths {
    /// The pinned Firecracker binary.
    public static let firecracker = ".snapbench/bin/firecracker"
    /// The pinned jailer binary.
    public static let jailer = ".snapbench/bin/jailer"
    /// The built-in guest, built from `Guest/`.
    public static let guest = ".snapbench/guest/snapbench-guest.elf"
    /// The environment variable that names a guest image.
    public static let guestEnvironmentVariable = "SNAPBENCH_GUEST"

    /// Directories that may be the project root: the working directory and the ancestors of the running
    /// executable (`.build/<config>/snapbench` sits three levels below the root).
    public static func candidateRoots() -> [String] {
        var roots = [FileManager.default.currentDirectoryPath]
        var url = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        for _ in 0..<5 {
            url.deleteLastPathComponent()
            roots.append(url.path)
        }
        return roots
    }

    /// The built-in guest image: `$SNAPBENCH_GUEST`, or the first project root that has one.
    ///
    /// - Throws: `FirecrackerError(.binaryNotFound)` with the places searched.
    public static func locateGuest(
        explicitPath: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        projectRoots: [String] = candidateRoots()
    ) throws -> String {
        var candidates: [String] = []
        if let explicitPath { candidates.append(explicitPath) }
        if let fromEnvironment = environment[guestEnvironmentVariable], !fromEnvironment.isEmpty {
            candidates.append(fromEnvironment)
        }
        if explicitPath == nil { candidates += projectRoots.map { $0 + "/" + guest } }
        guard let path = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
            throw FirecrackerError(
                .binaryNotFound,
                "the built-in guest is not built (searched: \(candidates.joined(separator: ", "))); run scripts/setup"
            )
        }
        return path
    }
}
