package import ZincCore

/// A node's bounded, gossiped view of its cluster beyond its family (docs/protocol.md,
/// "Membership gossip"): hosting nodes' publish addresses, the root each was last heard under,
/// and how fresh that is. Every heartbeat carries the sender itself and a few entries of its
/// view, in turn (SWIM-style dissemination piggybacked on traffic that flows anyway), so an
/// address spreads through the whole tree. After a split, entries of the other side stop being
/// refreshed, and a root probes those naming another root than its own: any group of nodes
/// that can reach each other finds each other, even when all their seeds are out of reach.
package struct MembershipView: Sendable {
    /// One gossiped entry: a hosting node's publish address, the root it was in, and how long
    /// ago that was true.
    package struct Rumor: Sendable, Hashable {
        package var publish: String
        package var root: ReplicaID
        package var age: Duration

        package init(publish: String, root: ReplicaID, age: Duration) {
            self.publish = publish
            self.root = root
            self.age = age
        }
    }

    /// The most entries kept; the stalest goes first.
    package static let capacity = 64
    /// Rumors in one heartbeat: the sender itself, then entries of its view in turn.
    package static let perHeartbeat = 4
    /// An entry not refreshed for this long is forgotten (its node died, or left for good).
    package static let expiry: Duration = .seconds(60)

    private var entries: [String: (root: ReplicaID, heard: Duration)] = [:]
    /// Where the next heartbeat's sample starts in the sorted addresses.
    private var cursor = 0

    package init() {}

    package var count: Int { entries.count }

    /// Takes in a rumor (never about `own`): kept if it is news, or fresher than what is known.
    package mutating func learn(_ rumor: Rumor, own: String?, now: Duration) {
        guard rumor.publish != own, !rumor.publish.isEmpty, rumor.age < Self.expiry else { return }
        let heard = now - rumor.age
        if let known = entries[rumor.publish] {
            guard heard > known.heard else { return }
        } else if entries.count >= Self.capacity {
            guard let stalest = entries.min(by: { $0.value.heard < $1.value.heard }), stalest.value.heard < heard else { return }
            entries[stalest.key] = nil
        }
        entries[rumor.publish] = (rumor.root, heard)
    }

    /// Drops what nobody refreshed within ``expiry``.
    package mutating func expire(now: Duration) {
        entries = entries.filter { now - $0.value.heard < Self.expiry }
    }

    /// The rumors for the next heartbeat: `own` first (fresh), then entries in turn.
    package mutating func sample(own: Rumor?, now: Duration) -> [Rumor] {
        var rumors = own.map { [$0] } ?? []
        let addresses = entries.keys.sorted()
        guard !addresses.isEmpty else { return rumors }
        let take = min(addresses.count, Self.perHeartbeat - rumors.count)
        for step in 0..<take {
            let address = addresses[(cursor + step) % addresses.count]
            guard let entry = entries[address], now - entry.heard < Self.expiry else { continue }
            rumors.append(Rumor(publish: address, root: entry.root, age: now - entry.heard))
        }
        cursor = (cursor + take) % max(1, addresses.count)
        return rumors
    }

    /// True if an address last heard under another root than `root` passes `test` (what
    /// ``elsewhere(than:now:)`` would list, without sorting it).
    package func contains(elsewhereThan root: ReplicaID, now: Duration, where test: (String) -> Bool) -> Bool {
        entries.contains { $0.value.root != root && now - $0.value.heard < Self.expiry && test($0.key) }
    }

    /// Addresses last heard under another root than `root`, freshest first: where another
    /// tree of the cluster may be.
    package func elsewhere(than root: ReplicaID, now: Duration) -> [String] {
        // Asked after every input (for the next deadline): a tree at rest has nothing elsewhere,
        // and answers without allocating.
        guard entries.values.contains(where: { $0.root != root }) else { return [] }
        return entries.filter { $0.value.root != root && now - $0.value.heard < Self.expiry }
            .sorted { ($0.value.heard, $1.key) > ($1.value.heard, $0.key) }.map(\.key)
    }

    /// Every address in the view, freshest first.
    package var addresses: [String] {
        entries.sorted { ($0.value.heard, $1.key) > ($1.value.heard, $0.key) }.map(\.key)
    }

    /// True if `publish` is in the view.
    package func contains(_ publish: String) -> Bool { entries[publish] != nil }
}
