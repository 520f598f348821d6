import ZincCore

/// A node's link to its parent: where it stands (looking for a beacon, joining, joined), what
/// the parent told it about the tree around it, the seed it is on, and the failover in
/// progress after the parent died. ``NodeCore`` decides what to do; this value remembers.
struct ParentLink: Sendable {
    var state: ParentState = .none {
        didSet {
            isJoined = state.joinedID != nil
            if !isJoined { parentAcceptsPackedFrames = false }
        }
    }
    /// Kept beside the state because it is asked for every message sent or relayed, and
    /// matching the state in place still copies its endpoints and detector.
    private(set) var isJoined = false
    /// Whether the parent's welcome or last heartbeat said it accepts packed frames (§4.2);
    /// false whenever the node is not joined, so a new parent is asked afresh.
    var parentAcceptsPackedFrames = false
    /// What the parent told us: its parent, our siblings, our rank.
    var family = Family()
    /// Set while re-attaching after the parent died: who to try, in order.
    var failover: Failover?
    /// True once the failure detector suspects the parent (reported once per suspicion).
    var suspected = false
    /// The seed last tried.
    private var seedIndex = 0
    /// Heartbeats in a row from the parent that did not list us as its child.
    private var missingFromParent = 0

    /// How many such heartbeats make the node join again.
    static let missingBeforeRejoin = 3

    /// Starts looking for `publish`'s beacon.
    mutating func connect(toPublish publish: String, now: Duration) {
        state = .awaitingBeacon(publish: publish, since: now)
    }

    /// The next of `seeds` to try (none: stop looking), moving on from the last one.
    mutating func nextSeed(_ seeds: [String]) -> String? {
        seedIndex += 1
        return seeds.isEmpty ? nil : seeds[seedIndex % seeds.count]
    }

    /// A heartbeat from the parent did or did not list us. True when it is time to join again:
    /// the parent stopped counting us (it gave up on us during a partition, say) although we
    /// still hear it.
    mutating func listed(_ listed: Bool) -> Bool {
        guard !listed else {
            missingFromParent = 0
            return false
        }
        missingFromParent += 1
        guard missingFromParent >= Self.missingBeforeRejoin else { return false }
        missingFromParent = 0
        return true
    }

    /// The transport saw the connection to the parent close: strong evidence, shortening
    /// detection to the configured grace period.
    mutating func disconnected(now: Duration) {
        if case .joined(let id, let endpoints, var detector) = state {
            detector.noteDisconnect(at: now)
            state = .joined(id: id, endpoints: endpoints, detector: detector)
        }
    }

    /// Forgets the parent.
    mutating func drop() {
        state = .none
        suspected = false
    }
}

/// What a node knows of its parent.
enum ParentState: Sendable {
    case none
    case awaitingBeacon(publish: String, since: Duration)
    case joining(id: ReplicaID, endpoints: Endpoints, since: Duration, lastSent: Duration)
    case joined(id: ReplicaID, endpoints: Endpoints, detector: FailureDetector)

    var joinedID: ReplicaID? {
        if case .joined(let id, _, _) = self { return id }
        return nil
    }

    var joinedEndpoints: Endpoints? {
        if case .joined(_, let endpoints, _) = self { return endpoints }
        return nil
    }

    var endpoints: Endpoints? {
        switch self {
        case .joining(_, let endpoints, _, _), .joined(_, let endpoints, _): endpoints
        default: nil
        }
    }

    /// The node we talk to on the SUB socket.
    var peerID: ReplicaID? {
        switch self {
        case .joining(let id, _, _, _), .joined(let id, _, _): id
        default: nil
        }
    }

    mutating func heard(at now: Duration) {
        if case .joined(let id, let endpoints, var detector) = self {
            detector.heartbeat(at: now)
            self = .joined(id: id, endpoints: endpoints, detector: detector)
        }
    }
}

/// What the parent told a node about the tree around it, for healing.
struct Family: Sendable {
    var grandparent: Endpoints?
    var siblings: [ChildEntry] = []
    var rank: UInt64 = 0
    /// True while the node re-attaches after its parent died.
    var lostParent = false
}

/// Re-attaching after the parent died, in order of preference.
struct Failover: Sendable {
    enum Stage: Sendable {
        /// Joining the siblings ranked ahead of us, one after the other.
        case candidates
        /// We are the successor, joining the grandparent; if it is gone too, we become root.
        case grandparent
    }

    var stage: Stage
    /// Siblings to try (lowest rank first), each given ``NodeCore/candidateTimeout`` to answer.
    var candidates: [ChildEntry]
    var index = 0
    var since: Duration
}
