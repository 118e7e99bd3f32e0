import Foundation

/// Where snapbench finds what it needs — the pinned Firecracker and jailer, the built-in guest, the scenarios — in
/// a checkout (where `scripts/setup` puts them) and below an install prefix (where `scripts/install` puts them).
///
/// Every lookup takes the first place, in this order, that has the file:
/// 1. the explicit path (`--firecracker PATH`, `--guest PATH`, a scenario given as a file);
/// 2. its own environment variable (`SNAPBENCH_FIRECRACKER`, `SNAPBENCH_GUEST`), then `$SNAPBENCH_HOME`, read
///    first as an install prefix and then as a checkout;
/// 3. the install prefix of the running executable, `<prefix>/bin/snapbench`, its path read from
///    `/proc/self/exe`: `<prefix>/libexec/snapbench/firecracker` (and `jailer`),
///    `<prefix>/share/snapbench/guest/snapbench-guest.elf`, `<prefix>/share/snapbench/Scenarios/`;
/// 4. the checkout roots: the working directory, then the executable's ancestors
///    (``candidateRoots(workingDirectory:executablePath:)``);
/// 5. for Firecracker alone, `firecracker` on `$PATH`.
///
/// Steps 2 (`$SNAPBENCH_HOME`) to 4 are ``searchPaths(installed:checkout:environment:executablePath:projectRoots:)``.
///
/// ```swift
/// let places = ProjectPaths.searchPaths(installed: ProjectPaths.installedGuest, checkout: ProjectPaths.guest)
/// let image = places.first { FileManager.default.isReadableFile(atPath: $0) }
/// ```
package enum ProjectPaths {
    /// The pinned Firecracker binary, below a checkout root.
    package static let firecracker = ".snapbench/bin/firecracker"
    /// The pinned jailer binary, below a checkout root.
    package static let jailer = ".snapbench/bin/jailer"
    /// The built-in guest, built from `Guest/`, below a checkout root.
    package static let guest = ".snapbench/guest/snapbench-guest.elf"
    /// The scenario files, below a checkout root or below ``installedData``.
    package static let scenarios = "Scenarios"

    /// The pinned Firecracker binary, below an install prefix.
    package static let installedFirecracker = "libexec/snapbench/firecracker"
    /// The pinned jailer binary, below an install prefix.
    package static let installedJailer = "libexec/snapbench/jailer"
    /// The built-in guest, below an install prefix.
    package static let installedGuest = "share/snapbench/guest/snapbench-guest.elf"
    /// The directory below an install prefix that holds data where a checkout's root does: `Scenarios/`, and
    /// `Reports/baselines/` when one is put there.
    package static let installedData = "share/snapbench"

    /// The environment variable that names a guest image.
    package static let guestEnvironmentVariable = "SNAPBENCH_GUEST"
    /// The environment variable that names an install prefix or a checkout to take everything from.
    package static let homeEnvironmentVariable = "SNAPBENCH_HOME"

    /// A file that none of the places searched has.
    package struct NotFound: Error, Sendable, CustomStringConvertible {
        /// What was looked for, e.g. `Scenarios/smoke.yaml`.
        package var what: String
        /// Every path looked at, in search order.
        package var searched: [String]

        package init(what: String, searched: [String]) {
            self.what = what
            self.searched = searched
        }

        package var description: String { "no \(what) (searched: \(searched.joined(separator: ", ")))" }
    }

    /// The real path of the running executable.
    ///
    /// Read from `/proc/self/exe`: `argv[0]` is only a bare name when the executable was found on `$PATH`, and a
    /// symbolic link's path when started through one, and neither says where its install prefix is. `argv[0]` is
    /// the fallback where there is no `/proc`.
    ///
    /// ```swift
    /// ProjectPaths.currentExecutable()  // "/opt/snapbench/bin/snapbench"
    /// ```
    package static func currentExecutable() -> String? {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        guard let first = CommandLine.arguments.first, !first.isEmpty else { return nil }
        return URL(fileURLWithPath: first).resolvingSymlinksInPath().path
    }

    /// The install prefix an executable at `<prefix>/bin/snapbench` belongs to.
    ///
    /// ```swift
    /// ProjectPaths.installPrefix(ofExecutable: "/opt/snapbench/bin/snapbench")  // "/opt/snapbench"
    /// ```
    package static func installPrefix(ofExecutable executablePath: String) -> String {
        URL(fileURLWithPath: executablePath).deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Directories that may be a checkout's root: the working directory and the ancestors of the running
    /// executable (`.build/<config>/snapbench` sits three levels below the root).
    ///
    /// ```swift
    /// ProjectPaths.candidateRoots(workingDirectory: "/tmp", executablePath: "/src/snapbench/.build/debug/snapbench")
    /// // ["/tmp", "/src/snapbench/.build/debug", "/src/snapbench/.build", "/src/snapbench", "/src", "/"]
    /// ```
    package static func candidateRoots(
        workingDirectory: String = FileManager.default.currentDirectoryPath,
        executablePath: String? = currentExecutable()
    ) -> [String] {
        var roots = [workingDirectory]
        guard let executablePath else { return roots }
        var url = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath()
        for _ in 0..<5 {
            url.deleteLastPathComponent()
            roots.append(url.path)
        }
        return roots
    }

    /// Every place, in search order, where a file may be that sits at `installed` below an install prefix and at
    /// `checkout` below a checkout root: below `$SNAPBENCH_HOME` (as a prefix, then as a checkout), below the
    /// running executable's install prefix, then below each of `projectRoots`. A path is listed once; an empty
    /// relative path names the prefix or root itself.
    ///
    /// ```swift
    /// ProjectPaths.searchPaths(
    ///     installed: ProjectPaths.installedFirecracker,
    ///     checkout: ProjectPaths.firecracker,
    ///     environment: ["SNAPBENCH_HOME": "/srv/sb"],
    ///     executablePath: "/usr/local/bin/snapbench",
    ///     projectRoots: ["/src/snapbench"]
    /// )
    /// // ["/srv/sb/libexec/snapbench/firecracker", "/srv/sb/.snapbench/bin/firecracker",
    /// //  "/usr/local/libexec/snapbench/firecracker", "/src/snapbench/.snapbench/bin/firecracker"]
    /// ```
    ///
    /// - Parameters:
    ///   - environment: where `SNAPBENCH_HOME` is read from.
    ///   - executablePath: the running executable, whose install prefix is searched; `nil` searches none.
    ///   - projectRoots: the checkout roots.
    package static func searchPaths(
        installed: String,
        checkout: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String? = currentExecutable(),
        projectRoots: [String] = candidateRoots()
    ) -> [String] {
        func below(_ directory: String, _ relative: String) -> String {
            relative.isEmpty ? directory : directory + "/" + relative
        }
        var places: [String] = []
        if let home = environment[homeEnvironmentVariable], !home.isEmpty {
            places += [below(home, installed), below(home, checkout)]
        }
        if let executablePath {
            places.append(below(installPrefix(ofExecutable: executablePath), installed))
        }
        places += projectRoots.map { below($0, checkout) }
        var seen: Set<String> = []
        return places.filter { seen.insert($0).inserted }
    }

    /// The directories, in search order, that hold snapbench's data the way a checkout's root does (`Scenarios/`,
    /// `Reports/baselines/`): `$SNAPBENCH_HOME/share/snapbench`, `$SNAPBENCH_HOME`, the running executable's
    /// `<prefix>/share/snapbench`, then `projectRoots`.
    ///
    /// ```swift
    /// let baselines = try ReportLoader.load(["default-suite"], projectRoots: ProjectPaths.dataRoots())
    /// ```
    package static func dataRoots(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String? = currentExecutable(),
        projectRoots: [String] = candidateRoots()
    ) -> [String] {
        searchPaths(
            installed: installedData,
            checkout: "",
            environment: environment,
            executablePath: executablePath,
            projectRoots: projectRoots
        )
    }

    /// The file `Scenarios/<name>.yaml` in the first of ``dataRoots(environment:executablePath:projectRoots:)``
    /// that has it.
    ///
    /// ```swift
    /// try ProjectPaths.locateScenario(named: "smoke")  // "/opt/snapbench/share/snapbench/Scenarios/smoke.yaml"
    /// ```
    ///
    /// - Throws: ``NotFound`` listing every path searched.
    package static func locateScenario(
        named name: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String? = currentExecutable(),
        projectRoots: [String] = candidateRoots()
    ) throws -> String {
        let relative = "\(scenarios)/\(name).yaml"
        let candidates = dataRoots(environment: environment, executablePath: executablePath, projectRoots: projectRoots)
            .map { $0 + "/" + relative }
        guard let path = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
            throw NotFound(what: relative, searched: candidates)
        }
        return path
    }

    /// `path` made absolute against the working directory, and standardized (`.` and `..` removed).
    ///
    /// ```swift
    /// ProjectPaths.absolute(".snapbench/bin/firecracker")  // "/src/snapbench/.snapbench/bin/firecracker"
    /// ```
    package static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// The first project root that is a git checkout, when there is one.
    package static func repository() -> String? {
        candidateRoots().first { FileManager.default.fileExists(atPath: $0 + "/.git") }
    }
}
