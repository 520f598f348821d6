import ZincCore

/// Failure detection, promotion, tree healing and split-brain merging (docs/protocol.md,
/// "Failover"). Safety rests on the CRDTs: a wrong decision here costs a detour, never data.
extension NodeCore {
    /// How long a candidate successor has to send its beacon before the next one is tried.
    static var candidateTimeout: Duration { .milliseconds(800) }

    /// The transport saw the connection to the parent close (a monitor event): strong
    /// evidence, shortening detection to the configured grace period.
    package mutating func parentDisconnected(now: Duration) {
        link.disconnected(now: now)
    }

    func detectFailuresImpl(now: Duration) -> (parentStatus: FailureDetector.Status?, deadChildren: [ReplicaID]) {
        var status: FailureDetector.Status?
        if case .joined(_, _, let detector) = link.state { status = detector.status(at: now) }
        return (status, children.dead(now: now))
    }

    mutating func detectFailures(now: Duration) -> [CoreDirective] {
        var out: [CoreDirective] = []
        let (status, dead) = detectFailuresImpl(now: now)
        for child in dead {
            counters.childFailures += 1
            // A child that was only slow hears this and joins again at once.
            out.append(.publish(control(.leave, Leave(successor: ChildEntry(id: id, endpoints: configuration.endpoints, rank: 0)).encoded, topic: .node(child))))
            out += removeChild(child, reason: .silent(now - (children[child]?.detector.lastHeard ?? now)))
        }
        switch status {
        case .dead?:
            out += parentDied(now: now)
        case .suspect?:
            if !link.suspected, let parentID = link.state.joinedID {
                link.suspected = true
                out.append(.event(.parentSuspected(parentID)))
            }
        case .alive?:
            link.suspected = false
        case nil:
            break
        }
        out += advanceFailover(now: now)
        out += probe(now: now)
        return out
    }

    /// Drops the parent and tells the documents.
    mutating func loseParent(reason: String) -> [CoreDirective] {
        if let endpoints = link.state.joinedEndpoints {
            splitBrain.rememberFormerParent(endpoints.publish)
        }
        link.drop()
        var out: [CoreDirective] = [.disconnectParent]
        for document in documents.sorted() { out.append(.document(document, .parentLost)) }
        return out
    }

    /// The parent is dead: find the successor among the siblings (the lowest rank that can
    /// host, those on other machines than the parent's first); be it, or join it.
    mutating func parentDied(now: Duration) -> [CoreDirective] {
        guard let lost = link.state.joinedID else { return [] }
        let lostMachine = link.state.joinedEndpoints.flatMap { TCPHost.of($0.publish) }
        counters.parentFailures += 1
        var out = loseParent(reason: "failed")
        out.append(.event(.parentLost(lost, reason: .failed)))
        link.family.lostParent = true
        // A parent that died with its machine took the siblings on that machine with it: trying
        // them first cost a candidate timeout each (found with three hosts on a bridge). Every
        // sibling orders the same list the same way, so they still agree on the successor.
        let hosts = link.family.siblings.filter { $0.endpoints != nil && $0.id != lost }.sorted { a, b in
            let aShares = lostMachine != nil && a.endpoints.flatMap { TCPHost.of($0.publish) } == lostMachine
            let bShares = lostMachine != nil && b.endpoints.flatMap { TCPHost.of($0.publish) } == lostMachine
            return aShares != bShares ? !aShares : a.rank < b.rank
        }
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
        link.failover = Failover(stage: .candidates, candidates: Array(ahead), since: now)
        if let first = ahead.first?.endpoints {
            out += connect(toPublish: first.publish, now: now)
        }
        return out
    }

    /// Moves to the next candidate when the current one did not answer in time, or at once when
    /// nothing is in flight (the candidate was refused).
    mutating func advanceFailover(now: Duration) -> [CoreDirective] {
        guard var state = link.failover else { return [] }
        switch link.state {
        case .awaitingBeacon: guard now - state.since >= Self.candidateTimeout else { return [] }
        case .none: break
        case .joining, .joined: return []
        }
        if state.stage == .grandparent {
            // The grandparent is unreachable too: become the root of a new term.
            link.failover = nil
            link.state = .none
            return [.disconnectParent] + becomeRoot(now: now)
        }
        state.index += 1
        state.since = now
        if state.index < state.candidates.count, let endpoints = state.candidates[state.index].endpoints {
            link.failover = state
            return [.disconnectParent] + connect(toPublish: endpoints.publish, now: now)
        }
        // Every candidate ahead of us is gone too: we are the successor.
        link.failover = nil
        link.state = .none
        return [.disconnectParent] + (configuration.endpoints != nil ? becomeSuccessor(now: now) : [])
    }

