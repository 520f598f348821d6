package import ZincCore

/// What a node hears of its cluster over UDP discovery (docs/protocol.md, "Discovery"): the
/// hosting nodes announced recently, the rate limits that keep a flood from costing more than
/// a counter, and when this node announces itself next. Pure state; ``NodeCore`` decides what a
/// heard tree means.
package struct DiscoveryView: Sendable {
    package struct Settings: Sendable, Hashable {
        /// The cluster's name: nodes of other names are ignored.
        package var cluster: String
        /// How often a hosting node announces itself.
        package var interval: Duration = .seconds(1)
        /// The soonest a changed announcement (new root, term or children) goes out again.
        package var changeInterval: Duration = .milliseconds(250)
        /// An announcer not heard for this long is forgotten.
        package var expiry: Duration = .seconds(3)
        /// Whether survey answers list document names (not in keyed clusters).
        package var revealsDocuments = true
        /// How long a host that could not be joined is passed over.
        package var avoidance: Duration = .seconds(30)

        package init(cluster: String) {
            self.cluster = cluster
        }
    }

    /// Counts for status and metrics.
    package struct Counters: Sendable, Hashable {
        package var announced: UInt64 = 0
        package var heard: UInt64 = 0
        /// Valid datagrams of another cluster.
        package var otherCluster: UInt64 = 0
        /// Malformed, oversized, unreachable, or over a source's rate.
        package var dropped: UInt64 = 0
        package var answered: UInt64 = 0
        package var lastProblem: String?
    }

    /// The most announcers remembered, and the most senders rate-limited separately.
    static let maxHeard = 256
    static let maxSenders = 1024
    /// Datagrams accepted per second from one sender (an address and, for announcements, the
    /// node announcing), datagrams taken in per second in all, and survey answers sent per
    /// second.
    static let senderRate = 10.0
    static let totalRate = 1000.0
    static let answerRate = 20.0

    package let settings: Settings
    package private(set) var counters = Counters()
    /// Hosting nodes heard, by node, with when.
    package private(set) var heard: [ReplicaID: (announcement: Announcement, at: Duration)] = [:]
    private var senders: [String: TokenBucket] = [:]
    private var total: TokenBucket
    private var answers: TokenBucket
    private var lastAnnounced: (at: Duration, key: AnnouncementKey)?
    /// When a lone node that heard a tree to join picks the host: one interval after it first
    /// heard one, so that every host of that tree has announced its load.
    package private(set) var joinDecision: Duration?

    /// Hosts a join through discovery failed to reach (no beacon in time: dead, unreachable, or
    /// refusing our key), and until when they are passed over. A forged announcement so costs
    /// one refused connection per ``Settings/avoidance``, not one per announcement.
    private var avoided: [String: Duration] = [:]
    static let maxAvoided = 64

    /// A host heard through discovery did not let this node in: pass it over for a while.
    package mutating func avoid(_ publish: String, now: Duration) {
        avoided = avoided.filter { $0.value > now }
        guard avoided.count < Self.maxAvoided || avoided[publish] != nil else { return }
        avoided[publish] = now + settings.avoidance
    }

    /// True if `publish` failed recently.
    package func isAvoided(_ publish: String, now: Duration) -> Bool {
        avoided[publish].map { $0 > now } ?? false
    }

    /// A lone node heard a tree it could join: decide one interval from now (if not already due).
    package mutating func scheduleJoinDecision(now: Duration) {
        if joinDecision == nil { joinDecision = now + settings.interval }
    }

    /// True once, when the join decision is due.
    package mutating func takeJoinDecision(now: Duration) -> Bool {
        guard let joinDecision, now >= joinDecision else { return false }
        self.joinDecision = nil
        return true
    }

    package init(settings: Settings, now: Duration) {
        self.settings = settings
        answers = TokenBucket(rate: Self.answerRate, now: now)
        total = TokenBucket(rate: Self.totalRate, now: now)
    }

    /// What a datagram asks of the node.
    package enum Heard: Sendable, Hashable {
        /// Nothing: not for this cluster, from this node, malformed, or over the rate.
        case nothing
        /// A hosting node of this cluster, its endpoints as this node can reach them.
        case announcement(Announcement)
        /// A survey this node should answer (``spendAnswer(now:)`` permitting).
        case survey(Survey, from: DatagramSource)
    }

    /// Takes one datagram from the network. `own` is this node's ID (its own announcements come
    /// back on a broadcast).
    package mutating func receive(_ bytes: [UInt8], from source: DatagramSource, own: ReplicaID, now: Duration) -> Heard {
        guard total.take(now: now) else {
            drop("more than \(Int(Self.totalRate)) discovery datagrams a second")
            return .nothing
        }
        let datagram: DiscoveryDatagram
        do throws(FormatError) {
            datagram = try DiscoveryDatagram(decoding: bytes)
        } catch {
            drop("a discovery datagram from \(source): \(error)")
            return .nothing
        }
        // Every node of a machine sends from one loopback address: the budget is per sender
        // (address and announcing node), so a hundred nodes on one host are not rate-limited
        // as one.
        let sender: String
        if case .announcement(let announcement) = datagram { sender = "\(source.host) \(announcement.node)" } else { sender = source.host }
        guard admit(sender, now: now) else {
            drop("more than \(Int(Self.senderRate)) datagrams a second from \(sender)")
            return .nothing
        }
        switch datagram {
        case .announcement(var announcement):
            guard announcement.cluster == settings.cluster else {
                counters.otherCluster += 1
                return .nothing
            }
            guard announcement.node != own else { return .nothing }
            guard let endpoints = announcement.endpoints.reachable(from: source) else {
                drop("an announcement from \(source) of \(announcement.endpoints.publish), unreachable from here")
                return .nothing
            }
            announcement.endpoints = endpoints
            counters.heard += 1
            remember(announcement, now: now)
            return .announcement(announcement)
        case .survey(let survey):
            guard survey.asks(settings.cluster) else {
                counters.otherCluster += 1
                return .nothing
            }
            return .survey(survey, from: source)
        case .answer:
            // Answers go to the asker's own port; one reaching the discovery port is noise.
            return .nothing
        }
    }

    /// True (and counted) if an answer may go out now.
    package mutating func spendAnswer(now: Duration) -> Bool {
        guard answers.take(now: now) else {
            drop("more than \(Int(Self.answerRate)) surveys a second to answer")
            return false
        }
        counters.answered += 1
        return true
    }

    /// The host of the tree rooted at `root` a joiner should try first: the least loaded one
    /// heard recently with room for a child (fewest children for its fan-out), shallower first;
    /// if all are full, the shallowest (it redirects).
    package func host(inTreeOf root: ReplicaID, now: Duration) -> Announcement? {
        let live = heard.values.filter {
            $0.announcement.root == root && now - $0.at < settings.expiry && !isAvoided($0.announcement.endpoints.publish, now: now)
        }.map(\.announcement)
        func load(_ a: Announcement) -> Double { Double(a.children) / Double(a.fanout) }
        let open = live.filter { $0.children < $0.fanout }
        let ordered = (open.isEmpty ? live : open).sorted {
            (load($0), $0.depth, $0.node) < (load($1), $1.depth, $1.node)
        }
        return ordered.first
    }

    /// The tree a lone node should join, as far as it heard in the last ``Settings/expiry``:
    /// a tree with members (the one that ranks highest by `(term, root)`), or else the lone
    /// node that ranks highest, if it outranks `own`. Its least loaded host is the one to ask.
    package func treeToJoin(own: (term: UInt64, root: ReplicaID), now: Duration) -> Announcement? {
        let live = heard.values.filter {
            now - $0.at < settings.expiry && $0.announcement.root != own.root && !isAvoided($0.announcement.endpoints.publish, now: now)
        }.map(\.announcement)
        let withMembers = live.filter(\.treeHasMembers)
        let best: Announcement?
        if let tree = withMembers.max(by: { ($0.term, $0.root) < ($1.term, $1.root) }) {
            best = tree
        } else {
            best = live.filter { ($0.term, $0.root) > own }.max { ($0.term, $0.root) < ($1.term, $1.root) }
        }
        return best.flatMap { host(inTreeOf: $0.root, now: now) }
    }

    /// Whether `announcement` (this node's current one) should go out now: on the interval, or
    /// sooner when it changed. Marks it sent.
    package mutating func shouldAnnounce(_ announcement: Announcement, now: Duration) -> Bool {
        guard now >= nextAnnouncement(announcement) else { return false }
        lastAnnounced = (now, AnnouncementKey(announcement))
        counters.announced += 1
        return true
    }

    /// When ``shouldAnnounce(_:now:)`` next says yes for `announcement`.
    package func nextAnnouncement(_ announcement: Announcement) -> Duration {
        guard let lastAnnounced else { return .zero }
        let changed = lastAnnounced.key != AnnouncementKey(announcement)
        return lastAnnounced.at + (changed ? settings.changeInterval : settings.interval)
    }

    private mutating func remember(_ announcement: Announcement, now: Duration) {
        if heard[announcement.node] == nil, heard.count >= Self.maxHeard {
            // Full: forget whoever was heard longest ago.
            if let oldest = heard.min(by: { $0.value.at < $1.value.at })?.key { heard[oldest] = nil }
        }
        heard[announcement.node] = (announcement, now)
    }

    private mutating func admit(_ sender: String, now: Duration) -> Bool {
        if senders[sender] == nil, senders.count >= Self.maxSenders {
            if let stalest = senders.min(by: { $0.value.last < $1.value.last })?.key { senders[stalest] = nil }
        }
        var bucket = senders[sender] ?? TokenBucket(rate: Self.senderRate, now: now)
        defer { senders[sender] = bucket }
        return bucket.take(now: now)
    }

    private mutating func drop(_ problem: String) {
        counters.dropped += 1
        counters.lastProblem = problem
    }
}

/// What makes an announcement news: a change of tree, place or load.
private struct AnnouncementKey: Hashable {
    let root: ReplicaID
    let term: UInt64
    let depth: UInt32
    let children: UInt32

    init(_ announcement: Announcement) {
        root = announcement.root
        term = announcement.term
        depth = announcement.depth
        children = announcement.children
    }
}

/// At most `rate` events a second, with bursts of up to `rate`.
struct TokenBucket: Sendable {
    let rate: Double
    private var tokens: Double
    private(set) var last: Duration

    init(rate: Double, now: Duration) {
        self.rate = rate
        tokens = rate
        last = now
    }

    mutating func take(now: Duration) -> Bool {
        let elapsed = max(0, (now - last) / .seconds(1))
        tokens = min(rate, tokens + elapsed * rate)
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
