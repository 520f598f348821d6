/// The presences of the other replicas in one document, with expiry. Time is injected (`now`
/// is any monotonic duration, e.g. since the node started), so the store is testable without
/// waiting.
package struct PresenceStore: Sendable {
    /// How long a peer's presence lasts without an update (Yjs's awareness uses 30 s).
    package var timeout: Duration
    private var entries: [ReplicaID: (presence: Presence, seen: Duration)] = [:]

    package init(timeout: Duration = .seconds(30)) {
        self.timeout = timeout
    }

    /// Records `presence` if it is newer than what the store has. Returns true if it changed.
    @discardableResult
    package mutating func update(_ presence: Presence, now: Duration) -> Bool {
        if let existing = entries[presence.replica], existing.presence.clock >= presence.clock {
            return false
        }
        if presence.isLeaving {
            return entries.removeValue(forKey: presence.replica) != nil
        }
        entries[presence.replica] = (presence, now)
        return true
    }

    /// Forgets peers not heard from for ``timeout``; returns the replicas forgotten.
    @discardableResult
    package mutating func expire(now: Duration) -> [ReplicaID] {
        let stale = entries.filter { now - $0.value.seen >= timeout }.map(\.key)
        for replica in stale { entries.removeValue(forKey: replica) }
        return stale.sorted()
    }

    /// When the next peer not heard from is forgotten.
    package var nextExpiry: Duration? { entries.values.lazy.map(\.seen).min().map { $0 + timeout } }

    /// Forgets one replica (it left the tree).
    package mutating func remove(_ replica: ReplicaID) {
        entries.removeValue(forKey: replica)
    }

    /// The known presences, ordered by replica.
    package var peers: [Presence] { entries.values.map(\.presence).sorted { $0.replica < $1.replica } }

    package subscript(replica: ReplicaID) -> Presence? { entries[replica]?.presence }

    package var count: Int { entries.count }
}
