import Foundation
import HostSystem
import Subprocess
import SystemPackage

/// One side of an A/B comparison: a snapbench executable, given as a path or built from a git revision.
///
/// ```swift
/// let base = try await BuildUnderTest.resolve("main", repository: ".", cache: ".snapbench/ab-builds") { print($0) }
/// base.executable  // ".snapbench/ab-builds/3f2a…/.build/release/snapbench"
/// ```
package struct BuildUnderTest: Sendable, Equatable {
    /// What the user gave.
    package var specification: String
    /// The executable that runs.
    package var executable: String
    /// The commit it was built from, when it was built from one.
    package var commit: String?
    /// Arguments added to each of its runs (a setting compared on one build, e.g. `--hedging on`).
    package var runArguments: [String] = []

    package init(specification: String, executable: String, commit: String?, runArguments: [String] = []) {
        self.specification = specification
        self.executable = executable
        self.commit = commit
        self.runArguments = runArguments
    }

    /// A label for reports: the commit's first 12 characters, or the path; and the arguments added to its runs.
    package var label: String {
        let build = commit.map { String($0.prefix(12)) } ?? executable
        return runArguments.isEmpty ? build : build + " " + runArguments.joined(separator: " ")
    }

    /// An executable path as it is; anything else as a git revision of `repository`, checked out into
    /// `cache/<commit>` and built in release mode there (once: a cached build is reused).
    ///
    /// - Throws: ``ABError`` when it is neither an executable nor a revision, or the build fails.
    package static func resolve(
        _ specification: String,
        repository: String,
        cache: String,
        progress: @Sendable (String) -> Void
    ) async throws -> BuildUnderTest {
        // Absolute once, here: the build runs with its own directory as the working directory, where a relative
        // cache would be resolved a second time.
        let cache = ProjectPaths.absolute(cache)
        let repository = ProjectPaths.absolute(repository)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: specification, isDirectory: &isDirectory), !isDirectory.boolValue {
            guard FileManager.default.isExecutableFile(atPath: specification) else {
                throw ABError("\(specification) is a file but not executable")
            }
            return BuildUnderTest(
                specification: specification,
                executable: URL(fileURLWithPath: specification).standardizedFileURL.path,
                commit: nil
            )
        }
        let commit = try await git(["rev-parse", "--verify", "--quiet", "\(specification)^{commit}"], in: repository)
        guard let commit, !commit.isEmpty else {
            throw ABError(
                "\(specification) is neither an executable nor a git revision of \(repository) "
                    + "(give a path to a snapbench binary, or a commit, branch or tag)"
            )
        }
        let directory = cache + "/" + commit
        let executable = directory + "/.build/release/snapbench"
        if FileManager.default.isExecutableFile(atPath: executable) {
            progress("\(specification): using the build of \(commit.prefix(12)) in \(directory)")
            return BuildUnderTest(specification: specification, executable: executable, commit: commit)
        }
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        progress("\(specification): checking out \(commit.prefix(12)) into \(directory)")
        // `git archive` rather than a worktree: nothing is registered in the repository, and the cache can be
        // deleted at will.
        let archive = directory + ".tar"
        defer { try? FileManager.default.removeItem(atPath: archive) }
        guard try await git(["archive", "--format=tar", "-o", archive, commit], in: repository) != nil,
            try await run("/bin/tar", ["-xf", archive, "-C", directory], in: repository).status == 0
        else { throw ABError("cannot check out \(commit) of \(repository)") }
        progress("\(specification): building \(commit.prefix(12)) (swift build -c release; minutes on a cold cache)")
        let build = try await run(
            "/usr/bin/env",
            ["swift", "build", "-c", "release", "--package-path", directory],
            in: directory
        )
        guard build.status == 0, FileManager.default.isExecutableFile(atPath: executable) else {
            throw ABError("building \(specification) (\(commit.prefix(12))) failed:\n\(build.output.suffix(2_000))")
        }
        return BuildUnderTest(specification: specification, executable: executable, commit: commit)
    }

    private static func git(_ arguments: [String], in directory: String) async throws -> String? {
        let result = try await run("/usr/bin/env", ["git", "-C", directory] + arguments, in: directory)
        return result.status == 0 ? result.output.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    static func run(
        _ executable: String,
        _ arguments: [String],
        in directory: String
    ) async throws -> (status: Int32, output: String) {
        let result = try await Subprocess.run(
            .path(FilePath(executable)),
            arguments: Arguments(arguments),
            workingDirectory: FilePath(directory),
            output: .string(limit: 4 << 20),
            error: .string(limit: 4 << 20)
        )
        let status: Int32
        switch result.terminationStatus {
        case .exited(let code): status = code
        case .signaled(let signal): status = 128 + signal
        }
        return (status, result.standardOutput + result.standardError)
    }
}

/// Why an A/B comparison could not run.
package struct ABError: Error, Sendable, CustomStringConvertible {
    package var message: String

    package init(_ message: String) {
        self.message = message
    }

    package var description: String { message }
}
