import Foundation
import TestSupport
import Testing

/// The repository stands on its own: no file points at the development machines' shared notes beside the
/// checkout (absent from every clone), and every relative link in its Markdown lands on a file inside it.
@Suite("Links stay inside the repository")
struct RepositoryLinksTests {
    /// Every file of the checkout but build products, caches and Git's own.
    static func files() throws -> [String] {
        let root = TestEnvironment.packageRoot
        let skipped: Set<String> = [".build", ".git", ".snapbench", ".swiftpm", "Reports"]
        var found: [String] = []
        let enumerator = try #require(FileManager.default.enumerator(atPath: root))
        while let path = enumerator.nextObject() as? String {
            if skipped.contains(path.split(separator: "/").first.map(String.init) ?? "") {
                enumerator.skipDescendants()
                continue
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                found.append(path)
            }
        }
        return found
    }

    @Test("no file names the shared notes directory beside the checkout")
    func noSharedPaths() throws {
        let root = TestEnvironment.packageRoot
        let offenders = try Self.files().filter { path in
            guard let text = try? String(contentsOfFile: root + "/" + path, encoding: .utf8) else { return false }
            return text.contains("../" + "shared")
        }
        #expect(offenders.isEmpty, "\(offenders)")
    }

    @Test("every relative Markdown link lands on a file inside the repository")
    func markdownLinks() throws {
        let root = URL(fileURLWithPath: TestEnvironment.packageRoot).standardizedFileURL.path
        let link = /\]\(([^)\s]+)\)/
        var broken: [String] = []
        for path in try Self.files() where path.hasSuffix(".md") {
            let text = try String(contentsOfFile: root + "/" + path, encoding: .utf8)
            let directory = URL(fileURLWithPath: root + "/" + path).deletingLastPathComponent()
            for match in text.matches(of: link) {
                let target = String(match.output.1)
                if target.contains("://") || target.hasPrefix("#") || target.hasPrefix("mailto:") { continue }
                let file = String(target.split(separator: "#", maxSplits: 1).first ?? "")
                let resolved = directory.appendingPathComponent(file).standardizedFileURL.path
                if !resolved.hasPrefix(root + "/") && resolved != root
                    || !FileManager.default.fileExists(atPath: resolved)
                {
                    broken.append("\(path): \(target)")
                }
            }
        }
        #expect(broken.isEmpty, "\(broken)")
    }
}
