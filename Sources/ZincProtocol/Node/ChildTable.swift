package import ZincCore

/// A host's children: who they are, their ranks (the order siblings succeed a dead parent
/// in), whether they were welcomed, their subtrees and liveness, and which of them the PUB
/// socket has seen subscribed to their node topic.
package struct ChildTable: Sendable {
    private var children: [ReplicaID: ChildState] = [:]
    private var nextRank: UInt64 = 0
    /// Node topics the PUB socket has seen subscribed (children, and joiners not yet admitted).
    private var subscribed: Set<ReplicaID> = []

    package init() {}

    package var isEmpty: Bool { children.isEmpty }
    package var count: Int { children.count }
    /// Children that are nodes of the tree, not browsers behind this node's gateway: what the
    /// fan-out limits.
    package var treeCount: Int { children.count - gatewayCount }
    /// Browsers connected through this node's gateway.
    package private(set) var gatewayCount = 0
    /// Tree children whose last join or heartbeat did not say they accept packed frames: while
    /// there is one, nothing is packed on the PUB socket (§4). Browsers do not count: the
    /// gateway sends them each message on its own.
    package private(set) var nonPackingCount = 0
    package func contains(_ child: ReplicaID) -> Bool { children[child] != nil }
    /// Whether `child` is linked through the gateway, or nil if it is not a child: one lookup
    /// for what a join or a merge invitation from below asks first.
    package func isGatewayLinked(_ child: ReplicaID) -> Bool? {
        guard let index = children.index(forKey: child) else { return nil }
        return children.values[index].viaGateway
    }
    package subscript(child: ReplicaID) -> ChildState? { children[child] }

    /// The children's IDs, sorted.
    package var ids: [ReplicaID] { children.keys.sorted() }
    /// The browsers behind the gateway, sorted.
    package var gatewayIDs: [ReplicaID] { children.filter(\.value.viaGateway).map(\.key).sorted() }
    /// The children as siblings learn of them, lowest rank first. Browsers behind the gateway
    /// are left out: they cannot host, and their gateway stays their parent.
    package var entries: [ChildEntry] {
        children.filter { !$0.value.viaGateway }.map { ChildEntry(id: $0.key, endpoints: $0.value.endpoints, rank: $0.value.rank) }.sorted { $0.rank < $1.rank }
    }
    package var states: Dictionary<ReplicaID, ChildState>.Values { children.values }
    /// True if a child publishes at `address`.
    package func hasHost(publishing address: String) -> Bool { children.values.contains { $0.endpoints?.publish == address } }
    /// Nodes in the children's subtrees.
    package var descendants: UInt32 { children.values.reduce(0) { $0 + $1.subtreeSize } }

    /// Admits a joiner with the next rank, not yet welcomed. Returns true if its node topic is
    /// already subscribed (so it can be welcomed at once).
    /// `acceptsPackedFrames` is what the join's header said (§4.2).
    package mutating func admit(
        _ joiner: ReplicaID, request: JoinRequest, acceptsPackedFrames: Bool = true, viaGateway: Bool = false, detector: FailureDetector.Settings, now: Duration
    ) -> Bool {
        children[joiner] = ChildState(
            // A browser cannot host whatever its join says.
            endpoints: viaGateway ? nil : request.endpoints, rank: nextRank, interest: request.interest, subtreeSize: request.subtreeSize,
            detector: FailureDetector(settings: detector, now: now), joinedAt: now, viaGateway: viaGateway,
            acceptsPackedFrames: acceptsPackedFrames)
        if viaGateway { gatewayCount += 1 } else if !acceptsPackedFrames { nonPackingCount += 1 }
        nextRank += 1
        return subscribed.contains(joiner)
    }

    /// A repeated join from a child (a late welcome, or an interest update). Returns true if the
    /// child was already welcomed.
    package mutating func rejoin(_ child: ReplicaID, request: JoinRequest, acceptsPackedFrames: Bool, now: Duration) -> Bool {
        guard var existing = children[child] else { return false }
        existing.interest = request.interest
        if !existing.viaGateway { existing.endpoints = request.endpoints }
        existing.subtreeSize = request.subtreeSize
        existing.detector.heartbeat(at: now)
        children[child] = existing
        noteAcceptsPackedFrames(acceptsPackedFrames, of: child)
        return existing.welcomed
    }

    /// What a child's latest join or heartbeat said about packed frames: a node restarted at
    /// another version says something else from then on.
    package mutating func noteAcceptsPackedFrames(_ accepts: Bool, of child: ReplicaID) {
        guard let index = children.index(forKey: child) else { return }
        let state = children.values[index]
        guard !state.viaGateway, state.acceptsPackedFrames != accepts else { return }
        children.values[index].acceptsPackedFrames = accepts
        nonPackingCount += accepts ? -1 : 1
    }

    /// Records that `child` was heard, if it is a child linked as `viaGateway` says (either way
    /// when nil): false if not. One lookup, in place, for every message from below: the
    /// optional subscript would move the state out and back, and a read would copy it.
    @discardableResult
    package mutating func heard(from child: ReplicaID, viaGateway: Bool? = nil, at now: Duration) -> Bool {
        guard let index = children.index(forKey: child) else { return false }
        return Self.hear(&children.values[index], viaGateway: viaGateway, at: now)
    }

    private static func hear(_ state: inout ChildState, viaGateway: Bool?, at now: Duration) -> Bool {
        if let viaGateway, state.viaGateway != viaGateway { return false }
        state.detector.heartbeat(at: now)
        return true
    }

    /// A child's heartbeat reported its subtree.
    package mutating func updateSubtreeSize(of child: ReplicaID, to size: UInt32) {
        children[child]?.updateSubtreeSize(size)
    }

    /// Marks `child` welcomed; false if it is not a child.
    package mutating func markWelcomed(_ child: ReplicaID) -> Bool {
        guard children[child] != nil else { return false }
        children[child]?.welcomed = true
        return true
    }

    /// The PUB socket saw `node`'s topic subscribed or unsubscribed. Returns true if it is a
    /// child waiting for its welcome.
    package mutating func noteSubscription(_ node: ReplicaID, subscribed isSubscribed: Bool) -> Bool {
        if isSubscribed {
            subscribed.insert(node)
            return children[node].map { !$0.welcomed } ?? false
        }
        subscribed.remove(node)
        return false
    }

    /// Children not welcomed within `deferral` of joining (their subscription never showed).
    package func overdueWelcomes(after deferral: Duration, now: Duration) -> [ReplicaID] {
        children.filter { !$0.value.welcomed && now - $0.value.joinedAt >= deferral }.map(\.key).sorted()
    }

    /// When the next welcome falls overdue or a welcomed child's detector declares it dead, if
    /// nothing more is heard (``NodeCore/nextDeadline(now:)``).
    package func nextDeadline(welcomeDeferral deferral: Duration) -> Duration? {
        children.values.lazy.compactMap { child -> Duration? in
            if !child.welcomed { return child.joinedAt + deferral }
            return child.viaGateway ? nil : child.detector.deadline(reaching: .dead)
        }.min()
    }

    /// Welcomed children whose failure detector declares them dead. Browsers behind the
    /// gateway are not judged by heartbeats (a background tab's timers run once a minute): they
    /// leave when their connection closes.
    package func dead(now: Duration) -> [ReplicaID] {
        children.filter { $0.value.welcomed && !$0.value.viaGateway && $0.value.detector.status(at: now) == .dead }.map(\.key).sorted()
    }

    /// Drops `child`; nil if it was not one.
    package mutating func remove(_ child: ReplicaID) -> ChildState? {
        subscribed.remove(child)
        let removed = children.removeValue(forKey: child)
        if let removed {
            if removed.viaGateway { gatewayCount -= 1 } else if !removed.acceptsPackedFrames { nonPackingCount -= 1 }
        }
        return removed
    }

    /// A joiner was sent to `child`: count it until its heartbeats show it.
    package mutating func noteRedirect(to child: ReplicaID, at now: Duration) {
        children[child]?.noteRedirect(at: now)
    }

    /// The welcomed child that can host with the smallest `(subtree + joiners recently sent its
    /// way, rank)`: where a full host sends joiners and moves excess children. Heartbeats report
    /// a child's subtree a beat late; counting the joiners already sent keeps a burst from all
    /// picking the same child.
    package func leastLoadedHost(excluding excluded: ReplicaID?, now: Duration) -> (id: ReplicaID, endpoints: Endpoints)? {
        let load = { (child: ChildState) in child.subtreeSize + child.expectedJoiners(now: now) }
        let best = children.filter { $0.key != excluded && $0.value.endpoints != nil && $0.value.welcomed }
            .min { (load($0.value), $0.value.rank) < (load($1.value), $1.value.rank) }
        guard let best, let endpoints = best.value.endpoints else { return nil }
        return (best.key, endpoints)
    }

    /// Which child to move under which other to shed excess children, or nil while any child
    /// is unsettled: not welcomed, not alive, or attached for less than `delay` (its heartbeats
    /// do not report its subtree yet). The smallest subtree moves (the cheapest re-join), newest
    /// first among equals, under the least-loaded other child that can host.
    package func rebalanceMove(settledFor delay: Duration, now: Duration) -> (child: ReplicaID, target: ReplicaID, endpoints: Endpoints)? {
        let tree = children.filter { !$0.value.viaGateway }
        guard tree.values.allSatisfy({ $0.welcomed && now - $0.joinedAt >= delay && $0.detector.status(at: now) == .alive }) else {
            return nil
        }
        let movable = tree.sorted { ($0.value.subtreeSize, UInt64.max - $0.value.rank) < ($1.value.subtreeSize, UInt64.max - $1.value.rank) }
        for (child, _) in movable {
            if let target = leastLoadedHost(excluding: child, now: now) { return (child, target.id, target.endpoints) }
        }
        return nil
    }
}

