public import ZincCore

/// A change in a node's place in the tree, as ``Endpoint/events()`` reports it (and the logs
/// show it).
public enum MembershipEvent: Sendable, Hashable, CustomStringConvertible {
    /// The node joined `parent`'s subtree.
    case joined(parent: ReplicaID, term: UInt64)
    /// A full host sent the node further down, to `target`.
    case redirected(to: ReplicaID)
    case childJoined(ReplicaID)
    case childLeft(ReplicaID, reason: ChildDeparture)
    /// The parent has been silent for longer than usual.
    case parentSuspected(ReplicaID)
    case parentLost(ReplicaID, reason: ParentLoss)
    /// The parent died and this node took its place (as a host under the grandparent, or as
    /// the new root).
    case promoted(term: UInt64, asRoot: Bool)
    /// The node found no parent and stands as the root of a tree.
    case becameRoot(term: UInt64)
    /// Discovery heard a tree of this cluster, and this lone node goes to join it through `host`.
    case discovered(root: ReplicaID, host: ReplicaID)
    /// Another tree was found and this one joined it.
    case mergedInto(root: ReplicaID, term: UInt64)
    /// This host was over its fan-out and moved a child under another child.
    case rebalanced(child: ReplicaID, under: ReplicaID)
    /// The node refused a peer or gave up on one.
    case refused(Refusal)

    public var description: String {
        switch self {
        case .joined(let parent, let term): "joined \(parent.shortDescription) (term \(term))"
        case .redirected(let target): "redirected to \(target.shortDescription)"
        case .childJoined(let child): "child \(child.shortDescription) joined"
        case .childLeft(let child, let reason): "child \(child.shortDescription) left: \(reason.text)"
        case .parentSuspected(let parent): "parent \(parent.shortDescription) suspected"
        case .parentLost(let parent, let reason): "parent \(parent.shortDescription) lost: \(reason.text)"
        case .promoted(let term, let asRoot): "promoted to \(asRoot ? "root" : "host") (term \(term))"
        case .becameRoot(let term): "became root (term \(term))"
        case .discovered(let root, let host): "heard the tree of \(root.shortDescription) by discovery; joining it through \(host.shortDescription)"
        case .mergedInto(let root, let term): "merged into the tree of \(root.shortDescription) (term \(term))"
        case .rebalanced(let child, let target): "moved child \(child.shortDescription) under \(target.shortDescription) to rebalance"
        case .refused(let refusal): "dropped a message: \(refusal.text)"
        }
    }
}

/// Why a child is no longer a child.
public enum ChildDeparture: Sendable, Hashable {
    /// It said goodbye.
    case left
    /// The failure detector declared it dead after this much silence.
    case silent(Duration)
    /// It was moved under a sibling to bring this host back within its fan-out.
    case movedToRebalance
    /// Its certificate was revoked or expired, and its connections cut (docs/security.md).
    case certificateWithdrawn

    var text: String {
        switch self {
        case .certificateWithdrawn: "its certificate was revoked or expired"
        case .left: "it left"
        case .silent(let duration): "failure detector: silent for \(duration)"
        case .movedToRebalance: "moved to rebalance"
        }
    }
}

/// Why a node lost its parent.
public enum ParentLoss: Sendable, Hashable {
    /// The parent said goodbye.
    case left
    /// The failure detector declared it dead.
    case failed
    /// The parent sent this node elsewhere.
    case redirected
    /// Following the parent would have made a cycle.
    case cycle
    /// The node moved its subtree into a winning tree its root could not reach.
    case merging

    var text: String {
        switch self {
        case .left: "it left"
        case .failed: "failure detector"
        case .redirected: "it redirected us"
        case .cycle: "cycle in the tree"
        case .merging: "moving into a winning tree the root cannot reach"
        }
    }
}

/// Something a node refused or gave up on.
public enum Refusal: Sendable, Hashable {
    /// A seed turned out to be this node itself.
    case joinedItself(address: String)
    /// A would-be parent is in this node's own subtree.
    case ownSubtree(ReplicaID?)
    /// A message from an older term than this node's.
    case staleTerm(received: UInt64, current: UInt64, from: ReplicaID)
    /// A host never answered a join.
    case joinUnanswered(after: Duration)

    var text: String {
        switch self {
        case .joinedItself(let address): "joined itself at \(address)"
        case .ownSubtree(let node?): "\(node.shortDescription) is in our own subtree"
        case .ownSubtree(nil): "welcome from our own subtree"
        case .staleTerm(let received, let current, let sender): "stale term \(received) < \(current) from \(sender.shortDescription)"
        case .joinUnanswered(let after): "join unanswered for \(after)"
        }
    }
}
