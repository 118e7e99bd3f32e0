import Foundation
import Reporting
import TestSupport
import Testing

/// Where Debian's `chromium` (or another Chromium build) is, if installed; scripts/setup installs it.
private let chromium: String? = {
    let candidates = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
    let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
    for name in candidates {
        for directory in directories where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
    }
    print(
        "⚠️⚠️⚠️ CHROMIUM IS NOT INSTALLED: the headless-browser tests of the HTML report are DISABLED. Run scripts/setup."
    )
    return nil
}()

/// What one headless Chromium run printed and produced.
private struct BrowserRun {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Lines where the page's console reported an error or an exception went uncaught.
    var consoleErrors: [String] {
        stderr.split(separator: "\n").map(String.init).filter {
            $0.contains("CONSOLE") || $0.contains("Uncaught") || $0.contains("ERR_FILE_NOT_FOUND")
                || $0.contains("net::ERR_")
        }
    }
}

/// Runs headless Chromium on a file URL with `arguments`; output goes to files, never to undrained pipes.
private func browse(_ html: URL, _ arguments: [String], in directory: URL) throws -> BrowserRun {
    let out = directory.appendingPathComponent("chromium-\(UUID().uuidString).out")
    let err = directory.appendingPathComponent("chromium-\(UUID().uuidString).err")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try #require(chromium))
    process.arguments =
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--user-data-dir=\(directory.appendingPathComponent("profile-\(UUID().uuidString)").path)",
        ] + arguments + [html.absoluteString]
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    try process.run()
    // A browser that hangs must not hang the suite.
    let deadline = Date().addingTimeInterval(90)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    return BrowserRun(
        status: process.terminationStatus,
        stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? ""
    )
}

@Suite("HTML pages in headless Chromium", .serialized, .enabled(if: chromium != nil, "chromium is not installed"))
struct ChromiumTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "snapbench-chromium-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private func page(_ html: String, name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(html.utf8).write(to: url)
        return url
    }

    @Test(
        "the report loads without console errors, every chart is in the DOM, and a screenshot is taken",
        .timeLimit(.minutes(3))
    )
    func screenshot() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try page(ReportFixtures.rendered(scenario: "fixture <&>").html(), name: "report.html")
        let dom = try browse(url, ["--enable-logging=stderr", "--v=0", "--dump-dom"], in: directory)
        #expect(dom.status == 0)
        #expect(dom.consoleErrors.isEmpty, "console: \(dom.consoleErrors)")
        // Chromium's parser, not ours, found every chart and the escaped title.
        #expect(dom.stdout.components(separatedBy: "<svg").count - 1 == 8)
        #expect(dom.stdout.contains("snapbench · fixture &lt;&amp;&gt;</h1>"))

        try takeScreenshot(url, height: 4000, keep: "SNAPBENCH_KEEP_SCREENSHOT")
    }

    @Test(
        "the comparison page loads without console errors, both charts are in the DOM, and a screenshot is taken",
        .timeLimit(.minutes(3))
    )
    func comparison() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try page(ComparisonFixture.report().html(), name: "compare.html")
        let dom = try browse(url, ["--enable-logging=stderr", "--v=0", "--dump-dom"], in: directory)
        #expect(dom.status == 0)
        #expect(dom.consoleErrors.isEmpty, "console: \(dom.consoleErrors)")
        #expect(dom.stdout.components(separatedBy: "<svg").count - 1 == 2)
        #expect(dom.stdout.contains("<span class=\"verdict fail\">REGRESSED</span>"))
        #expect(dom.stdout.contains("base/&lt;smoke&gt;.json"))
        try takeScreenshot(url, height: 2000, keep: "SNAPBENCH_KEEP_COMPARE_SCREENSHOT")
    }

    /// Screenshots `url` 1280 px wide, checks the PNG, and copies it where the environment variable `keep`
    /// says, when set.
    private func takeScreenshot(_ url: URL, height expectedHeight: Int, keep: String) throws {
        let png = directory.appendingPathComponent(url.deletingPathExtension().lastPathComponent + ".png")
        let shot = try browse(
            url,
            ["--screenshot=\(png.path)", "--window-size=1280,\(expectedHeight)", "--hide-scrollbars"],
            in: directory
        )
        #expect(shot.status == 0)
        let data = try Data(contentsOf: png)
        #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        // IHDR: width and height, big-endian, at bytes 16–23.
        let width = data[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let height = data[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 1280 && height == expectedHeight)
        // A blank or error page compresses to a few KiB; charts and tables do not.
        #expect(data.count > 60_000, "screenshot is only \(data.count) bytes")
        if let keep = ProcessInfo.processInfo.environment[keep] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(at: png, to: URL(fileURLWithPath: keep))
        }
    }

    @Test(
        "the console check catches a page that throws (so its silence above means something)",
        .timeLimit(.minutes(2))
    )
    func control() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try page(
            "<!DOCTYPE html><html><body><p>x</p><script>throw new Error('boom-control')</script></body></html>",
            name: "broken.html"
        )
        let run = try browse(url, ["--enable-logging=stderr", "--v=0", "--dump-dom"], in: directory)
        #expect(run.consoleErrors.contains { $0.contains("boom-control") })
    }
}
