import ArgumentParser
import Foundation
import Zinc

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a node's place in the tree, its documents and counters.",
        discussion: """
        ADMIN is the node's --admin address (or just its port on 127.0.0.1). With --json the
        output is one object with the keys id, name, role (root, host or client), parent (null
        at the root), children, term, depth, lamport, versionVector, documents (each with id,
        length, sha256, operations), counters, link, webSocket (the gateway's URL, or null),
        browsers (the IDs of the browsers connected through it), certificate (a certified node's
        name, role, documents, its parent's certified name and its children's by ID, or null) and refusals (its latest refusals).

        Examples:
          zinc status tcp://127.0.0.1:7900
          zinc status 7900 --json | jq .documents
        """
    )

    @Argument(help: "The node's admin address.") var admin: String
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Seconds to wait for an answer.") var timeout = 3.0
    @OptionGroup var credentials: Credentials

    func run() throws {
        let client = try credentials.adminClient(admin, timeout: timeout)
        let status = try client.status()
        if json {
            try printJSON(status)
            return
        }
        print(StatusText.render(status))
    }
}

/// JSON on stdout, keys sorted, for scripts.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

enum StatusText {
    static func render(_ status: EndpointStatus) -> String {
        var lines: [String] = []
        let name = status.name.map { "\($0) " } ?? ""
        lines.append("node      \(name)\(status.id)")
        lines.append("role      \(status.role.rawValue), term \(status.term), depth \(status.depth), Lamport \(status.lamport)")
        lines.append("parent    \(status.parent?.description ?? "none (this node is the root)")  [\(status.link)]")
        lines.append("children  \(status.children.isEmpty ? "none" : status.children.map(\.shortDescription).joined(separator: " "))")
        if let addresses = status.addresses { lines.append("hosting   \(addresses.publish) (PUB), \(addresses.pull) (PULL)") }
        if let webSocket = status.webSocket { lines.append("browsers  \(status.browsers.count) through \(webSocket)") }
        if let certificate = status.certificate {
            lines.append("certified \(certificate.name), \(certificate.role), documents \(certificate.documents.joined(separator: ","))" + (certificate.parent.map { ", parent certified as \($0)" } ?? ""))
            if !certificate.children.isEmpty {
                lines.append("          children certified as \(certificate.children.values.sorted().joined(separator: ", "))")
            }
        }
        for refusal in status.refusals { lines.append("refused   \(refusal)") }
        lines.append("packing   to children \(status.packing.toChildren ? "yes" : "no"), to parent \(status.packing.toParent ? "yes" : "no")")
        lines.append("documents \(status.documents.isEmpty ? "none" : "")")
        for document in status.documents {
            lines.append("  \(document.id)  length \(document.length)  operations \(document.operations)  sha256 \(document.sha256.prefix(16))…" + (document.pending > 0 ? "  (\(document.pending) held)" : ""))
        }
        let counters = EndpointStatus.Counters.Name.allCases.map { ($0.rawValue, status.counters[$0]) }
            .filter { $0.1 > 0 }.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }
        lines.append("counters  \(counters.joined(separator: " "))")
        return lines.joined(separator: "\n")
    }
}
