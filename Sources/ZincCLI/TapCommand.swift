import ArgumentParser
import Foundation
import Glibc
import ZeroMQ
import Zinc
import ZincCore
import ZincProtocol

struct TapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tap",
        abstract: "Watch the messages a host publishes, decoded, without joining its tree.",
        discussion: """
        Connects a SUB socket to a host's PUB address and prints one line per message: time,
        topic, type, origin, sender, Lamport time, term, payload size and a summary of the
        payload. The tap never sends anything, so the tree does not see it as a member.
        Malformed messages are printed as such (useful for debugging other implementations).

        Examples:
          zinc tap tcp://127.0.0.1:7000
          zinc tap tcp://127.0.0.1:7000 --doc notes --count 20
          zinc tap tcp://127.0.0.1:7000 --json
        """
    )

    @Argument(help: "A host's PUB address.") var address: String
    @Option(help: "Show only this document's traffic (and the tree's control messages).") var doc: String?
    @Option(help: "Stop after this many messages.") var count: Int?
    @Option(help: "Stop after this many seconds.") var seconds: Double?
    @Flag(help: "Print one JSON object per line.") var json = false
    @OptionGroup var credentials: Credentials

    func run() throws {
        let context = try Context()
        let socket = try Socket(.sub, context: context)
        try socket.setOption(.linger, .zero)
        try credentials.configureSubscriber(socket, publish: address, context: context)
        if let doc {
            guard Topic.isValidName(doc) else { throw ValidationError("invalid document ID \(doc)") }
            for topic in [Topic.document(doc).bytes, Topic.tree.bytes, Topic.welcome.bytes] { try socket.subscribe(topic) }
        } else if credentials.cert != nil {
            // A certified host applies no catch-all prefix: ask for what a certificate can cover.
            for topic in [Topic.allDocuments, Topic.tree.bytes, Topic.welcome.bytes, Topic.allApplications] { try socket.subscribe(topic) }
        } else {
            try socket.subscribe([])
        }
        do {
            try socket.connect(address)
        } catch {
            throw CLIError("cannot connect to \(address): \(error.message)")
        }
        let start = ContinuousClock.now
        let deadline = seconds.map { start + .milliseconds(Int64($0 * 1000)) }
        var seen = 0
        while count.map({ seen < $0 }) ?? true {
            if let deadline, ContinuousClock.now >= deadline { break }
            guard let frames = try socket.receiveMessage(timeout: .milliseconds(200)) else { continue }
            let lines = TapLine.lines(frames: frames, at: ContinuousClock.now - start)
            seen += lines.count
            for line in lines { print(json ? line.json : line.text) }
            fflush(nil)
        }
    }
}

/// One decoded message, as the tap prints it.
struct TapLine {
    var fields: [(String, String)] = []

    /// A line per message: one for three frames or a beacon, one for each message of a packed
    /// frame (docs/protocol.md §4), one saying what is wrong with anything else.
    static func lines(frames: [[UInt8]], at elapsed: Duration) -> [TapLine] {
        let inbounds: [Inbound]
        do {
            inbounds = try Inbound.decodingAll(frames: frames, via: .subscriber, maxPayload: 256 << 20)
        } catch {
            return [TapLine(at: elapsed, [("type", "malformed"), ("error", "\(error)"), ("frames", frames.map { "\($0.count)" }.joined(separator: "+"))])]
        }
        return inbounds.enumerated().map { index, inbound in
            switch inbound {
            case .beacon(let beacon):
                return TapLine(at: elapsed, [("topic", "welcome"), ("type", "beacon"), ("node", beacon.node.shortDescription),
                                             ("root", beacon.root.shortDescription), ("term", "\(beacon.term)"), ("depth", "\(beacon.depth)")])
            case .message(let message):
                let header = message.header
                var fields = [
                    ("topic", message.topic.description), ("type", header.type.description),
                    ("origin", header.origin.shortDescription), ("sender", header.sender.shortDescription),
                    ("lamport", "\(header.lamport)"), ("term", "\(header.term)"), ("bytes", "\(message.payload.count)"),
                ]
                if frames.count == 1 { fields.append(("packed", "\(index + 1)/\(inbounds.count)")) }
                return TapLine(at: elapsed, fields + summary(message))
            }
        }
    }

    private init(at elapsed: Duration, _ described: [(String, String)]) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        fields = [("time", String(format: "%.3f", seconds))] + described
    }

    static func summary(_ message: WireMessage) -> [(String, String)] {
        switch message.header.type {
        case .delta:
            guard let fragment = try? DocumentFragment(decoding: message.payload, author: message.header.origin, limits: .default) else { return [("payload", "undecodable")] }
            return [("operations", "\(fragment.operationCount)")]
        case .heartbeat:
            guard let heartbeat = try? Heartbeat(decoding: message.payload) else { return [("payload", "undecodable")] }
            return [("subtree", "\(heartbeat.subtreeSize)"), ("children", "\(heartbeat.children.count)"), ("documents", "\(heartbeat.digests.count)")]
        case .application:
            guard let application = try? ApplicationMessage(decoding: message.payload) else { return [("payload", "undecodable")] }
            return [("channel", application.channel), ("body", "\(application.body.count)")]
        case .transferChunk:
            guard let chunk = try? TransferChunk(decoding: message.payload) else { return [("payload", "undecodable")] }
            return [("document", chunk.document), ("chunk", "\(chunk.index + 1)/\(chunk.count)")]
        case .syncReply:
            guard let reply = try? SyncReply(decoding: message.payload) else { return [("payload", "undecodable")] }
            return [("document", reply.document), ("fragment", "\(reply.fragment.count)")]
        default:
            return []
        }
    }

    var text: String { fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ") }

    var json: String {
        let object = Dictionary(fields, uniquingKeysWith: { first, _ in first })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
