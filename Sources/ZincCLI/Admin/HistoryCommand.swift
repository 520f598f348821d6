import ArgumentParser
import Zinc
import ZincBench

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List a document's transactions, oldest first, as a node holds them.",
        discussion: """
        One line per transaction (a transaction made at a node, or a delta as it arrived; what
        arrived in one sync is one entry): its Lamport times, author, size in operations, and
        the version right after it, to pass to `zinc doc --at`.

        Examples:
          zinc history 7900 notes
          zinc history 7900 notes --json
          zinc doc 7900 notes --at "$(zinc history 7900 notes --json | jq -c '.[3].version')"
        """
    )

    @Argument(help: "The node's admin address.") var admin: String
    @Argument(help: "The document ID.") var document: String
    @Flag(help: "Print JSON: an array of {version, author, lamport, size}.") var json = false
    @Option(help: "Seconds to wait for an answer.") var timeout = 3.0
    @OptionGroup var credentials: Credentials

    func run() throws {
        let client = try credentials.adminClient(admin, timeout: timeout)
        let history = try client.history(document)
        if json {
            try printJSON(history)
            return
        }
        var table = TextTable(["#", "lamport", "author", "ops", "version"])
        for (index, line) in history.enumerated() {
            let version = line.version.counters.sorted { $0.key < $1.key }.map { "\($0.key.shortDescription):\($0.value)" }.joined(separator: " ")
            table.add(["\(index)", "\(line.lamport[0])–\(line.lamport[1])", line.author.shortDescription, "\(line.size)", version])
        }
        print(table.render())
    }
}
