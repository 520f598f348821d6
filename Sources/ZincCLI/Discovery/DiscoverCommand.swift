import ArgumentParser
import Foundation
import Zinc
import ZincCore
import ZincProtocol

struct DiscoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "List the nodes that answer a census over UDP discovery.",
        discussion: """
        Broadcasts a survey (three times, to ride out a lost datagram) on this machine and its
        LAN segments, and lists every node that answers before the deadline: its ID, cluster,
        role, parent, children, term, documents and address. Only nodes started with
        --discover answer. Without NAME every cluster answers. Nodes of a keyed cluster answer
        with their number of documents but not their names.

        Examples:
          zinc discover                  # every cluster in reach
          zinc discover notes --json     # one cluster, for scripts
        """
    )

    @Argument(help: "The cluster to ask (default: every cluster).") var name: String?
    @Option(help: "Seconds to collect answers.") var timeout = 1.0
    @Option(help: "The UDP port the cluster discovers on.") var port: UInt16 = Discovery.defaultPort
    @Flag(help: "Ask this machine's nodes only (loopback), not the LAN.") var local = false
    @Flag(help: "Print JSON: an array of answers.") var json = false

    func validate() throws {
        if let name, !Discovery.isValidName(name) { throw ValidationError("a cluster name is 1–64 bytes without NUL") }
        guard timeout > 0, timeout <= 60 else { throw ValidationError("--timeout must be between 0 and 60 seconds") }
    }

    func run() throws {
        let answers: [SurveyAnswer]
        do {
            answers = try Census(cluster: name ?? "", port: port, localOnly: local).run(for: .milliseconds(Int64(timeout * 1000)))
        } catch {
            throw CLIError("\(error)")
        }
        if json {
            try printJSON(answers.map(CensusEntry.init))
        } else if answers.isEmpty {
            print("no node answered within \(timeout) s on UDP port \(port)" + (name.map { " for cluster \"\($0)\"" } ?? ""))
        } else {
            print(CensusEntry.table(answers.map(CensusEntry.init)))
        }
    }
}

/// A survey in flight: broadcast, then collect answers with its nonce until the deadline.
struct Census {
    let cluster: String
    let port: UInt16
    let localOnly: Bool

    func run(for duration: Duration) throws -> [SurveyAnswer] {
        let socket = try DatagramSocket(port: nil)
        let nonce = UInt64.random(in: 1...UInt64.max)
        let survey = DiscoveryDatagram.survey(Survey(cluster: cluster, nonce: nonce)).encoded
        let clock = ContinuousClock()
        let start = clock.now
        var answers: [ReplicaID: SurveyAnswer] = [:]
        var sent = 0
        while clock.now - start < duration {
            // Three sends spread over the first half of the wait.
            if sent < 3, clock.now - start >= duration / 6 * sent {
                for address in BroadcastTargets.addresses(loopbackOnly: localOnly) {
                    socket.send(survey, to: DatagramSource(host: address, port: port))
                }
                sent += 1
            }
            let nextSend = sent < 3 ? duration / 6 * sent : duration
            guard socket.wait(timeout: min(nextSend, duration) - (clock.now - start)) else { continue }
            while let (bytes, _) = socket.receive() {
                guard case .answer(let answer)? = try? DiscoveryDatagram(decoding: bytes), answer.nonce == nonce else { continue }
                answers[answer.node] = answer
            }
        }
        return answers.values.sorted { ($0.cluster, $0.depth, $0.node) < ($1.cluster, $1.depth, $1.node) }
    }
}

/// One answer as `zinc discover` prints it.
struct CensusEntry: Encodable {
    let id: String
    let cluster: String
    let role: String
    let parent: String?
    let children: UInt32
    let root: String
    let term: UInt64
    let depth: UInt32
    let address: String?
    let documentCount: UInt32
    let documents: [String]

    init(_ answer: SurveyAnswer) {
        id = answer.node.description
        cluster = answer.cluster
        role = switch answer.role {
        case .root: "root"
        case .host: "host"
        case .client: "client"
        case .joining: "joining"
        }
        parent = answer.parent?.description
        children = answer.children
        root = answer.root.description
        term = answer.term
        depth = answer.depth
        address = answer.endpoints?.publish
        documentCount = answer.documentCount
        documents = answer.documents
    }

    static func table(_ entries: [CensusEntry]) -> String {
        var lines = ["ID        CLUSTER          ROLE     PARENT    CHILDREN  TERM  DOCUMENTS  ADDRESS"]
        for entry in entries {
            let named = entry.documents.prefix(3).joined(separator: ", ") + (entry.documentCount > 3 ? ", …" : "")
            let documents = "\(entry.documentCount)" + (entry.documents.isEmpty ? "" : " (\(named))")
            lines.append([
                String(entry.id.prefix(8)).padding(8), entry.cluster.padding(16), entry.role.padding(8),
                (entry.parent.map { String($0.prefix(8)) } ?? "-").padding(8), "\(entry.children)".padding(8), "\(entry.term)".padding(4),
                documents.padding(10), entry.address ?? "(cannot host)",
            ].joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