    /// The would-be parent is in our own subtree: joining it would close a cycle. During a
    /// failover, try the next candidate at once; otherwise stand as the root of a new term.
    /// Merely dropping the parent would leave a root that still names its old tree's root: no
    /// probe could tell the two trees apart, and they would never merge (found by the
    /// simulator, seeds 648 and 3810 of 50 nodes). Dropping it during a failover without moving
    /// on left the node failing over for ever, never probing (seed 2002738 of 8 nodes, 3 clients).
    mutating func refuseDescendant(_ refusal: Refusal, now: Duration) -> [CoreDirective] {
        counters.rejected += 1
        let rejected = CoreDirective.event(.refused(refusal))
        link.state = .none
        if link.failover != nil {
            // Every way on from here starts by disconnecting the parent link.
            return [rejected] + advanceFailover(now: now)
        }
        return [.disconnectParent, rejected] + becomeRoot(now: now)
    }

    /// This node takes its dead parent's place: its siblings will join it; it re-attaches to
    /// the grandparent, or becomes the root of a new term.
    mutating func becomeSuccessor(now: Duration) -> [CoreDirective] {
        counters.promotions += 1
        link.failover = nil
        if let grandparent = link.family.grandparent {
            link.family.lostParent = true
            link.failover = Failover(stage: .grandparent, candidates: [], since: now)
            return [.event(.promoted(term: term, asRoot: false))] + connect(toPublish: grandparent.publish, now: now)
        }
        return becomeRoot(now: now)
    }

    /// Starts a new term as root.
    mutating func becomeRoot(now: Duration) -> [CoreDirective] {
        noteTerm(term + 1)
        setRoot(id, depth: 0)
        ancestors = []
        link.family = Family()
        var out: [CoreDirective] = [.event(.promoted(term: term, asRoot: true))]
        if let beacon { out.append(.setBeacon(beacon)) }
        return out
    }

    // MARK: - Split brain

    /// Where to look for other trees besides the learned targets: the seeds, then the addresses
    /// gossip last placed under another root (freshest first).
    func probeSeeds(now: Duration) -> [String] {
        let elsewhere = membership.elsewhere(than: root, now: now).filter { !configuration.join.contains($0) }
        return elsewhere.isEmpty ? configuration.join : configuration.join + elsewhere
    }

    /// How long a joined node that heard of a winning tree waits for its root to merge before it
    /// checks the tree itself, and moves its subtree there if its own probe reaches it.
    static var mergePatience: Duration { .seconds(2) }

    /// A pending merge: dropped once the root merged (or this node left its place, or it is
    /// old); due for this node's own probe after ``mergePatience``, at most once a second.
    mutating func checkPendingMerge(now: Duration) {
        guard let pending = pendingMerge else { return }
        guard isJoined, pending.invitation.root != root, now - pending.since < .seconds(30) else {
            pendingMerge = nil
            return
        }
        if now - pending.since >= Self.mergePatience, pending.probed.map({ now - $0 >= .seconds(1) }) ?? true {
            pendingMerge?.probed = now
            splitBrain.expedite(pending.invitation.endpoints.publish)
        }
    }

    /// When ``checkPendingMerge(now:)`` next acts.
    var pendingMergeDeadline: Duration? {
        guard let pending = pendingMerge else { return nil }
        return max(pending.since + Self.mergePatience, (pending.probed ?? .zero) + .seconds(1))
    }

    /// Remembers an address to probe later for other trees.
    mutating func rememberPeer(_ publish: String) {
        splitBrain.remember(publish, own: configuration.endpoints?.publish)
    }

