package import ZincCore

/// What a node asks its shell to do: socket work for its ``Transport``, application messages
/// for its handlers, events for its observers. The output of every ``NodeMachine`` input, run
/// by ``NodeShell/execute(_:)``.
package enum NodeDirective: Sendable, Hashable {
    /// Connect the SUB socket to a host's PUB endpoint (subscriptions are kept).
    case connectSubscriber(String)
    /// Connect the PUSH socket to a host's PULL endpoint.
    case connectPusher(String)
    /// Drop both connections to the parent.
    case disconnectParent
    case subscribe([UInt8])
    case unsubscribe([UInt8])
    /// Send to the children (PUB socket).
    case publish(WireMessage)
    /// Send to the parent (PUSH socket).
    case push(WireMessage)
    /// Where packed frames may go from now on (§4). A change to fewer places comes before
    /// anything the input that caused it sends; one to more places comes after.
    case pack(Packing)
    /// The welcome frame new subscribers get.
    case setBeacon(Beacon)
    /// Connect the probe socket (a SUB that only takes welcome beacons) to a PUB endpoint,
    /// dropping any earlier probe; nil ends probing.
    case probe(String?)
    /// Send one message to a node's PULL endpoint on a short-lived PUSH socket (merge
    /// invitations to a node of another tree).
    case sendOnce(pull: String, WireMessage)
    /// Broadcast a discovery datagram on the discovery port of every reachable segment.
    case broadcast([UInt8])
    /// Send a discovery datagram to one address (a survey's answer).
    case sendDatagram([UInt8], to: DatagramSource)
    /// An application message for this node's handlers.
    case deliver(ApplicationMessage, origin: ReplicaID)
    /// Something worth telling the application (and the logs).
    case event(MembershipEvent)
}

/// What the membership core asks for: shell work, or an event for one of the node's documents
/// (which ``NodeMachine`` hands to that document's ``DocumentSync``, so no shell ever sees one).
package enum CoreDirective: Sendable, Hashable {
    case node(NodeDirective)
    case document(String, DocumentEvent)

    static func connectSubscriber(_ publish: String) -> Self { .node(.connectSubscriber(publish)) }
    static func connectPusher(_ pull: String) -> Self { .node(.connectPusher(pull)) }
    static var disconnectParent: Self { .node(.disconnectParent) }
    static func subscribe(_ prefix: [UInt8]) -> Self { .node(.subscribe(prefix)) }
    static func unsubscribe(_ prefix: [UInt8]) -> Self { .node(.unsubscribe(prefix)) }
    static func publish(_ message: WireMessage) -> Self { .node(.publish(message)) }
    static func push(_ message: WireMessage) -> Self { .node(.push(message)) }
    static func setBeacon(_ beacon: Beacon) -> Self { .node(.setBeacon(beacon)) }
    static func probe(_ publish: String?) -> Self { .node(.probe(publish)) }
    static func sendOnce(pull: String, _ message: WireMessage) -> Self { .node(.sendOnce(pull: pull, message)) }
    static func deliver(_ application: ApplicationMessage, origin: ReplicaID) -> Self { .node(.deliver(application, origin: origin)) }
    static func event(_ event: MembershipEvent) -> Self { .node(.event(event)) }

    /// The shell's part, if this is not a document event.
    package var shellDirective: NodeDirective? {
        if case .node(let directive) = self { return directive }
        return nil
    }
}

/// An event for one document.
package enum DocumentEvent: Sendable, Hashable {
    /// The node now replicates the document: create its state.
    case open
    case message(WireMessage, from: Peer)
    case digest(DocumentDigest, from: Peer)
    /// A parent accepted this node: push the outbox and sync.
    case parentJoined
    case parentLost
    case childGone(ReplicaID)
}

/// Which socket a message arrived on.
package enum Channel: Sendable, Hashable {
    /// The SUB socket: from the parent.
    case subscriber
    /// The PULL socket: from a child (or a joiner).
    case puller
    /// A WebSocket connection of this node's gateway (docs/protocol.md §23): from a browser, a
    /// child that can never host. The shell has checked that the message's sender is the node
    /// the connection speaks for.
    case gateway
}
