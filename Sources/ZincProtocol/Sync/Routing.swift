package import ZincCore

/// Who a document message came from, or is going to.
package enum Peer: Hashable, Sendable, CustomStringConvertible {
    /// This node's parent (messages arrive on the SUB socket; go out through PUSH).
    case parent
    /// One child (messages arrive on the PULL socket; go out on the PUB socket, directed).
    case child(ReplicaID)

    package var description: String {
        switch self {
        case .parent: "parent"
        case .child(let id): "child \(id.shortDescription)"
        }
    }
}

/// What a document needs to know about the tree around it when it handles an event.
package struct RouteContext: Sendable, Hashable {
    package var node: ReplicaID
    package var term: UInt64
    /// True once this node has joined a parent.
    package var hasParent: Bool
    /// True if this node has at least one joined child.
    package var hasChildren: Bool
    /// True for the root of a tree (no parent, and not looking for one).
    package var isRoot: Bool
    package var now: Duration
    /// Which authors each child may bring new operations of.
    package var trust: TrustTable
    /// The children, by ID (every replica below that a document's history must still serve).
    package var children: [ReplicaID]

    package init(
        node: ReplicaID, term: UInt64, hasParent: Bool, hasChildren: Bool, isRoot: Bool = false, now: Duration,
        trust: TrustTable = TrustTable(), children: [ReplicaID] = []
    ) {
        self.node = node
        self.term = term
        self.hasParent = hasParent
        self.hasChildren = hasChildren
        self.isRoot = isRoot
        self.now = now
        self.trust = trust
        self.children = children
    }

    /// The filter for operations arriving from `peer`: nil (everything) from the parent.
    package func trusting(_ peer: Peer) -> ((ReplicaID) -> Bool)? {
        guard case .child(let child) = peer, !trust.isEmpty else { return nil }
        let trust = self.trust
        return { trust.accepts($0, fromChild: child) }
    }
}

/// Where a document's outgoing message goes.
package enum Destination: Hashable, Sendable {
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
package struct Outgoing: Hashable, Sendable {
    package var destination: Destination
    package var message: WireMessage

    package init(_ destination: Destination, _ message: WireMessage) {
        self.destination = destination
        self.message = message
    }
}
