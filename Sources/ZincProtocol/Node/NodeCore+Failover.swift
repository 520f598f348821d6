import ZincCore

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

/// Failure detection, promotion, tree healing and split-brain merging (docs/protocol.md,
/// "Failover"). Safety rests on the CRDTs: a wrong decision here costs a detour, never data.
extension NodeCore {
    /// How long a candidate successor has to send its beacon before the next one is tried.
    static var candidateTimeout: Duration { .milliseconds(800) }
    /// How often a root probes one address for another root.
    static var probeInterval: Duration { .milliseconds(500) }
    /// How long a probe waits for a beacon.
    static var probeTimeout: Duration { .milliseconds(300) }

    /// The transport saw the connection to the parent close (a monitor event): strong
    /// evidence, shortening detection to the configured grace period.
    package mutating func parentDisconnected(now: Duration) {
        if case .joined(let parentID, let endpoints, var detector) = parent {
            detector.noteDisconnect(at: now)
            parent = .joined(id: parentID, endpoints: endpoints, detector: detector)
        }
    }

    func detectFailuresImpl(now: Duration) -> (parentStatus: FailureDetector.Status?, deadChildren: [ReplicaID]) {
        var status: FailureDetector.Status?
        if case .joined(_, _, let detector) = parent { status = detector.status(at: now) }
        let dead = children.filter { $0.value.welcomed && $0.value.detector.status(at: now) == .dead }.map(\.key).sorted()
        return (status, dead)
    }

    mutating func detectFailures(now: Duration) -> [NodeDirective] {
        var out: [NodeDirective] = []
        let (status, dead) = detectFailuresImpl(now: now)
        for child in dead {
            counters.childFailures += 1
            out += removeChild(child, reason: .silent(now - (children[child]?.detector.lastHeard ?? now)))
        }
        switch status {
        case .dead?:
            out += parentDied(now: now)
        case .suspect?:
            if !parentSuspected, let parentID = parent.joinedID {
                parentSuspected = true
                out.append(.event(.parentSuspected(parentID)))
            }
        case .alive?:
            parentSuspected = false
        case nil:
            break
        }
        out += advanceFailover(now: now)
        out += probe(now: now)
        return out
    }

    /// Drops the parent and tells the documents.
    mutating func loseParent(reason: String) -> [NodeDirective] {
        if let endpoints = parent.joinedEndpoints {
            formerParents.removeAll { $0 == endpoints.publish }
            formerParents.insert(endpoints.publish, at: 0)
            if formerParents.count > 8 { formerParents.removeLast() }
        }
        parent = .none
        parentSuspected = false
        var out: [NodeDirective] = [.disconnectParent]
        for document in documents.sorted() { out.append(.document(document, .parentLost)) }
        return out
    }

    /// The parent is dead: find the successor among the siblings (the lowest rank that can
    /// host); be it, or join it.
    mutating func parentDied(now: Duration) -> [NodeDirective] {
        guard let lost = parent.joinedID else { return [] }
        counters.parentFailures += 1
        var out = loseParent(reason: "failed")
        out.append(.event(.parentLost(lost, reason: .failed)))
        family.lostParent = true
        let hosts = family.siblings.filter { $0.endpoints != nil && $0.id != lost }.sorted { $0.rank < $1.rank }
        let ahead = hosts.prefix { $0.id != id }
        if ahead.isEmpty || (configuration.endpoints == nil && hosts.isEmpty) {
            if configuration.endpoints != nil {
                out += becomeSuccessor(now: now)
            } else if let first = configuration.join.first {
                // A node that cannot host and has no sibling to go to starts over.
                out += connect(toPublish: first, now: now)
            }
            return out
        }
        failover = Failover(stage: .candidates, candidates: Array(ahead), since: now)
        if let first = ahead.first?.endpoints {
            out += connect(toPublish: first.publish, now: now)
        }
        return out
    }

    /// Moves to the next candidate when the current one did not answer in time, or at once when
    /// nothing is in flight (the candidate was refused).
    mutating func advanceFailover(now: Duration) -> [NodeDirective] {
        guard var state = failover else { return [] }
        switch parent {
        case .awaitingBeacon: guard now - state.since >= Self.candidateTimeout else { return [] }
        case .none: break
        case .joining, .joined: return []
        }
        if state.stage == .grandparent {
            // The grandparent is unreachable too: become the root of a new term.
            failover = nil
            parent = .none
            return [.disconnectParent] + becomeRoot(now: now)
        }
        state.index += 1
        state.since = now
        if state.index < state.candidates.count, let endpoints = state.candidates[state.index].endpoints {
            failover = state
            return [.disconnectParent] + connect(toPublish: endpoints.publish, now: now)
        }
        // Every candidate ahead of us is gone too: we are the successor.
        failover = nil
        parent = .none
        return [.disconnectParent] + (configuration.endpoints != nil ? becomeSuccessor(now: now) : [])
    }

    /// The would-be parent is in our own subtree: joining it would close a cycle. During a
    /// failover, try the next candidate at once; otherwise stand as the root of a new term.
    /// Merely dropping the parent would leave a root that still names its old tree's root: no
    /// probe could tell the two trees apart, and they would never merge (found by the
    /// simulator, seeds 648 and 3810 of 50 nodes). Dropping it during a failover without moving
    /// on left the node failing over for ever, never probing (seed 2002738 of 8 nodes, 3 clients).
    mutating func refuseDescendant(_ refusal: Refusal, now: Duration) -> [NodeDirective] {
        counters.rejected += 1
        let rejected = NodeDirective.event(.refused(refusal))
        parent = .none
        if failover != nil {
            // Every way on from here starts by disconnecting the parent link.
            return [rejected] + advanceFailover(now: now)
        }
        return [.disconnectParent, rejected] + becomeRoot(now: now)
    }

