package import ZincCore

/// Application messages (docs/protocol.md, "Application messages"): numbers this node's own,
/// delivers and relays everyone's along their routing, and drops what it has seen before
/// (``SeenApplicationMessages``).
package struct ApplicationRouter: Sendable {
    /// Relays stop after this many hops (a cycle while the tree heals cannot loop for ever).
    package static let maxHops: UInt8 = 64
    /// A run's first sequence number is drawn from 1 through this (2^48): a restarted node
    /// lands on numbers its peers remember with odds of about 4096 in 2^48, and a varint of
    /// the sequence stays within 7 bytes for years of messages.
    package static let firstSequenceBound: UInt64 = 1 << 48

    /// The last sequence number used.
    private var sequence: UInt64
    private var seen: SeenApplicationMessages

    /// Remembers the last `window` sequence numbers of each of up to `origins` other nodes.
    package init(window: Int, origins: Int, firstSequence: UInt64 = 1) {
        seen = SeenApplicationMessages(width: window, maxOrigins: origins)
        sequence = firstSequence &- 1
    }

    /// How many other nodes' messages are remembered (by origin).
    package var rememberedOrigins: Int { seen.origins }

    /// Sends an application message from `node` into the tree.
    package mutating func send(channel: String, routing: Routing, body: [UInt8], from node: ReplicaID, term: UInt64, isJoined: Bool, children: ChildTable) -> [NodeDirective] {
        sequence &+= 1
        // Not remembered: `receive` drops the node's own messages by their origin.
        let application = ApplicationMessage(channel: channel, routing: routing, sequence: sequence, body: body)
        let message = WireMessage(
            topic: .application(channel),
            header: MessageHeader(type: .application, origin: node, sender: node, lamport: 0, term: term),
            payload: application.encoded)
        var out: [NodeDirective] = []
        switch routing {
        case .down:
            if !children.isEmpty { out.append(.publish(message)) }
        case .up:
            if isJoined { out.append(.push(message)) }
        case .broadcast:
            if !children.isEmpty { out.append(.publish(message)) }
            if isJoined { out.append(.push(message)) }
        case .node(let target):
            if target == node {
                out.append(.deliver(application, origin: node))
            } else if children.contains(target) {
                var directed = message
                directed.topic = .node(target)
                out.append(.publish(directed))
            } else {
                if !children.isEmpty { out.append(.publish(message)) }
                if isJoined { out.append(.push(message)) }
            }
        }
        return out
    }

    /// An application message `node` received from `peer`: deliver it, relay it, or drop a
    /// duplicate (or its own message coming back).
    /// Core directives (all of them shell work), so the core hands them on without another array.
    package mutating func receive(_ application: ApplicationMessage, message: WireMessage, from peer: Peer, at node: ReplicaID, isJoined: Bool, children: ChildTable) -> [CoreDirective] {
        guard message.header.origin != node, seen.insert(origin: message.header.origin, sequence: application.sequence) else { return [] }
        var out: [CoreDirective] = []
        // The relayed copy (sender rewritten, one more hop) is built only if something relays it.
        func relayed(topic: Topic) -> WireMessage {
            var relayed = message
            relayed.topic = topic
            relayed.header.sender = node
            var forwarded = application
            forwarded.hops = application.hops &+ 1
            relayed.payload = forwarded.encoded
            relayed.header.payloadLength = UInt32(relayed.payload.count)
            return relayed
        }
        func flood() {
            let toChildren = !children.isEmpty
            let toParent = peer != .parent && isJoined
            guard toChildren || toParent else { return }
            let copy = relayed(topic: .application(application.channel))
            if toChildren { out.append(.publish(copy)) }
            if toParent { out.append(.push(copy)) }
        }
        let canRelay = application.hops < Self.maxHops
        switch application.routing {
        case .down:
            out.append(.deliver(application, origin: message.header.origin))
            if canRelay, !children.isEmpty, peer == .parent { out.append(.publish(relayed(topic: message.topic))) }
        case .up:
            out.append(.deliver(application, origin: message.header.origin))
        case .broadcast:
            out.append(.deliver(application, origin: message.header.origin))
            if canRelay { flood() }
        case .node(let target):
            if target == node {
                out.append(.deliver(application, origin: message.header.origin))
            } else if canRelay {
                if children.contains(target) { out.append(.publish(relayed(topic: .node(target)))) } else { flood() }
            }
        }
        return out
    }
}
