import ArgumentParser
import Foundation
import History
import HostSystem
import Reporting

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show a metric over the recorded runs of a scenario, and where it changed.",
        discussion: """
            Every `snapbench run` and `snapbench ab` records its reports in the results store (--store; \
            `history import` loads saved JSON reports). This reads one statistic of one metric over a \
            scenario's runs on real Firecracker, oldest first, per host class (CPU model, cores, KVM flavour, \
            Firecracker version: numbers from different hosts are never one series), and marks the change \
            points E-Divisive means finds in each (Matteson and James 2014: the method MongoDB's performance CI \
            and Apache Otava use), with the commit range each falls in.

            Examples:
              snapbench history --scenario smoke --metric restore_ms --statistic p95
              snapbench history --scenario burst --metric spawn_ms --html burst-spawn.html
              snapbench history import Reports/ nightly/
              snapbench history --scenario smoke --metric restore_ms --store postgres://ci@db/results
            """,
        subcommands: [Show.self, Import.self],
        defaultSubcommand: Show.self
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print the series as a table with its change points (and write an HTML trend page)."
        )

        @OptionGroup var store: StoreOptions

        @Option(help: "The scenario (its name in reports, e.g. smoke or memory-backends.uffd).")
        var scenario: String

        @Option(help: "The metric, e.g. restore_ms, spawn_ms, pool_resident_mb (any a gate can name).")
        var metric: Metric = .restore

        @Option(help: "The statistic: p50, p90, p95, p99, p999, max, min, mean, count (or a gate's).")
        var statistic: Statistic = .p95

        @Option(help: "overall, or a phase's name.")
        var phase: String = "overall"

        @Option(name: .customLong("host-class"), help: "Only this host class (as the table prints it).")
        var hostClass: String?

        @Option(help: "Runs of this backend only: firecracker (simulated numbers make no trend), simulated, or any.")
        var backend: BackendFilter = .firecracker

        @Option(help: ArgumentHelp("Also write a self-contained HTML trend page here.", valueName: "file"))
        var html: String?

        func run() async throws {
            let location = try store.location()
            if let html { try PrivateDirectory.prepareFile(html, role: "trend page", flag: "--html") }
            guard let opened = try await location.open() else {
                throw ValidationError("--store none keeps no history to show")
            }
            let query = SeriesQuery(
                scenario: scenario,
                metric: metric.rawValue,
                statistic: statistic.rawValue,
                phase: phase,
                hostClass: hostClass,
                backend: backend == .any ? nil : backend.rawValue
            )
            let trend: Trend
            do {
                trend = try await TrendBuilder(store: opened).trend(query)
            } catch {
                await opened.close()
                throw error
            }
            await opened.close()
            print(trend.text(), terminator: "")
            if let html {
                try trend.html().write(toFile: html, atomically: true, encoding: .utf8)
                print("trend page: \(html)")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Load saved run reports (JSON files, or directories searched for them) into the store.",
            discussion: "Idempotent: a report kept already is counted, not added again."
        )

        @OptionGroup var store: StoreOptions

        @Argument(help: ArgumentHelp("Report files or directories.", valueName: "path"))
        var paths: [String]

        func run() async throws {
            guard let opened = try await store.location().open() else {
                throw ValidationError("--store none: nowhere to import into")
            }
            let outcome = try await ReportImporter(store: opened).importReports(from: paths)
            await opened.close()
            for skipped in outcome.skipped { print("skipped \(skipped)") }
            print("imported \(outcome.added) new runs into \(opened); \(outcome.alreadyKept) were kept already")
        }
    }
}

/// Which runs `history` reads by backend.
enum BackendFilter: String, CaseIterable, ExpressibleByArgument {
    case firecracker
    case simulated
    case any
}

extension Metric: ExpressibleByArgument {}
extension Statistic: ExpressibleByArgument {}
