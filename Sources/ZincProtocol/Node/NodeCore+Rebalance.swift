import ZincCore

/// Rebalancing (docs/protocol.md §14, step 5): a successor adopts all of its former siblings at once,
/// so for a while it hosts up to twice its fan-out. Once its children have been stable for
/// ``NodeConfiguration/rebalanceDelay`` it moves the excess, one child at a time, under its
/// least-loaded other child, with the same redirect a joiner gets. A move costs the moved
/// subtree one re-join (its outbox and a sync run as after any parent change), never data.
extension NodeCore {
    /// At most one child is moved per interval, so the next decision sees the last one's effect
    /// in the target's heartbeats.
    static var rebalanceInterval: Duration { .seconds(1) }

    /// Moves one excess child if this host is over its fan-out and settled.
    mutating func rebalance(now: Duration) -> [CoreDirective] {
        guard children.treeCount > configuration.fanout,
              link.failover == nil,
              now - lastRebalance >= Self.rebalanceInterval,
              let move = rebalanceMove(now: now)
        else { return [] }
        lastRebalance = now
        counters.rebalances += 1
        children.noteRedirect(to: move.target, at: now)
        // The child still listens to us on its node topic until it acts on the redirect.
        var out: [CoreDirective] = [
            .publish(control(.redirect, Redirect(target: move.target, endpoints: move.endpoints).encoded, topic: .node(move.child))),
        ]
        out += removeChild(move.child, reason: .movedToRebalance)
        out.append(.event(.rebalanced(child: move.child, under: move.target)))
        return out
    }

    /// Which child to move where, or nil while anything is in flux: this node must be settled
    /// (a root, or joined; not joining, not failing over), and so must its children.
    func rebalanceMove(now: Duration) -> (child: ReplicaID, target: ReplicaID, endpoints: Endpoints)? {
        switch link.state {
        case .none, .joined: break
        case .awaitingBeacon, .joining: return nil
        }
        return children.rebalanceMove(settledFor: configuration.rebalanceDelay, now: now)
    }
}