    /// Looks at one known address per interval through the probe socket: is another tree
    /// out there? Roots probe often, other nodes seldom (their former parents mostly), and
    /// only from a settled place: a node still joining or failing over is on its way into a
    /// tree and must not mistake that tree for a rival.
    mutating func probe(now: Duration) -> [CoreDirective] {
        if let probed = splitBrain.current?.target {
            guard splitBrain.expire(now: now) else { return [] }
            // No beacon: unreachable from here (a one-way cut, say). If discovery named it, the
            // next announcement of that tree points at another of its hosts.
            discoveredHostFailed(probed, now: now)
            return [.probe(nil)]
        }
        let settled: Bool
        switch link.state {
        case .none, .joined: settled = true
        default: settled = false
        }
        checkPendingMerge(now: now)
        guard settled, link.failover == nil,
              let target = splitBrain.next(now: now, joined: isJoined, seeds: probeSeeds(now: now), own: configuration.endpoints?.publish, parent: link.state.endpoints?.publish, isChild: children.hasHost(publishing:))
        else { return [] }
        return [.probe(target)]
    }

    /// The probed node's beacon: our own tree, or another one to merge with.
    package mutating func receiveProbeBeacon(_ beacon: Beacon, now: Duration) -> [CoreDirective] {
        guard let probed = splitBrain.answer() else { return [] }
        var out: [CoreDirective] = [.probe(nil)]
        if beacon.root == root || beacon.node == id || beacon.path.contains(id) || ancestors.contains(beacon.node) { return out }
        // Two trees. The one with the higher (term, root ID) wins; the other's root joins it.
        if (beacon.term, beacon.root) > (term, root) {
            if isJoined, let pending = pendingMerge, pending.invitation.root == beacon.root, now - pending.since >= Self.mergePatience {
                // Our root has not merged in all that time (it cannot reach them: a one-way cut,
                // say), but we can: this subtree goes first, and the rest follows through it.
                pendingMerge = nil
                let lost = link.state.peerID
                out += loseParent(reason: "merging")
                if let lost { out.append(.event(.parentLost(lost, reason: .merging))) }
                counters.merges += 1
                out.append(.event(.mergedInto(root: beacon.root, term: beacon.term)))
                out += connect(toPublish: probed, now: now)
            } else if isJoined {
                // Tell our root: it must join them.
                let hint = MergeInvitation(root: beacon.root, endpoints: beacon.endpoints, term: beacon.term)
                out.append(.push(control(.mergeInvitation, hint.encoded, topic: .node(id))))
            } else if case .none = link.state, link.failover == nil {
                counters.merges += 1
                out.append(.event(.mergedInto(root: beacon.root, term: beacon.term)))
                // The address probed, not the one the beacon claims: only the first is known.
                out += connect(toPublish: probed, now: now)
            }
            return out
        }
        // We win: invite them (the invitation climbs to their root, which checks it by probing us).
        guard let endpoints = configuration.endpoints else { return out }
        let invitation = MergeInvitation(root: root, endpoints: endpoints, term: term)
        out.append(.sendOnce(pull: beacon.endpoints.pull, control(.mergeInvitation, invitation.encoded, topic: .node(beacon.node))))
        return out
    }

    /// A merge invitation, or a hint from a child that its probing found a tree that wins.
    /// Neither makes a root re-parent by itself (docs/security.md, "Merging trees"): one from
    /// outside the tree counts only if it names an address this node knows, or if the node is a
    /// lone root (nothing below it to mislead: a root restarted without its data knows nobody);
    /// a joined node passes it up, and a root probes the address itself: only the beacon its own
    /// probe finds there moves it (``receiveProbeBeacon(_:now:)``).
    mutating func receiveMergeInvitation(_ invitation: MergeInvitation, fromChild: Bool, now: Duration) -> [CoreDirective] {
        guard invitation.root != root, invitation.root != id else { return [] }
        let lone = children.isEmpty && !isJoined
        guard fromChild || lone || splitBrain.knows(invitation.endpoints.publish, seeds: configuration.join) || membership.contains(invitation.endpoints.publish) else {
            counters.rejected += 1
            counters.lastProblem = "a merge invitation from outside the tree to \(invitation.endpoints.publish), an address this node never learned: ignored"
            return []
        }
        if isJoined {
            if (invitation.term, invitation.root) > (term, root), pendingMerge?.invitation.root != invitation.root {
                pendingMerge = (invitation, now, nil)
            }
            return [.push(control(.mergeInvitation, invitation.encoded, topic: .node(id)))]
        }
        guard case .none = link.state, link.failover == nil, (invitation.term, invitation.root) > (term, root) else { return [] }
        splitBrain.expedite(invitation.endpoints.publish)
        return []
    }
}