/// A child as its host knows it.
package struct ChildState: Sendable {
    package var endpoints: Endpoints?
    package var rank: UInt64
    package var interest: Interest
    package var subtreeSize: UInt32
    package var detector: FailureDetector
    package var joinedAt: Duration
    /// A browser behind this node's gateway (§23): never redirected, moved or declared dead by
    /// heartbeats, and not counted against the fan-out.
    package var viaGateway = false
    package var welcomed = false
    /// Whether its last join or heartbeat said it accepts packed frames (§4.2).
    package var acceptsPackedFrames = true
    /// When joiners were redirected to this child, until its heartbeats show them.
    var redirectedJoiners: [Duration] = []

    /// Joiners sent to this child recently that its reported subtree does not include yet.
    func expectedJoiners(now: Duration) -> UInt32 {
        UInt32(redirectedJoiners.lazy.filter { now - $0 < .seconds(2) }.count)
    }

    mutating func noteRedirect(at now: Duration) {
        redirectedJoiners.removeAll { now - $0 >= .seconds(2) }
        redirectedJoiners.append(now)
    }

    /// A heartbeat's subtree size: growth accounts for redirected joiners, oldest first.
    mutating func updateSubtreeSize(_ size: UInt32) {
        if size > subtreeSize { redirectedJoiners.removeFirst(min(Int(size - subtreeSize), redirectedJoiners.count)) }
        subtreeSize = size
    }
}
