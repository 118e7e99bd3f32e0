import Foundation

/// Where `scripts/setup` installs what snapbench needs, relative to the project root, and where that root
/// may be.
///
/// ```swift
/// let binary = ProjectPaths.candidateRoots().map { $0 + "/" + ProjectPaths.firecracker }
///     .first { FileManager.default.isExecutableFile(atPath: $0) }
/// ```
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

    /// `path` made absolute against the working directory, and standardized (`.` and `..` removed).
    ///
    /// ```swift
    /// ProjectPaths.absolute(".snapbench/bin/firecracker")  // "/src/snapbench/.snapbench/bin/firecracker"
    /// ```
    public static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// The first project root that is a git checkout, when there is one.
    public static func repository() -> String? {
        candidateRoots().first { FileManager.default.fileExists(atPath: $0 + "/.git") }
    }
}
