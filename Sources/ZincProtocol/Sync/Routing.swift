public import ZincCore

/// Who a document message came from, or is going to.
public enum Peer: Hashable, Sendable, CustomStringConvertible {
    /// This node's parent (messages arrive on the SUB socket; go out through PUSH).
    case parent
    /// One child (messages arrive on the PULL socket; go out on the PUB socket, directed).
    case child(ReplicaID)

    public var description: String {
        switch self {
        case .parent: "parent"
        case .child(let id): "child \(id.shortDescription)"
        }
    }
}

/// What a document needs to know about the tree around it when it handles an event.
public struct RouteContext: Sendable, Hashable {
    public var node: ReplicaID
    public var term: UInt64
    /// True once this node has joined a parent.
    public var hasParent: Bool
    /// True if this node has at least one joined child.
    public var hasChildren: Bool
    public var now: Duration

    public init(node: ReplicaID, term: UInt64, hasParent: Bool, hasChildren: Bool, now: Duration) {
        self.node = node
        self.term = term
        self.hasParent = hasParent
        self.hasChildren = hasChildren
        self.now = now
    }
}

/// Where a document's outgoing message goes.
public enum Destination: Hashable, Sendable {
    case parent
    /// Every child, on the document's topic.
    case children
    /// One child, on its node topic.
    case child(ReplicaID)

    init(_ peer: Peer) {
        switch peer {
        case .parent: self = .parent
        case .child(let id): self = .child(id)
        }
    }
}

/// An outgoing message of a document.
public struct Outgoing: Hashable, Sendable {
    public var destination: Destination
    public var message: WireMessage

    public init(_ destination: Destination, _ message: WireMessage) {
        self.destination = destination
        self.message = message
    }
}
