import ArgumentParser
import Zinc

struct DocCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doc",
        abstract: "Print a document's text as a node holds it.",
        discussion: """
        Prints the text and nothing else (no trailing newline is added), so the output can be
        compared byte for byte. --json adds the length, SHA-256, version vector and root map.

        Examples:
          zinc doc tcp://127.0.0.1:7900 notes
          zinc doc 7900 notes --json
        """
    )

    @Argument(help: "The node's admin address.") var admin: String
    @Argument(help: "The document ID.") var document: String
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Seconds to wait for an answer.") var timeout = 3.0
    @Option(help: "The cluster key file, for a keyed node.") var key: String?

    func run() throws {
        let client = AdminClient(address: try AdminAddress.resolve(admin), timeout: .milliseconds(Int64(timeout * 1000)), key: try loadKey(key))
        let content = try client.document(document)
        if json {
            try printJSON(content)
        } else {
            print(content.text, terminator: "")
        }
    }
}