    /// This node takes its dead parent's place: its siblings will join it; it re-attaches to
    /// the grandparent, or becomes the root of a new term.
    mutating func becomeSuccessor(now: Duration) -> [NodeDirective] {
        counters.promotions += 1
        failover = nil
        if let grandparent = family.grandparent {
            family.lostParent = true
            failover = Failover(stage: .grandparent, candidates: [], since: now)
            return [.event(.promoted(term: term, asRoot: false))] + connect(toPublish: grandparent.publish, now: now)
        }
        return becomeRoot(now: now)
    }

    /// Starts a new term as root.
    mutating func becomeRoot(now: Duration) -> [NodeDirective] {
        noteTerm(term + 1)
        setRoot(id, depth: 0)
        ancestors = []
        family = Family()
        var out: [NodeDirective] = [.event(.promoted(term: term, asRoot: true))]
        if let beacon { out.append(.setBeacon(beacon)) }
        return out
    }

    // MARK: - Split brain

    /// Remembers an address to probe later for other trees.
    mutating func rememberPeer(_ publish: String) {
        if let own = configuration.endpoints?.publish, own == publish { return }
        if !probeTargets.contains(publish) {
            probeTargets.append(publish)
            if probeTargets.count > 32 { probeTargets.removeFirst() }
        }
    }

    /// Looks at one known address per interval through the probe socket: is another tree
    /// out there? Roots probe often, other nodes seldom (their former parents mostly).
    mutating func probe(now: Duration) -> [NodeDirective] {
        if let current = probing {
            guard now - current.since >= Self.probeTimeout else { return [] }
            probing = nil
            return [.probe(nil)]
        }
        // Only from a settled place: a root, or a joined node. A node still joining is on its
        // way into a tree and must not mistake that tree for a rival.
        let settled: Bool
        switch parent {
        case .none, .joined: settled = true
        default: settled = false
        }
        let interval = isJoined ? Self.probeInterval * 4 : Self.probeInterval
        guard settled, now - lastProbe >= interval, failover == nil else { return [] }
        // Every other probe goes to a former parent (where a rival root most likely is); the
        // rest cycle through seeds and the family addresses learned from heartbeats.
        let own = configuration.endpoints?.publish
        let current = parent.endpoints?.publish
        var others = configuration.join.filter { $0 != own && $0 != current }
        for target in probeTargets where !others.contains(target) && target != current { others.append(target) }
        let parents = formerParents.filter { $0 != own && $0 != current }
        guard !parents.isEmpty || !others.isEmpty else { return [] }
        lastProbe = now
        nextProbe += 1
        let target: String
        if !parents.isEmpty && (nextProbe % 2 == 0 || others.isEmpty) {
            target = parents[(nextProbe / 2) % parents.count]
        } else {
            target = others[(nextProbe / 2) % others.count]
        }
        probing = (target, now)
        return [.probe(target)]
    }

    /// The probed node's beacon: our own tree, or another one to merge with.
    package mutating func receiveProbeBeacon(_ beacon: Beacon, now: Duration) -> [NodeDirective] {
        guard probing != nil else { return [] }
        probing = nil
        var out: [NodeDirective] = [.probe(nil)]
        if beacon.root == root || beacon.node == id || beacon.path.contains(id) || ancestors.contains(beacon.node) { return out }
        // Two trees. The one with the higher (term, root ID) wins; the other's root joins it.
        if (beacon.term, beacon.root) > (term, root) {
            if isJoined {
                // Tell our root: it must join them.
                let hint = MergeInvitation(root: beacon.root, endpoints: beacon.endpoints, term: beacon.term)
                out.append(.push(control(.mergeInvitation, hint.encoded, topic: .node(id))))
            } else if case .none = parent, failover == nil {
                counters.merges += 1
                out.append(.event(.mergedInto(root: beacon.root, term: beacon.term)))
                out += connect(toPublish: beacon.endpoints.publish, now: now)
            }
            return out
        }
        // We win: invite them (the invitation climbs to their root, which joins us here).
        guard let endpoints = configuration.endpoints else { return out }
        let invitation = MergeInvitation(root: root, endpoints: endpoints, term: term)
        out.append(.sendOnce(pull: beacon.endpoints.pull, control(.mergeInvitation, invitation.encoded, topic: .node(beacon.node))))
        return out
    }

    /// A merge invitation (or a hint from below): a settled root joins a tree that wins; any
    /// other node passes it up to its root.
    mutating func receiveMergeInvitation(_ invitation: MergeInvitation, now: Duration) -> [NodeDirective] {
        guard invitation.root != root, invitation.root != id else { return [] }
        if isJoined {
            return [.push(control(.mergeInvitation, invitation.encoded, topic: .node(id)))]
        }
        guard case .none = parent, failover == nil, (invitation.term, invitation.root) > (term, root) else { return [] }
        counters.merges += 1
        var out: [NodeDirective] = [.event(.mergedInto(root: invitation.root, term: invitation.term))]
        out += connect(toPublish: invitation.endpoints.publish, now: now)
        return out
    }
}
