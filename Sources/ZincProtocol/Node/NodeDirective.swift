package import ZincCore

/// What the node core asks its shell to do.
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
    /// The welcome frame new subscribers get.
    case setBeacon(Beacon)
    /// Connect the probe socket (a SUB that only takes welcome beacons) to a PUB endpoint,
    /// dropping any earlier probe; nil ends probing.
    case probe(String?)
    /// Send one message to a node's PULL endpoint on a short-lived PUSH socket (merge
    /// invitations to a node of another tree).
    case sendOnce(pull: String, WireMessage)
    /// Hand an event to one document's sync.
    case document(String, DocumentEvent)
    /// An application message for this node's handlers.
    case deliver(ApplicationMessage, origin: ReplicaID)
    /// Something worth telling the application (and the logs).
    case event(MembershipEvent)
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
}
