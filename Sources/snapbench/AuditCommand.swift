import ArgumentParser
import Foundation
import Reporting
import SnapshotPool

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the snapshot pool's hash-chained audit log.",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every line of an audit log, and that it ends where its run's report says it ended.",
            discussion: """
                Checks every line: valid JSON, sequence 0, 1, 2… and the hash chain; prints the record count, the \
                count per event and the last line's hash. The chain shows edits, removals and reordering inside \
                the file, but not lines cut from its end: for that, give the run's report (--report, whose \
                `audit` field holds the count and last hash the run saw) or the figures themselves (--records and \
                --last-hash). Given the log alone, it says plainly that the end is unanchored. A pool's log ends \
                with its shutdown record; one that does not is reported too.

                Examples:
                  snapbench audit verify Reports/smoke.audit.jsonl --report Reports/smoke.json
                  snapbench audit verify pool.audit.jsonl --records 348 --last-hash 3fa2…

                Exit codes: 0 the log verifies (and ends where it should); 1 it does not; 3 invalid input.
                """
        )

        @Argument(help: ArgumentHelp("The audit log (JSON Lines).", valueName: "path"))
        var path: String

        @Option(help: ArgumentHelp("The run report that anchors the log's end.", valueName: "run.json"))
        var report: String?

        @Option(help: ArgumentHelp("The record count the log must hold.", valueName: "n"))
        var records: Int?

        @Option(
            name: .customLong("last-hash"),
            help: ArgumentHelp("The hash its last line must have.", valueName: "hex")
        )
        var lastHash: String?

        func validate() throws {
            if (records == nil) != (lastHash == nil) {
                throw ValidationError("--records and --last-hash go together")
            }
            if report != nil, records != nil {
                throw ValidationError("give --report or --records with --last-hash, not both")
            }
        }

        func run() async throws {
            let end: AuditLogEnd?
            do {
                end = try anchor()
            } catch {
                FileHandle.standardError.write(Data("snapbench: invalid input: \(error)\n".utf8))
                throw ExitCode(.invalidInput)
            }
            let result: AuditVerification
            do {
                result = try end.map { try AuditLog.verify(path: path, end: $0) } ?? AuditLog.verify(path: path)
            } catch let error as AuditLogError {
                print("audit log damaged: \(error)")
                throw ExitCode(.failure)
            }
            print("ok: \(result.recordCount) records, chain intact")
            print("last hash \(result.lastHash)")
            if end != nil {
                print("end anchored: the log ends where its run recorded it")
            } else {
                print("end UNANCHORED: records cut from the end cannot be detected without --report or --last-hash")
            }
            if !result.endsWithShutdown {
                print("the log does not end with the pool's shutdown record: its pool did not drain, or it was cut")
            }
            if !result.countsByEvent.isEmpty {
                var table = TextTable(columns: ["event", "count"], alignments: [.left, .right])
                for (event, count) in result.countsByEvent.sorted(by: { $0.key < $1.key }) {
                    table.append([event.rawValue, String(count)])
                }
                print("")
                print(table.render())
            }
            if !result.endsWithShutdown { throw ExitCode(.failure) }
        }

        /// The end the log must have, from the report or the options.
        private func anchor() throws -> AuditLogEnd? {
            if let records, let lastHash { return AuditLogEnd(records: records, lastHash: lastHash) }
            guard let report else { return nil }
            guard let audit = try RunReport.readJSON(from: report).audit else {
                throw ValidationError("\(report) holds no audit anchor (written before reports kept one)")
            }
            return AuditLogEnd(records: audit.records, lastHash: audit.lastHash)
        }
    }
}
