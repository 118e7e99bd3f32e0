import ArgumentParser
import Foundation
import History
import HostSystem
import Reporting

/// Where run reports are recorded (`--store`), shared by `run`, `ab` and `history`.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("store"),
        help: ArgumentHelp(
            "The results store: postgres://user[:password]@host[:port]/database, sqlite:PATH (or a path), or none "
                + "(default: $SNAPBENCH_STORE, else $XDG_DATA_HOME/snapbench/results.sqlite).",
            valueName: "url"
        )
    )
    var store: String?

    /// The location `--store` and the environment name; a SQLite file's directory made and checked
    /// (``PrivateDirectory``), so that the store is never written where another user chose.
    func location() throws -> StoreLocation {
        let location = try StoreLocation.resolve(option: store, environment: ProcessInfo.processInfo.environment)
        if case .sqlite(let path) = location {
            return .sqlite(path: try PrivateDirectory.prepareFile(path, role: "results store", flag: "--store"))
        }
        return location
    }
}

/// Records run reports in the results store for the length of a command, opening it on first use.
///
/// A store that is down or refuses a write never loses a run: its JSON is already written, the failure is
/// printed once per run, and ``failed`` turns a clean exit into ``ExitStatus/storeFailed``.
actor RunRecorderStore {
    private let location: StoreLocation
    private var store: (any ResultsStore)?
    private var openError: String?
    private var opened = false
    private(set) var failed = false

    init(location: StoreLocation) {
        self.location = location
    }

    /// Records `report`; prints where, or why not.
    func record(_ report: RunReport) async {
        if case .none = location { return }
        if !opened {
            opened = true
            do {
                store = try await location.open()
            } catch {
                openError = "\(error)"
            }
        }
        guard let store else {
            failed = true
            print("   results store: NOT RECORDED: \(openError ?? "no store") (the JSON report is written)")
            return
        }
        do {
            let run = try StoredRun(report: report)
            let added = try await store.record(run)
            print("   results store: \(added ? "recorded" : "already kept") run \(run.id.prefix(12)) in \(store)")
        } catch {
            failed = true
            print("   results store: NOT RECORDED: \(error) (the JSON report is written)")
        }
    }

    /// The exit status once the store's outcome is counted: a clean run whose record failed is 6.
    func adjust(_ status: ExitStatus) -> ExitStatus {
        failed && status == .success ? .storeFailed : status
    }

    func close() async {
        await store?.close()
    }
}
