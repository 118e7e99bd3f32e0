import ArgumentParser
import Foundation
import HostSystem
import Reporting

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render saved run reports (JSON) as HTML, JUnit XML and Markdown.",
        discussion: """
            Each RUN is a JSON report written by `snapbench run`. Its renderings go
            beside it, or into --output, as <name>.html, <name>.junit.xml and
            <name>.md, where <name> is the JSON file's name without `.json`.

            Examples:
              snapbench report Reports/smoke.json
              snapbench report Reports/*.json --output /tmp/site --format html
              snapbench report run.json --format junit,markdown

            Exit codes: 0 every report was written; 1 a file could not be written;
            3 invalid input (a file that is missing or is not a run report, an
            unknown format): nothing was written.
            """
    )

    @Argument(help: ArgumentHelp("Saved JSON reports.", valueName: "run.json"))
    var runs: [String]

    @Option(help: ArgumentHelp("Directory to write to (default: beside each JSON file).", valueName: "dir"))
    var output: String?

    @Option(
        name: .customLong("format"),
        help: ArgumentHelp(
            "Comma-separated formats: html, junit, markdown (json re-writes the model).",
            valueName: "formats"
        ),
        transform: { try ReportFormat.parseList($0) }
    )
    var formats: [ReportFormat] = ReportFormat.renderings

    func run() throws {
        // Every input is read before anything is written: bad input is exit code 3 with nothing changed.
        var reports: [(path: String, report: RunReport)] = []
        do {
            for path in runs {
                reports.append((path, try Self.read(path)))
                let url = URL(fileURLWithPath: path)
                if let problem = FileName.problem(url.deletingPathExtension().lastPathComponent) {
                    throw ValidationError("\(path): its file name \(problem)")
                }
                try PrivateDirectory.prepare(
                    output ?? url.deletingLastPathComponent().path,
                    role: "directory the reports are written to",
                    flag: "--output"
                )
            }
        } catch {
            FileHandle.standardError.write(Data("snapbench: invalid input: \(error)\n".utf8))
            throw ExitCode(.invalidInput)
        }
        for (path, report) in reports {
            let url = URL(fileURLWithPath: path)
            let name = url.deletingPathExtension().lastPathComponent
            let directory = output ?? url.deletingLastPathComponent().path
            do {
                for written in try report.write(formats, to: directory, name: name) { print(written) }
            } catch {
                FileHandle.standardError.write(Data("snapbench: cannot write the reports of \(path): \(error)\n".utf8))
                throw ExitCode(.failure)
            }
        }
    }

    /// Reads one report, with an error that names the file and says what is wrong with it.
    static func read(_ path: String) throws -> RunReport {
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("\(path): no such file") }
        return try ReportLoader.read(path).report
    }
}
