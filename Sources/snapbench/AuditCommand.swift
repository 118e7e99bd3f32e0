import ArgumentParser
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
            abstract: "Check every line of an audit log: valid JSON, sequence 0, 1, 2… and the hash chain.",
            discussion: """
                Prints the record count, the count per event and the last line's hash. Keep that hash elsewhere
                (a report, a ticket): the chain shows edits, removals and reordering inside the file, but only a
                hash kept outside it shows lines cut from the end. Exits non-zero at the first damaged line.

                Example: snapbench audit verify /tmp/snapbench/audit.jsonl
                """
        )

        @Argument(help: ArgumentHelp("The audit log (JSON Lines).", valueName: "path"))
        var path: String

        func run() async throws {
            let result: AuditVerification
            do {
                result = try AuditLog.verify(path: path)
            } catch let error as AuditLogError {
                print("audit log damaged: \(error)")
                throw ExitCode.failure
            }
            print("ok: \(result.recordCount) records, chain intact")
            print("last hash \(result.lastHash)")
            guard !result.countsByEvent.isEmpty else { return }
            var table = TextTable(columns: ["event", "count"], alignments: [.left, .right])
            for (event, count) in result.countsByEvent.sorted(by: { $0.key < $1.key }) {
                table.append([event.rawValue, String(count)])
            }
            print("")
            print(table.render())
        }
    }
}
