import Foundation
import Glibc
import HostSystem
import Testing

/// A throwaway directory for fake install prefixes and checkouts, its path free of symbolic links so that
/// paths built below it compare equal to the ones the search resolves.
private struct Scratch {
    let root: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let path = base + "/sbt-layout-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        root = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// Creates `relative` below the root, with its directories.
    @discardableResult
    func file(_ relative: String, contents: String = "x\n") throws -> String {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
            withIntermediateDirectories: true
        )
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

@Suite("The install layout: what an installed snapbench finds, and in which order")
struct InstallLayoutTests {
    @Test("the running executable is read from /proc/self/exe: an absolute path, links resolved, not argv[0]")
    func currentExecutable() throws {
        let path = try #require(ProjectPaths.currentExecutable())
        #expect(path.hasPrefix("/"))
        #expect(access(path, X_OK) == 0)
        #expect(URL(fileURLWithPath: path).resolvingSymlinksInPath().path == path)
    }

    @Test("the install prefix is two levels above the executable; checkout roots are the working directory and up")
    func prefixAndRoots() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(ProjectPaths.installPrefix(ofExecutable: "/opt/sb/bin/snapbench") == "/opt/sb")
        let executable = try scratch.file("src/.build/debug/snapbench")
        let roots = ProjectPaths.candidateRoots(workingDirectory: "/work", executablePath: executable)
        #expect(
            roots.prefix(4) == [
                "/work", scratch.root + "/src/.build/debug", scratch.root + "/src/.build", scratch.root + "/src",
            ]
        )
        #expect(roots.count == 6)
        #expect(ProjectPaths.candidateRoots(workingDirectory: "/work", executablePath: nil) == ["/work"])
        #expect(ProjectPaths.candidateRoots().first == FileManager.default.currentDirectoryPath)
    }

    @Test("search order: $SNAPBENCH_HOME as a prefix then as a checkout, the executable's prefix, the checkout roots")
    func order() {
        let paths = ProjectPaths.searchPaths(
            installed: ProjectPaths.installedFirecracker,
            checkout: ProjectPaths.firecracker,
            environment: [ProjectPaths.homeEnvironmentVariable: "/home-dir"],
            executablePath: "/usr/local/bin/snapbench",
            projectRoots: ["/work", "/src", "/work"]
        )
        #expect(
            paths == [
                "/home-dir/libexec/snapbench/firecracker", "/home-dir/.snapbench/bin/firecracker",
                "/usr/local/libexec/snapbench/firecracker", "/work/.snapbench/bin/firecracker",
                "/src/.snapbench/bin/firecracker",
            ]
        )
        // Without SNAPBENCH_HOME (or with it empty) and without an executable, only the checkout roots.
        #expect(
            ProjectPaths.searchPaths(
                installed: ProjectPaths.installedGuest,
                checkout: ProjectPaths.guest,
                environment: [ProjectPaths.homeEnvironmentVariable: ""],
                executablePath: nil,
                projectRoots: ["/work"]
            ) == ["/work/.snapbench/guest/snapbench-guest.elf"]
        )
        #expect(
            ProjectPaths.dataRoots(environment: [:], executablePath: "/usr/local/bin/snapbench", projectRoots: ["/w"])
                == ["/usr/local/share/snapbench", "/w"]
        )
    }

    @Test("a scenario is found in the executable's install prefix before the checkout; SNAPBENCH_HOME wins over both")
    func scenarios() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let executable = try scratch.file("prefix/bin/snapbench")
        let installed = try scratch.file("prefix/share/snapbench/Scenarios/smoke.yaml")
        let checkedOut = try scratch.file("checkout/Scenarios/smoke.yaml")
        let homePrefix = try scratch.file("home/share/snapbench/Scenarios/smoke.yaml")
        let homeCheckout = try scratch.file("home-checkout/Scenarios/smoke.yaml")
        func find(_ environment: [String: String], from executablePath: String?) throws -> String {
            try ProjectPaths.locateScenario(
                named: "smoke",
                environment: environment,
                executablePath: executablePath,
                projectRoots: [scratch.root + "/checkout"]
            )
        }

        #expect(try find([:], from: executable) == installed)
        #expect(try find([:], from: nil) == checkedOut)
        let home = ProjectPaths.homeEnvironmentVariable
        #expect(try find([home: scratch.root + "/home"], from: executable) == homePrefix)
        #expect(try find([home: scratch.root + "/home-checkout"], from: executable) == homeCheckout)
    }

    @Test("a scenario found nowhere is NotFound naming every path searched, the install layout's first")
    func scenarioMissing() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let executable = try scratch.file("prefix/bin/snapbench")
        let error = try #require(throws: ProjectPaths.NotFound.self) {
            try ProjectPaths.locateScenario(
                named: "smoke",
                environment: [:],
                executablePath: executable,
                projectRoots: [scratch.root + "/empty"]
            )
        }
        let searched = [
            scratch.root + "/prefix/share/snapbench/Scenarios/smoke.yaml", scratch.root + "/empty/Scenarios/smoke.yaml",
        ]
        #expect(error.searched == searched)
        #expect("\(error)" == "no Scenarios/smoke.yaml (searched: \(searched.joined(separator: ", ")))")
    }
}
