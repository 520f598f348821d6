import ArgumentParser
import Foundation
import Zinc

struct DocCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doc",
        abstract: "Print a document's text as a node holds it.",
        discussion: """
        Prints the text and nothing else (no trailing newline is added), so the output can be
        compared byte for byte. --json adds the length, SHA-256, version vector and root map.
        --at shows the document as it was at a version: a JSON object from replica UUIDs to
        operation counts, as `zinc status --json` reports a document's versionVector and
        `zinc history --json` lists one per transaction.

        Examples:
          zinc doc tcp://127.0.0.1:7900 notes
          zinc doc 7900 notes --json
          zinc doc 7900 notes --at '{"8f0c…": 12, "1a2b…": 40}'
        """
    )

    @Argument(help: "The node's admin address.") var admin: String
    @Argument(help: "The document ID.") var document: String
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Seconds to wait for an answer.") var timeout = 3.0
    @OptionGroup var credentials: Credentials
    @Option(help: "Show the document at this version (a JSON object of replica UUIDs to operation counts).") var at: String?

    func run() throws {
        let client = try credentials.adminClient(admin, timeout: timeout)
        let version: VersionVector?
        do {
            version = try at.map { try JSONDecoder().decode(VersionVector.self, from: Data($0.utf8)) }
        } catch {
            throw ValidationError("--at takes a JSON object of replica UUIDs to operation counts, as `zinc status --json` shows: \(error)")
        }
        let content = try client.document(document, at: version)
        if json {
            try printJSON(content)
        } else {
            print(content.text, terminator: "")
        }
    }
}
