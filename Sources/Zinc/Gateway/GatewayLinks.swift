import ZincCore
import ZincProtocol

/// The gateway's connections as the I/O thread keeps them: what each has subscribed, which node
/// it speaks for, and the fan-out of what the node publishes to them, as an XPUB socket does for
/// ZeroMQ children (docs/protocol.md §23). A connection speaks for one node: the node its first
/// `N` subscription names; a message whose sender is another node is refused.
final class GatewayLinks {
    /// What the machine must hear of the gateway's traffic.
    enum Input {
        case message(Inbound)
        /// A node topic subscribed or unsubscribed (the welcome waits for it, as on an XPUB).
        case subscription([UInt8], subscribed: Bool)
        /// The connection of this browser closed: it has left.
        case closed(ReplicaID)
        /// A frame refused: counted and logged by the shell.
        case problem(String, from: ReplicaID?)
    }

    private struct Link {
        let connection: GatewayConnection
        var subscriptions: [[UInt8]] = []
        var node: ReplicaID?
        var refusals = 0
        /// Replaced by a newer connection of the same node: its close is not the node leaving.
        var superseded = false
    }

    static let maxSubscriptions = 256
    private static let nodeTopic: UInt8 = 0x4E
    /// Refused frames after which a connection is closed.
    static let maxRefusals = 64

    private var links: [Int: Link] = [:]
    private var nodes: [ReplicaID: Int] = [:]
    private let maxMessage: Int
    /// The beacon a connection gets when it subscribes to it (the XPUB's welcome message).
    var beacon: [UInt8]?
    private(set) var counters = Counters()

    struct Counters: Sendable, Hashable {
        var opened: UInt64 = 0
        var refused: UInt64 = 0
        /// Messages not sent because a browser was not reading.
        var dropped: UInt64 = 0
    }

    init(maxMessage: Int) { self.maxMessage = maxMessage }

    var connectionCount: Int { links.count }

    // MARK: - From the browsers

    func receive(_ events: [GatewayEvent]) -> [Input] {
        var out: [Input] = []
        for event in events {
            switch event {
            case .opened(let connection):
                links[connection.id] = Link(connection: connection)
                counters.opened += 1
            case .frame(let id, let bytes):
                out += receive(bytes, on: id)
            case .refused(let id, let reason):
                out += refuse(reason, on: id)
            case .closed(let id):
                guard let link = links.removeValue(forKey: id) else { continue }
                guard let node = link.node, !link.superseded, nodes[node] == id else { continue }
                nodes[node] = nil
                out.append(.subscription(Topic.node(node).bytes, subscribed: false))
                out.append(.closed(node))
            }
        }
        return out
    }

    private func receive(_ bytes: [UInt8], on id: Int) -> [Input] {
        guard links[id] != nil else { return [] }
        let frame: GatewayFrame
        do {
            frame = try GatewayFrame(decoding: bytes, maxMessage: maxMessage)
        } catch {
            return refuse("a malformed gateway frame: \(error)", on: id)
        }
        switch frame {
        case .message(let frames):
            guard frames.count == 3 else { return refuse("a beacon from a browser", on: id) }
            guard let node = links[id]?.node else { return refuse("a message before the connection's node subscription", on: id) }
            let inbound: Inbound
            do {
                inbound = try Inbound(frames: frames, via: .gateway, maxPayload: maxMessage)
            } catch {
                return refuse(error.problem, on: id)
            }
            guard case .message(let message) = inbound, message.header.sender == node else {
                return refuse("a message sent as another node than the connection's", on: id)
            }
            return [.message(inbound)]
        case .subscribe(let prefix):
            return subscribe(prefix, on: id)
        case .unsubscribe(let prefix):
            links[id]?.subscriptions.removeAll { $0 == prefix }
            return []
        }
    }

    private func subscribe(_ prefix: [UInt8], on id: Int) -> [Input] {
        guard var link = links[id] else { return [] }
        guard Self.isAllowed(prefix) else { return refuse("a subscription to no topic a browser may hear", on: id) }
        guard !link.subscriptions.contains(prefix) else { return [] }
        guard link.subscriptions.count < Self.maxSubscriptions else { return refuse("more than \(Self.maxSubscriptions) subscriptions", on: id) }
        var out: [Input] = []
        if prefix.first == Self.nodeTopic, let node = ReplicaID(bytes: prefix[1...]) {
            if let bound = link.node, bound != node { return refuse("a second node topic on one connection", on: id) }
            if let previous = nodes[node], previous != id, var old = links[previous] {
                // The browser reconnected before its old connection was seen to close.
                old.superseded = true
                links[previous] = old
                old.connection.close()
            }
            link.node = node
            nodes[node] = id
            out.append(.subscription(prefix, subscribed: true))
        }
        link.subscriptions.append(prefix)
        links[id] = link
        if let beacon, beacon.starts(with: prefix), !link.connection.send(GatewayFrame.message([beacon]).encoded) { counters.dropped += 1 }
        return out
    }

    /// The topics a browser may subscribe to: the beacon, tree control, an application channel
    /// or all, a document or all, and one node topic (its own). Never the empty prefix (every
    /// node's directed messages).
    static func isAllowed(_ prefix: [UInt8]) -> Bool {
        guard let first = prefix.first else { return false }
        switch first {
        case Topic.welcome.bytes[0], Topic.tree.bytes[0]:
            return prefix.count == 1
        case nodeTopic:
            return prefix.count == 17
        case 0x44, 0x41:
            if prefix.count == 1 { return true }
            guard let topic = try? Topic(decoding: prefix) else { return false }
            switch topic {
            case .document, .application: return true
            default: return false
            }
        default:
            return false
        }
    }

    private func refuse(_ reason: String, on id: Int) -> [Input] {
        counters.refused += 1
        guard var link = links[id] else { return [.problem(reason, from: nil)] }
        link.refusals += 1
        links[id] = link
        if link.refusals == Self.maxRefusals { link.connection.close() }
        return [.problem("gateway: " + reason, from: link.node)]
    }

    // MARK: - To the browsers

    /// Sends a published message to every connection subscribed to a prefix of its topic.
    func publish(_ frames: [[UInt8]]) {
        guard !links.isEmpty, let topic = frames.first else { return }
        var encoded: [UInt8]?
        for link in links.values where !link.superseded && link.subscriptions.contains(where: { topic.starts(with: $0) }) {
            if encoded == nil { encoded = GatewayFrame.message(frames).encoded }
            if let encoded, !link.connection.send(encoded) { counters.dropped += 1 }
        }
    }

    func closeAll() {
        for link in links.values { link.connection.close() }
        links.removeAll()
        nodes.removeAll()
    }
}
