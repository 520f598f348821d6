public import ZincCore

/// What the node core asks its shell to do.
public enum NodeDirective: Sendable, Hashable {
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
    case event(NodeEvent)
}

/// An event for one document.
public enum DocumentEvent: Sendable, Hashable {
    /// The node now replicates the document: create its state.
    case open
    case message(WireMessage, from: Peer)
    case digest(DocumentDigest, from: Peer)
    /// A parent accepted this node: push the outbox and sync.
    case parentJoined
    case parentLost
    case childGone(ReplicaID)
}

/// Membership events.
public enum NodeEvent: Sendable, Hashable, CustomStringConvertible {
    case joined(parent: ReplicaID, term: UInt64)
    case redirected(to: ReplicaID)
    case childJoined(ReplicaID)
    case childLeft(ReplicaID, reason: String)
    case parentSuspected(ReplicaID)
    case parentLost(ReplicaID, reason: String)
    case promoted(term: UInt64, asRoot: Bool)
    case becameRoot(term: UInt64)
    case mergedInto(root: ReplicaID, term: UInt64)
    /// This host was over its fan-out and moved a child under another child.
    case rebalanced(child: ReplicaID, under: ReplicaID)
    case rejected(reason: String)

    public var description: String {
        switch self {
        case .joined(let parent, let term): "joined \(parent.shortDescription) (term \(term))"
        case .redirected(let target): "redirected to \(target.shortDescription)"
        case .childJoined(let child): "child \(child.shortDescription) joined"
        case .childLeft(let child, let reason): "child \(child.shortDescription) left: \(reason)"
        case .parentSuspected(let parent): "parent \(parent.shortDescription) suspected"
        case .parentLost(let parent, let reason): "parent \(parent.shortDescription) lost: \(reason)"
        case .promoted(let term, let asRoot): "promoted to \(asRoot ? "root" : "host") (term \(term))"
        case .becameRoot(let term): "became root (term \(term))"
        case .mergedInto(let root, let term): "merged into the tree of \(root.shortDescription) (term \(term))"
        case .rejected(let reason): "dropped a message: \(reason)"
        case .rebalanced(let child, let target): "moved child \(child.shortDescription) under \(target.shortDescription) to rebalance"
        }
    }
}

/// Which socket a message arrived on.
public enum Channel: Sendable, Hashable {
    /// The SUB socket: from the parent.
    case subscriber
    /// The PULL socket: from a child (or a joiner).
    case puller
}
