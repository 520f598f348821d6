package import ZincCore

/// The trust rule inside a cluster (docs/security.md, "Trust inside the cluster"; protocol
/// §10): a host accepts new operations from a child only for authors that child's subtree
/// claims, or that nobody else it knows claims. So no node can write under the replica ID of
/// the host, or of a subtree whose claim the host holds.
///
/// In a certified tree the claims are **exclusive** (protocol §24.2 item 7): a replica is bound
/// to the child that first claimed it, for as long as that child claims it and is not
/// suspected, and another child's claim of it is refused. Child IDs are bound to certified
/// names there, so a replica is bound to a certified identity, and a member cannot take over
/// a sibling's replica by claiming it too. Without certificates any child may claim a replica
/// another claims (a keyed node is trusted with everything the key opens), and either may
/// then bring its operations.
package struct TrustTable: Sendable, Hashable {
    /// This node's own document replicas.
    package var own: Set<ReplicaID> = []
    /// Replica → the children whose subtrees claim it (one child at most when ``exclusive``).
    package private(set) var claimers: [ReplicaID: Set<ReplicaID>] = [:]
    /// Whether a replica claimed by one child is refused to the others.
    package let exclusive: Bool

    package init(exclusive: Bool = false) {
        self.exclusive = exclusive
    }

    package var isEmpty: Bool { own.isEmpty && claimers.isEmpty }

    package func accepts(_ replica: ReplicaID, fromChild child: ReplicaID) -> Bool {
        if own.contains(replica) { return false }
        if let claiming = claimers[replica], !claiming.contains(child) { return false }
        return true
    }

    /// Replaces `child`'s claims, and returns the replicas refused to it: with ``exclusive``
    /// set, those this node owns, and those another child holds unless `yields` says that
    /// holder is suspected (its claims then pass to `child`: a subtree that moved after a
    /// failure is not held up until its old route is declared dead).
    @discardableResult
    package mutating func set(
        _ replicas: some Sequence<ReplicaID>, claimedBy child: ReplicaID, yields: (ReplicaID) -> Bool = { _ in false }
    ) -> [ReplicaID] {
        remove(child)
        guard exclusive else {
            for replica in replicas { claimers[replica, default: []].insert(child) }
            return []
        }
        var refused: [ReplicaID] = []
        for replica in replicas {
            if own.contains(replica) {
                refused.append(replica)
            } else if let holder = claimers[replica]?.first, holder != child, !yields(holder) {
                refused.append(replica)
            } else {
                claimers[replica] = [child]
            }
        }
        return refused
    }

    /// Forgets a child that left.
    package mutating func remove(_ child: ReplicaID) {
        for (replica, var set) in claimers where set.contains(child) {
            set.remove(child)
            claimers[replica] = set.isEmpty ? nil : set
        }
    }
}
