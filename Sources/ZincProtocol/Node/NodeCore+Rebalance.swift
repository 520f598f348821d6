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
    mutating func rebalance(now: Duration) -> [NodeDirective] {
        guard children.count > configuration.fanout,
              failover == nil,
              now - lastRebalance >= Self.rebalanceInterval,
              let move = rebalanceMove(now: now)
        else { return [] }
        lastRebalance = now
        counters.rebalances += 1
        children[move.target]?.noteRedirect(at: now)
        // The child still listens to us on its node topic until it acts on the redirect.
        var out: [NodeDirective] = [
            .publish(control(.redirect, Redirect(target: move.target, endpoints: move.endpoints).encoded, topic: .node(move.child))),
        ]
        out += removeChild(move.child, reason: .movedToRebalance)
        out.append(.event(.rebalanced(child: move.child, under: move.target)))
        return out
    }

    /// Which child to move where, or nil while anything is in flux.
    func rebalanceMove(now: Duration) -> (child: ReplicaID, target: ReplicaID, endpoints: Endpoints)? {
        // Settled ourselves: a root, or joined (not joining, not failing over).
        switch parent {
        case .none, .joined: break
        case .awaitingBeacon, .joining: return nil
        }
        // Settled children: all welcomed, alive and attached long enough for their heartbeats to
        // report their subtrees (a failover's stragglers are still arriving otherwise).
        let delay = configuration.rebalanceDelay
        guard children.values.allSatisfy({ $0.welcomed && now - $0.joinedAt >= delay && $0.detector.status(at: now) == .alive }) else {
            return nil
        }
        // Move the smallest subtree (the cheapest re-join), newest first among equals, under the
        // least-loaded other child that can host (which redirects it further down if full).
        let movable = children.sorted { ($0.value.subtreeSize, UInt64.max - $0.value.rank) < ($1.value.subtreeSize, UInt64.max - $1.value.rank) }
        for (child, _) in movable {
            if let target = leastLoadedHost(excluding: child, now: now) { return (child, target.id, target.endpoints) }
        }
        return nil
    }
}
