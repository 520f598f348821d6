import ZincCore

// Discovery by cluster name (docs/protocol.md, "Discovery"). A hosting node announces its tree
// over UDP; what it hears only ever tells it where to connect. Trust still comes from the
// connection: a joiner reads the host's beacon over its SUB socket (CURVE in a keyed cluster)
// before it asks to join, and a root merges only on the beacon its own probe reads.
extension NodeCore {
    /// This node's announcement, if it can host and discovery is on.
    package var announcement: Announcement? {
        guard let discovery, let endpoints = configuration.endpoints else { return nil }
        return Announcement(
            cluster: discovery.settings.cluster, node: id, root: root, term: term, depth: depth,
            children: UInt32(clamping: children.treeCount), fanout: UInt32(clamping: configuration.fanout), endpoints: endpoints)
    }

    /// A datagram arrived on the discovery port.
    package mutating func receiveDatagram(_ bytes: [UInt8], from source: DatagramSource, now: Duration) -> [CoreDirective] {
        guard var view = discovery else { return [] }
        let heard = view.receive(bytes, from: source, own: id, now: now)
        var out: [CoreDirective] = []
        switch heard {
        case .nothing:
            break
        case .announcement(let announcement):
            discovered(announcement, in: &view, now: now)
        case .survey(let survey, let asker):
            if view.spendAnswer(now: now) {
                out = [.node(.sendDatagram(DiscoveryDatagram.answer(answer(to: survey, reveal: view.settings.revealsDocuments)).encoded, to: asker))]
            }
        }
        discovery = view
        return out
    }

    /// A root not on its way anywhere: no parent link, not failing over.
    private var isSettledRoot: Bool {
        if case .none = link.state, link.failover == nil { return true }
        return false
    }

    /// What a heard announcement means here. A lone root (no parent, no children: a node that
    /// just started, say) will join a tree with members, or else a lone root that ranks
    /// higher: one interval after it first hears one, it picks that tree's least loaded host
    /// (``joinDiscovered(now:)``). A tree with members merges only with another tree with
    /// members, by the rule of "Split brain": it remembers where that tree is, and a root
    /// whose tree loses probes it at once. (A tree never moves under a node that has only just
    /// appeared.)
    private mutating func discovered(_ announcement: Announcement, in view: inout DiscoveryView, now: Duration) {
        guard announcement.root != root else { return }
        let wins = (announcement.term, announcement.root) > (term, root)
        if isSettledRoot && children.isEmpty {
            if announcement.treeHasMembers || wins { view.scheduleJoinDecision(now: now) }
            return
        }
        guard announcement.treeHasMembers else { return }
        rememberPeer(announcement.endpoints.publish)
        if wins && isSettledRoot, let host = view.host(inTreeOf: announcement.root, now: now) {
            splitBrain.expedite(host.endpoints.publish)
        }
    }

    /// A lone node's join decision, when due (a tick's part).
    mutating func joinDiscovered(now: Duration) -> [CoreDirective] {
        guard var view = discovery, view.takeJoinDecision(now: now) else { return [] }
        discovery = view
        guard isSettledRoot, children.isEmpty, let host = view.treeToJoin(own: (term, root), now: now) else { return [] }
        return [.event(.discovered(root: host.root, host: host.node))] + connect(toPublish: host.endpoints.publish, now: now)
    }

    private func answer(to survey: Survey, reveal: Bool) -> SurveyAnswer {
        let role: SurveyAnswer.Role = switch self.role {
        case .root: .root
        case .host: .host
        case .client: .client
        case .joining: .joining
        }
        var answer = SurveyAnswer(
            nonce: survey.nonce, cluster: discovery?.settings.cluster ?? "", node: id, role: role, parent: parentID,
            children: UInt32(clamping: children.treeCount), root: root, term: term, depth: depth, endpoints: configuration.endpoints,
            documentCount: UInt32(clamping: documents.count), documents: [])
        answer.list(reveal ? documents.sorted() : [])
        answer.documentCount = UInt32(clamping: documents.count)
        return answer
    }

    /// Connecting to `publish` came to nothing (no beacon, or no welcome, in time): if
    /// discovery named it, pass it over for a while.
    mutating func discoveredHostFailed(_ publish: String, now: Duration) {
        discovery?.avoid(publish, now: now)
    }

    /// Announces this node when due (a tick's part).
    mutating func announce(now: Duration) -> [CoreDirective] {
        guard var view = discovery, let announcement else { return [] }
        defer { discovery = view }
        guard view.shouldAnnounce(announcement, now: now) else { return [] }
        return [.node(.broadcast(DiscoveryDatagram.announcement(announcement).encoded))]
    }

    /// When ``announce(now:)`` or ``joinDiscovered(now:)`` next acts.
    var nextDiscoveryDeadline: Duration? {
        guard let discovery else { return nil }
        let announcing = announcement.map(discovery.nextAnnouncement)
        switch (announcing, discovery.joinDecision) {
        case let (announcing?, join?): return min(announcing, join)
        case let (announcing, join): return announcing ?? join
        }
    }
}
