import ArgumentParser
import Zinc

struct TrimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trim",
        abstract: "Drop a document's history below the version every member of the tree holds.",
        discussion: """
        The node keeps its document and every version from the floor on (zinc doc --at); versions
        before it can no longer be rebuilt there, and a replica that comes back from below it gets
        a snapshot instead of the operations. Nothing the tree holds is lost. Nodes learn what
        every member holds from reports that go round the tree once a second, and also trim on
        their own when the history outgrows the document (--history-trimming automatic, the
        default; docs/guarantees.md, "Trimming history"). A node started with
        --history-trimming never refuses.

        Examples:
          zinc trim 7900 notes
          zinc trim 7900 notes --json
        """
    )

    @Argument(help: "The node's admin address.") var admin: String
    @Argument(help: "The document ID.") var document: String
    @Flag(help: "Print JSON: {trimmed, historyFloor, operations}.") var json = false
    @Option(help: "Seconds to wait for an answer.") var timeout = 10.0
    @OptionGroup var credentials: Credentials

    struct Output: Encodable {
        var trimmed: Bool
        var historyFloor: [String: UInt64]
        var operations: UInt64
    }

    func run() throws {
        let client = try credentials.adminClient(admin, timeout: timeout)
        let (trimmed, content) = try client.trim(document)
        if json {
            try printJSON(Output(trimmed: trimmed, historyFloor: content.historyFloor ?? [:], operations: content.operations))
        } else {
            print(trimmed ? "trimmed: history now starts at \(content.historyFloor ?? [:])" : "nothing to trim (a member of the tree still lacks the history, or it is already trimmed)")
        }
    }
}
