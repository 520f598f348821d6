import ArgumentParser
import Foundation
import Zinc

struct EditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract: "Make a local edit at a node (creating the document there if it is new).",
        discussion: """
        Positions and lengths count Unicode scalars. The command returns once the node has
        applied the edit; the tree then carries it to every other node.

        Examples:
          zinc edit 7900 notes insert 0 "Hello, world"
          zinc edit 7900 notes delete 5 7
          zinc edit 7900 notes set title '"Minutes"'
          zinc edit 7900 notes set tags '["a", "b"]'
        """
    )

    @Argument(help: "The node's admin address.") var admin: String
    @Argument(help: "The document ID.") var document: String
    @Argument(help: "insert POS TEXT | delete POS LEN | set KEY JSON") var action: String
    @Argument(help: "The action's arguments.") var arguments: [String] = []
    @Flag(help: "Print the result as JSON.") var json = false
    @Option(help: "Seconds to wait for an answer.") var timeout = 3.0
    @OptionGroup var credentials: Credentials

    func request() throws -> AdminRequest {
        switch (action, arguments.count) {
        case ("insert", 2):
            guard let position = Int(arguments[0]) else { throw ValidationError("insert: POS must be a number, not \(arguments[0])") }
            return .insert(arguments[1], at: position, in: document)
        case ("delete", 2):
            guard let position = Int(arguments[0]), let length = Int(arguments[1]) else {
                throw ValidationError("delete: POS and LEN must be numbers")
            }
            return .delete(at: position, length: length, in: document)
        case ("set", 2):
            let value: JSONValue
            do {
                value = try JSONDecoder().decode(JSONValue.self, from: Data(arguments[1].utf8))
            } catch {
                throw ValidationError("set: \(arguments[1]) is not JSON (a string needs quotes: '\"text\"')")
            }
            return .set(arguments[0], to: value, in: document)
        case ("insert", _): throw ValidationError("usage: zinc edit ADMIN DOC insert POS TEXT")
        case ("delete", _): throw ValidationError("usage: zinc edit ADMIN DOC delete POS LEN")
        case ("set", _): throw ValidationError("usage: zinc edit ADMIN DOC set KEY JSON")
        default: throw ValidationError("unknown action \(action): use insert, delete or set")
        }
    }

    func run() throws {
        let request = try request()
        let client = try credentials.adminClient(admin, timeout: timeout)
        guard let result = try client.send(request).edit else { throw CLIError("the node did not report the edit") }
        if json {
            try printJSON(result)
        } else {
            print("ok: \(result.operations) operation\(result.operations == 1 ? "" : "s"), length now \(result.length)")
        }
    }
}
