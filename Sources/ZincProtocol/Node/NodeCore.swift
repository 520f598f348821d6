package import ZincCore

/// One node's membership in the host/client tree, as a pure state machine (the model is
/// `SWIM.Instance`): inputs are messages, beacons, subscription changes and ticks with the time
/// passed in; outputs are ``NodeDirective``s for the shell. Document traffic is handed to each
/// document's ``DocumentSync``; this type decides who is parent and children, and routes.
///
/// Joining (docs/protocol.md, "Joining"): connect SUB to the host's PUB endpoint and wait for its
/// welcome beacon (which names its PULL endpoint), connect PUSH, send `join` until `welcome` or
/// `redirect` arrives. The host welcomes only once its XPUB shows the joiner's directed
/// subscription, so the reply cannot be lost to the slow-joiner race.
package struct NodeCore: Sendable {
    package let configuration: NodeConfiguration
    package var id: ReplicaID { configuration.id }

    /// The epoch of the tree this node belongs to; promotion and merges raise it.
    package private(set) var term: UInt64 = 0
    package private(set) var root: ReplicaID
    package private(set) var depth: UInt32 = 0
    /// Ancestors, root first (empty at the root).
    package internal(set) var ancestors: [ReplicaID] = []
    var parent: ParentState = .none
    var children: [ReplicaID: ChildState] = [:]
    var nextRank: UInt64 = 0
    /// What the parent told us: its parent, our siblings, our rank.
    var family = Family()
    /// Documents this node replicates.
    package private(set) var documents: Set<String> = []
    private var subscribedDocuments: Set<String> = []
    private var subscribedToAll = false
    /// Children's node topics the PUB socket has seen subscribed.
    var subscribedNodes: Set<ReplicaID> = []
    /// Who may author what, as far as this node knows (its own replicas, its children's claims).
    package private(set) var trust = TrustTable()

    /// Declares a document replica this node authors (its children may not write as it).
    package mutating func claim(_ replica: ReplicaID) {
        trust.own.insert(replica)
    }
    private var lastHeartbeat: Duration = .zero
    /// Set while re-attaching after the parent died: who to try, in order.
    var failover: Failover?
    /// Addresses a root probes to find other roots (split brain).
    var probeTargets: [String] = []
    /// Former parents, most recent first: the likeliest place to find another root.
    package internal(set) var formerParents: [String] = []
    var nextProbe = 0
    var lastProbe: Duration = .zero
    /// The address being probed and since when.
    var probing: (target: String, since: Duration)?
    var parentSuspected = false
    var seedIndex = 0
    var missingFromParent = 0
    /// When this host last moved a child to rebalance.
    var lastRebalance: Duration = .zero
    private var applicationSequence: UInt64 = 0
    private var seenApplication: Set<MessageKey> = []
    /// The remembered keys in arrival order, as a ring: the oldest is at `seenNext` once full.
    private var seenOrder: [MessageKey] = []
    private var seenNext = 0
    package internal(set) var counters = NodeCounters()

    package init(configuration: NodeConfiguration) {
        self.configuration = configuration
        root = configuration.id
    }

    // MARK: - Observation

    /// Where the node stands in its tree, for status displays.
    package enum Role: String, Sendable {
        /// The root of a tree: no parent, and not looking for one.
        case root
        /// Joined to a parent, with children of its own.
        case host
        /// Joined to a parent, without children.
        case client
        /// Looking for a parent: connecting to a seed, joining, or failing over. Not a root,
        /// although it has no parent (a node failing over must not look like a second root).
        case joining
    }

    package var role: Role {
        if parent.joinedID != nil { return children.isEmpty ? .client : .host }
        if case .none = parent, failover == nil { return .root }
        return .joining
    }

    package var parentID: ReplicaID? { parent.joinedID }

    /// The parent link's state, for status displays.
    package var parentState: String {
        switch parentLink {
        case .none: "none"
        case .failingOver: "failing over"
        case .connecting(let publish): "connecting to \(publish)"
        case .joining(let id): "joining \(id.shortDescription)"
        case .joined(let id): "joined \(id.shortDescription)"
        }
    }

    /// The parent link's state, as a value.
    package enum ParentLink: Sendable, Hashable {
        case none, failingOver
        case connecting(String)
        case joining(ReplicaID)
        case joined(ReplicaID)
    }

    package var parentLink: ParentLink {
        switch parent {
        case .none: failover == nil ? .none : .failingOver
        case .awaitingBeacon(let publish, _): .connecting(publish)
        case .joining(let id, _, _, _): .joining(id)
        case .joined(let id, _, _): .joined(id)
        }
    }
    package var parentEndpoints: Endpoints? { parent.endpoints }
    package var childIDs: [ReplicaID] { children.keys.sorted() }
    package var childEntries: [ChildEntry] {
        children.map { ChildEntry(id: $0.key, endpoints: $0.value.endpoints, rank: $0.value.rank) }.sorted { $0.rank < $1.rank }
    }
    package var isJoined: Bool { parent.joinedID != nil }
    /// Publish addresses of nodes this one has been linked with — its parent, former parents,
    /// family learned from heartbeats (newest first), children that can host — most useful
    /// first, without its own or duplicates. Worth keeping across a restart: a node whose only
    /// configured seed is gone can still find its tree through them. At most
    /// ``RememberedPeers/limit``.
    package var knownPeers: [String] {
        var addresses: [String] = []
        let own = configuration.endpoints?.publish
        func add(_ address: String?) {
            if let address, address != own, !address.isEmpty, !addresses.contains(address) { addresses.append(address) }
        }
        add(parent.joinedEndpoints?.publish)
        formerParents.forEach(add)
        probeTargets.reversed().forEach(add)
        childEntries.forEach { add($0.endpoints?.publish) }
        return Array(addresses.prefix(RememberedPeers.limit))
    }
    /// Nodes in this node's subtree, itself included.
    package var subtreeSize: UInt32 { 1 + children.values.reduce(0) { $0 + $1.subtreeSize } }

    /// The context documents need for routing decisions.
    package func context(now: Duration) -> RouteContext {
        RouteContext(node: id, term: term, hasParent: isJoined, hasChildren: !children.isEmpty, isRoot: role == .root, now: now, trust: trust, children: childIDs)
    }

    /// This node's interest plus its children's.
    package var effectiveInterest: Interest {
        children.values.reduce(configuration.interest) { $0.union($1.interest) }
    }

    package var beacon: Beacon? {
        configuration.endpoints.map { Beacon(node: id, endpoints: $0, root: root, term: term, depth: depth, path: ancestors) }
    }

    /// This node's path from the root, itself last.
    var path: [ReplicaID] { ancestors + [id] }

    // MARK: - Start and stop

    /// Starts the node: subscribe to what it needs, publish its beacon, begin joining.
    package mutating func start(now: Duration) -> [NodeDirective] {
        lastHeartbeat = now
        var out: [NodeDirective] = [
            .subscribe(Topic.welcome.bytes), .subscribe(Topic.node(id).bytes), .subscribe(Topic.tree.bytes),
            .subscribe(Topic.allApplications),
        ]
        out += updateSubscriptions()
        if let beacon { out.append(.setBeacon(beacon)) }
        if let first = configuration.join.first {
            out += connect(toPublish: first, now: now)
        }
        return out
    }

    /// Leaves the tree cleanly: tell the parent, and tell the children who takes over.
    package mutating func leave(now: Duration) -> [NodeDirective] {
        var out: [NodeDirective] = []
        let successor = childEntries.first { $0.endpoints != nil }
        if !children.isEmpty {
            out.append(.publish(control(.leave, Leave(successor: successor).encoded, topic: .tree)))
        }
        if isJoined {
            out.append(.push(control(.leave, Leave(successor: nil).encoded, topic: .node(id))))
        }
        return out
    }

    /// Makes the node replicate `document` (an application opened it).
    package mutating func open(_ document: String, now: Duration) -> [NodeDirective] {
        guard Topic.isValidName(document), !documents.contains(document) else { return [] }
        documents.insert(document)
        var out: [NodeDirective] = [.document(document, .open)]
        out += updateSubscriptions()
        if isJoined { out.append(.document(document, .parentJoined)) }
        // A node that only replicates some documents tells its parent its interest grew.
        if case .documents = effectiveInterest, isJoined {
            out.append(.push(joinMessage(afterFailover: false)))
        }
        return out
    }

    // MARK: - Joining

    mutating func connect(toPublish publish: String, now: Duration) -> [NodeDirective] {
        parent = .awaitingBeacon(publish: publish, since: now)
        return [.connectSubscriber(publish)]
    }

    /// A welcome beacon arrived on the SUB socket: the host is reachable and subscribed to us.
    package mutating func receiveBeacon(_ beacon: Beacon, now: Duration) -> [NodeDirective] {
        guard case .awaitingBeacon = parent else { return [] }
        guard beacon.node != id else {
            counters.rejected += 1
            return [.event(.refused(.joinedItself(address: beacon.endpoints.publish)))]
        }
        // Joining our own descendant would close a cycle: look elsewhere.
        if beacon.path.contains(id) {
            return refuseDescendant(.ownSubtree(beacon.node), now: now)
        }
        parent = .joining(id: beacon.node, endpoints: beacon.endpoints, since: now, lastSent: now)
        return [.connectPusher(beacon.endpoints.pull), .push(joinMessage(afterFailover: family.lostParent))]
    }

    mutating func nextSeed(now: Duration) -> [NodeDirective] {
        seedIndex += 1
        let seeds = configuration.join.filter { $0 != configuration.endpoints?.publish }
        guard !seeds.isEmpty else {
            parent = .none
            return [.disconnectParent]
        }
        return [.disconnectParent] + connect(toPublish: seeds[seedIndex % seeds.count], now: now)
    }

    func joinMessage(afterFailover: Bool) -> WireMessage {
        let request = JoinRequest(endpoints: configuration.endpoints, interest: effectiveInterest, subtreeSize: subtreeSize, afterFailover: afterFailover)
        return control(.join, request.encoded, topic: .node(id))
    }

    // MARK: - Receiving

    /// A decoded message from the SUB (`.subscriber`) or PULL (`.puller`) socket.
    package mutating func receive(_ message: WireMessage, via channel: Channel, now: Duration) -> [NodeDirective] {
        counters.messagesIn += 1
        switch channel {
        case .subscriber: return receiveFromParent(message, now: now)
        case .puller: return receiveFromChild(message, now: now)
        }
    }

    private mutating func receiveFromParent(_ message: WireMessage, now: Duration) -> [NodeDirective] {
        let sender = message.header.sender
        // Only the node we are joining or joined may speak to us on the SUB socket.
        guard let expected = parent.peerID, sender == expected else {
            counters.rejected += 1
            return []
        }
        if message.header.term < term && isJoined {
            counters.staleTerm += 1
            return [.event(.refused(.staleTerm(received: message.header.term, current: term, from: sender)))]
        }
        parent.heard(at: now)
        switch message.header.type {
        case .welcome:
            return receiveWelcome(message, now: now)
        case .redirect:
            guard let redirect = decode(Redirect.self, message) else { return [] }
            return redirected(to: redirect, now: now)
        case .heartbeat:
            guard let heartbeat = decode(Heartbeat.self, message), isJoined else { return [] }
            return receiveParentHeartbeat(heartbeat, term: message.header.term, now: now)
        case .leave:
            guard let leave = decode(Leave.self, message) else { return [] }
            return parentLeft(successor: leave.successor, now: now)
        case .application:
            guard let application = decode(ApplicationMessage.self, message) else { return [] }
            return receiveApplication(application, message: message, from: .parent)
        case .delta, .syncRequest, .syncReply, .transferChunk, .transferAck, .presence, .held:
            return documentMessage(message, from: .parent, now: now)
        case .join, .mergeInvitation:
            counters.rejected += 1
            return []
        }
    }



    private mutating func receiveWelcome(_ message: WireMessage, now: Duration) -> [NodeDirective] {
        guard case .joining(let parentID, let endpoints, _, _) = parent, let welcome = decode(Welcome.self, message) else { return [] }
        // The parent joined our subtree while we joined it (two nodes each taking the other as
        // parent, a restarted node and one failing over to it, say).
        if welcome.path.contains(id) {
            return refuseDescendant(.ownSubtree(nil), now: now)
        }
        parent = .joined(id: parentID, endpoints: endpoints, detector: FailureDetector(settings: configuration.detector, now: now))
        // The parent's tree decides the epoch.
        term = message.header.term
        failover = nil
        family.lostParent = false
        rememberPeer(endpoints.publish)
        root = welcome.root
        depth = welcome.depth
        ancestors = welcome.path.isEmpty ? [parentID] : welcome.path
        family = Family(grandparent: welcome.grandparent, siblings: welcome.siblings, rank: welcome.rank)
        var out: [NodeDirective] = [.event(.joined(parent: parentID, term: term))]
        if let beacon { out.append(.setBeacon(beacon)) }
        // A node that wants everything opens what the parent has.
        if case .all = configuration.interest {
            for document in welcome.documents where !documents.contains(document) && Topic.isValidName(document) {
                documents.insert(document)
                out.append(.document(document, .open))
            }
            out += updateSubscriptions()
        }
        for document in documents.sorted() { out.append(.document(document, .parentJoined)) }
        return out
    }

    private mutating func redirected(to redirect: Redirect, now: Duration) -> [NodeDirective] {
        // While joining, or when a parent that stopped counting us sends us on.
        guard redirect.target != id, !ancestors.contains(redirect.target) || !isJoined else { return [] }
        switch parent {
        case .joining, .joined: break
        default: return []
        }
        if isJoined {
            let lost = parent.peerID
            var out = loseParent(reason: "redirected")
            if let lost { out.append(.event(.parentLost(lost, reason: .redirected))) }
            counters.redirects += 1
            out.append(.event(.redirected(to: redirect.target)))
            out += connect(toPublish: redirect.endpoints.publish, now: now)
            return out
        }
        counters.redirects += 1
        var out: [NodeDirective] = [.event(.redirected(to: redirect.target)), .disconnectParent]
        out += connect(toPublish: redirect.endpoints.publish, now: now)
        return out
    }

    private mutating func receiveParentHeartbeat(_ heartbeat: Heartbeat, term parentTerm: UInt64, now: Duration) -> [NodeDirective] {
        var out: [NodeDirective] = []
        // We are our own ancestor: a cycle (no real root is above us). Break it here.
        if heartbeat.path.contains(id) || heartbeat.path.count >= maxPathLength {
            counters.rejected += 1
            let lost = parent.peerID
            out += loseParent(reason: "cycle")
            if let lost { out.append(.event(.parentLost(lost, reason: .cycle))) }
            out += becomeRoot(now: now)
            return out
        }
        if parentTerm > term || heartbeat.root != root || heartbeat.depth + 1 != depth || heartbeat.path != ancestors {
            term = max(term, parentTerm)
            root = heartbeat.root
            depth = heartbeat.depth + 1
            if !heartbeat.path.isEmpty { ancestors = heartbeat.path }
            if let beacon { out.append(.setBeacon(beacon)) }
        }
        // The parent no longer counts us (it gave up on us during a partition, say) although
        // we still hear it: ask again, or we would be a child nobody listens to.
        if heartbeat.children.contains(where: { $0.id == id }) {
            missingFromParent = 0
        } else {
            missingFromParent += 1
            if missingFromParent >= 3 {
                missingFromParent = 0
                out.append(.push(joinMessage(afterFailover: false)))
            }
        }
        family.grandparent = heartbeat.grandparent
        family.siblings = heartbeat.children
        if let grandparent = heartbeat.grandparent { rememberPeer(grandparent.publish) }
        for sibling in heartbeat.children where sibling.id != id { if let endpoints = sibling.endpoints { rememberPeer(endpoints.publish) } }
        if let mine = heartbeat.children.first(where: { $0.id == id }) { family.rank = mine.rank }
        for digest in heartbeat.digests {
            if !documents.contains(digest.document), configuration.interest.includes(digest.document) {
                out += open(digest.document, now: now)
            }
            if documents.contains(digest.document) {
                out.append(.document(digest.document, .digest(digest, from: .parent)))
            }
        }
        return out
    }

    private mutating func parentLeft(successor: ChildEntry?, now: Duration) -> [NodeDirective] {
        guard let lost = parent.peerID else { return [] }
        var out = loseParent(reason: "it left")
        out.append(.event(.parentLost(lost, reason: .left)))
        if let successor, successor.id != id, let endpoints = successor.endpoints {
            out += connect(toPublish: endpoints.publish, now: now)
        } else if successor?.id == id {
            out += becomeSuccessor(now: now)
        } else if let first = configuration.join.first {
            out += connect(toPublish: first, now: now)
        }
        return out
    }

    private mutating func receiveFromChild(_ message: WireMessage, now: Duration) -> [NodeDirective] {
        let sender = message.header.sender
        if message.header.type == .join {
            guard let request = decode(JoinRequest.self, message) else { return [] }
            return receiveJoin(request, from: sender, now: now)
        }
        if message.header.type == .mergeInvitation {
            guard let invitation = decode(MergeInvitation.self, message) else { return [] }
            return receiveMergeInvitation(invitation, now: now)
        }
        guard children[sender] != nil else {
            counters.rejected += 1
            return []
        }
        children[sender]?.detector.heartbeat(at: now)
        switch message.header.type {
        case .heartbeat:
            guard let heartbeat = decode(Heartbeat.self, message) else { return [] }
            children[sender]?.updateSubtreeSize(heartbeat.subtreeSize)
            trust.set(heartbeat.replicas, claimedBy: sender)
            var out: [NodeDirective] = []
            for digest in heartbeat.digests where documents.contains(digest.document) {
                out.append(.document(digest.document, .digest(digest, from: .child(sender))))
            }
            return out
        case .leave:
            return removeChild(sender, reason: .left)
        case .application:
            guard let application = decode(ApplicationMessage.self, message) else { return [] }
            return receiveApplication(application, message: message, from: .child(sender))
        case .delta, .syncRequest, .syncReply, .transferChunk, .transferAck, .presence, .held:
            return documentMessage(message, from: .child(sender), now: now)
        default:
            counters.rejected += 1
            return []
        }
    }

    private mutating func receiveJoin(_ request: JoinRequest, from joiner: ReplicaID, now: Duration) -> [NodeDirective] {
        // A node may not join itself, nor one of its own descendants (it is our ancestor).
        guard joiner != id, !ancestors.contains(joiner) else {
            counters.rejected += 1
            return []
        }
        if var existing = children[joiner] {
            // A repeated join (the welcome was late) or an interest update.
            existing.interest = request.interest
            existing.endpoints = request.endpoints
            existing.subtreeSize = request.subtreeSize
            existing.detector.heartbeat(at: now)
            children[joiner] = existing
            var out = openInterest(request.interest, now: now)
            if existing.welcomed { out.append(.publish(welcomeMessage(for: joiner))) }
            return out
        }
        // Full: send the joiner to the least loaded child that can host.
        // After a failover the successor takes its former siblings even beyond its fan-out
        // (up to twice), so the healing does not cascade into redirects.
        let limit = request.afterFailover ? configuration.fanout * 2 : configuration.fanout
        if children.count >= limit {
            if let target = leastLoadedHost(excluding: nil, now: now) {
                counters.redirects += 1
                children[target.id]?.noteRedirect(at: now)
                // The joiner is not our child: it is subscribed to its node topic only if it
                // has its SUB connected to us, which it does (it saw our beacon).
                return [.publish(control(.redirect, Redirect(target: target.id, endpoints: target.endpoints).encoded, topic: .node(joiner)))]
            }
        }
        var child = ChildState(endpoints: request.endpoints, rank: nextRank, interest: request.interest, subtreeSize: request.subtreeSize, detector: FailureDetector(settings: configuration.detector, now: now), joinedAt: now)
        nextRank += 1
        child.welcomed = false
        children[joiner] = child
        var out: [NodeDirective] = [.event(.childJoined(joiner))]
        out += openInterest(request.interest, now: now)
        if subscribedNodes.contains(joiner) { out += welcome(joiner) }
        return out
    }

    /// The welcomed child that can host with the smallest `(subtree + joiners recently sent its
    /// way, rank)`: where a full host sends joiners and moves excess children. Heartbeats report a
    /// child's subtree a beat late; counting the joiners already sent keeps a burst from all
    /// picking the same child.
    func leastLoadedHost(excluding excluded: ReplicaID?, now: Duration) -> (id: ReplicaID, endpoints: Endpoints)? {
        let load = { (child: ChildState) in child.subtreeSize + child.expectedJoiners(now: now) }
        let best = children.filter { $0.key != excluded && $0.value.endpoints != nil && $0.value.welcomed }
            .min { (load($0.value), $0.value.rank) < (load($1.value), $1.value.rank) }
        guard let best, let endpoints = best.value.endpoints else { return nil }
        return (best.key, endpoints)
    }

    private mutating func openInterest(_ interest: Interest, now: Duration) -> [NodeDirective] {
        var out: [NodeDirective] = []
        switch interest {
        case .all:
            out += updateSubscriptions()
        case .documents(let wanted):
            for document in wanted.sorted() where !documents.contains(document) { out += open(document, now: now) }
        }
        return out
    }

    private mutating func welcome(_ child: ReplicaID) -> [NodeDirective] {
        guard children[child] != nil else { return [] }
        children[child]?.welcomed = true
        return [.publish(welcomeMessage(for: child))]
    }

    private func welcomeMessage(for child: ReplicaID) -> WireMessage {
        let welcome = Welcome(
            rank: children[child]?.rank ?? 0, root: root, depth: depth + 1, grandparent: parent.joinedEndpoints,
            siblings: childEntries, documents: documents.sorted(), path: path)
        return control(.welcome, welcome.encoded, topic: .node(child))
    }

    /// The PUB socket saw a subscription change (an XPUB delivers them as frames).
    package mutating func subscriptionChanged(_ prefix: [UInt8], subscribed: Bool, now: Duration) -> [NodeDirective] {
        guard prefix.count == 17, prefix[0] == 0x4E, let node = ReplicaID(bytes: prefix[1...]) else { return [] }
        if subscribed {
            subscribedNodes.insert(node)
            if let child = children[node], !child.welcomed { return welcome(node) }
        } else {
            subscribedNodes.remove(node)
        }
        return []
    }

    mutating func removeChild(_ child: ReplicaID, reason: ChildDeparture) -> [NodeDirective] {
        guard children.removeValue(forKey: child) != nil else { return [] }
        trust.remove(child)
        subscribedNodes.remove(child)
        var out: [NodeDirective] = [.event(.childLeft(child, reason: reason))]
        for document in documents.sorted() { out.append(.document(document, .childGone(child))) }
        return out
    }

    // MARK: - Documents

    private mutating func documentMessage(_ message: WireMessage, from peer: Peer, now: Duration) -> [NodeDirective] {
        let document: String
        switch message.topic {
        case .document(let name):
            document = name
        case .node(let target) where target == id || peer != .parent:
            guard let name = Self.documentName(in: message) else {
                counters.rejected += 1
                return []
            }
            document = name
        default:
            counters.rejected += 1
            return []
        }
        guard documents.contains(document) || effectiveInterest.includes(document) else {
            counters.rejected += 1
            return []
        }
        var out: [NodeDirective] = []
        if !documents.contains(document) { out += open(document, now: now) }
        out.append(.document(document, .message(message, from: peer)))
        return out
    }

    /// Directed document messages (sync, transfers) name their document first in the payload.
    static func documentName(in message: WireMessage) -> String? {
        switch message.header.type {
        case .syncRequest, .syncReply:
            return try? withReader(message.payload) { (reader) throws(FormatError) -> String in try reader.readDocumentName() }
        case .transferChunk, .transferAck:
            return try? withReader(message.payload) { (reader) throws(FormatError) -> String in
                _ = try reader.readVarint("transfer ID")
                return try reader.readDocumentName()
            }
        default:
            return nil
        }
    }

    /// Turns a document's outgoing message into a socket operation.
    package func route(_ outgoing: Outgoing) -> NodeDirective? {
        switch outgoing.destination {
        case .parent:
            guard isJoined else { return nil }
            return .push(outgoing.message)
        case .children:
            guard !children.isEmpty else { return nil }
            return .publish(outgoing.message)
        case .child(let child):
            guard children[child] != nil else { return nil }
            var message = outgoing.message
            message.topic = .node(child)
            return .publish(message)
        }
    }

    private mutating func updateSubscriptions() -> [NodeDirective] {
        var out: [NodeDirective] = []
        switch effectiveInterest {
        case .all:
            if !subscribedToAll {
                subscribedToAll = true
                out.append(.subscribe(Topic.allDocuments))
                for document in subscribedDocuments.sorted() { out.append(.unsubscribe(Topic.document(document).bytes)) }
                subscribedDocuments.removeAll()
            }
        case .documents:
            for document in documents.sorted() where !subscribedDocuments.contains(document) {
                subscribedDocuments.insert(document)
                out.append(.subscribe(Topic.document(document).bytes))
            }
        }
        return out
    }

    // MARK: - Application messages

    /// Sends an application message into the tree.
    package mutating func send(channel: String, routing: Routing, body: [UInt8]) -> [NodeDirective] {
        applicationSequence += 1
        let application = ApplicationMessage(channel: channel, routing: routing, sequence: applicationSequence, body: body)
        remember(MessageKey(origin: id, sequence: applicationSequence))
        let message = WireMessage(
            topic: .application(channel),
            header: MessageHeader(type: .application, origin: id, sender: id, lamport: 0, term: term),
            payload: application.encoded)
        var out: [NodeDirective] = []
        switch routing {
        case .down:
            if !children.isEmpty { out.append(.publish(message)) }
        case .up:
            if isJoined { out.append(.push(message)) }
        case .broadcast:
            if !children.isEmpty { out.append(.publish(message)) }
            if isJoined { out.append(.push(message)) }
        case .node(let target):
            if target == id {
                out.append(.deliver(application, origin: id))
            } else if children[target] != nil {
                var directed = message
                directed.topic = .node(target)
                out.append(.publish(directed))
            } else {
                if !children.isEmpty { out.append(.publish(message)) }
                if isJoined { out.append(.push(message)) }
            }
        }
        return out
    }

    private mutating func receiveApplication(_ application: ApplicationMessage, message: WireMessage, from peer: Peer) -> [NodeDirective] {
        let key = MessageKey(origin: message.header.origin, sequence: application.sequence)
        guard message.header.origin != id, !seenApplication.contains(key) else { return [] }
        remember(key)
        var out: [NodeDirective] = []
        // The relayed copy (sender rewritten, one more hop) is built only if something relays it.
        let id = self.id
        func relayed(topic: Topic) -> WireMessage {
            var relayed = message
            relayed.topic = topic
            relayed.header.sender = id
            var forwarded = application
            forwarded.hops = application.hops &+ 1
            relayed.payload = forwarded.encoded
            relayed.header.payloadLength = UInt32(relayed.payload.count)
            return relayed
        }
        let canRelay = application.hops < 64
        switch application.routing {
        case .down:
            out.append(.deliver(application, origin: message.header.origin))
            if canRelay, !children.isEmpty, peer == .parent { out.append(.publish(relayed(topic: message.topic))) }
        case .up:
            out.append(.deliver(application, origin: message.header.origin))
        case .broadcast:
            out.append(.deliver(application, origin: message.header.origin))
            if canRelay {
                let toChildren = !children.isEmpty
                let toParent = peer != .parent && isJoined
                if toChildren || toParent {
                    let copy = relayed(topic: .application(application.channel))
                    if toChildren { out.append(.publish(copy)) }
                    if toParent { out.append(.push(copy)) }
                }
            }
        case .node(let target):
            if target == id {
                out.append(.deliver(application, origin: message.header.origin))
            } else if canRelay {
                if children[target] != nil {
                    out.append(.publish(relayed(topic: .node(target))))
                } else {
                    let toChildren = !children.isEmpty
                    let toParent = peer != .parent && isJoined
                    if toChildren || toParent {
                        let copy = relayed(topic: .application(application.channel))
                        if toChildren { out.append(.publish(copy)) }
                        if toParent { out.append(.push(copy)) }
                    }
                }
            }
        }
        return out
    }

    /// Remembers `key` for de-duplication, forgetting the oldest beyond `applicationMemory`
    /// (a ring, so remembering is O(1) however large the memory).
    private mutating func remember(_ key: MessageKey) {
        seenApplication.insert(key)
        let capacity = max(1, configuration.applicationMemory)
        if seenOrder.count < capacity {
            seenOrder.append(key)
            return
        }
        seenApplication.remove(seenOrder[seenNext])
        seenOrder[seenNext] = key
        seenNext = (seenNext + 1) % capacity
    }

    // MARK: - Timers

    /// Periodic work: heartbeats, join retries, welcomes whose subscription never showed,
    /// failure detection. `digests` are the documents' current digests.
    package mutating func tick(now: Duration, digests: () -> [DocumentDigest]) -> [NodeDirective] {
        var out: [NodeDirective] = []
        // A node that cannot host has no tree of its own to stand in: left without a parent (every
        // failover candidate gone, say) it goes back to its seeds until one answers, or it would
        // edit alone for ever (found by the simulator with client-only nodes).
        if case .none = parent, failover == nil, configuration.endpoints == nil, !configuration.join.isEmpty {
            out += nextSeed(now: now)
        }
        // Waiting for a seed that does not answer: try the next one.
        // A lone seed is waited for (libzmq keeps reconnecting), but an address we were sent to
        // by a redirect or a merge may belong to a node that has died since: go back to the seeds,
        // or stand as a root that probing will merge again.
        if case .awaitingBeacon(let publish, let since) = parent, failover == nil, now - since >= configuration.seedTimeout,
           configuration.join.count > 1 || !configuration.join.contains(publish)
        {
            out += nextSeed(now: now)
        }
        // A host that never welcomes us (it refuses, or is going away): look elsewhere.
        if case .joining(_, _, let since, _) = parent, now - since >= configuration.joinTimeout {
            out.append(.event(.refused(.joinUnanswered(after: now - since))))
            if failover != nil {
                parent = .none
                out += advanceFailover(now: now)
            } else if !configuration.join.isEmpty {
                out += nextSeed(now: now)
            } else {
                parent = .none
                out.append(.disconnectParent)
            }
        }
        // Joining: repeat the request until answered.
        if case .joining(let parentID, let endpoints, let since, let lastSent) = parent, now - lastSent >= configuration.joinRetryInterval {
            parent = .joining(id: parentID, endpoints: endpoints, since: since, lastSent: now)
            out.append(.push(joinMessage(afterFailover: family.lostParent)))
        }
        // Welcome children whose directed subscription has not shown up in time anyway.
        for child in children.keys.sorted() where children[child].map({ !$0.welcomed && now - $0.joinedAt >= configuration.welcomeDeferral }) == true {
            out += welcome(child)
        }
        if now - lastHeartbeat >= configuration.heartbeatInterval {
            lastHeartbeat = now
            out += heartbeats(digests: digests())
        }
        out += detectFailures(now: now)
        out += rebalance(now: now)
        return out
    }

    private func heartbeats(digests: [DocumentDigest]) -> [NodeDirective] {
        var out: [NodeDirective] = []
        if !children.isEmpty {
            let down = Heartbeat(root: root, depth: depth, grandparent: parent.joinedEndpoints, children: childEntries, subtreeSize: subtreeSize, digests: digests, path: path)
            out.append(.publish(control(.heartbeat, down.encoded, topic: .tree)))
        }
        if isJoined {
            let up = Heartbeat(root: root, depth: depth, subtreeSize: subtreeSize, digests: digests, replicas: claimedReplicas)
            out.append(.push(control(.heartbeat, up.encoded, topic: .node(id))))
        }
        return out
    }

    // MARK: - Helpers

    /// The replicas this node and its subtree author (for the parent's trust table).
    var claimedReplicas: [ReplicaID] {
        var all = trust.own
        for (replica, _) in trust.claimers where all.count < Heartbeat.maxReplicas { all.insert(replica) }
        return all.sorted()
    }

    func control(_ type: MessageType, _ payload: [UInt8], topic: Topic) -> WireMessage {
        WireMessage(topic: topic, header: MessageHeader(type: type, origin: id, sender: id, lamport: 0, term: term), payload: payload)
    }

    private mutating func decode<P: WirePayload>(_ type: P.Type, _ message: WireMessage) -> P? {
        do throws(FormatError) {
            return try P(decoding: message.payload)
        } catch {
            counters.badMessages += 1
            counters.lastProblem = "\(message.header.type) from \(message.header.sender.shortDescription): \(error)"
            return nil
        }
    }

    mutating func noteTerm(_ newTerm: UInt64) { term = max(term, newTerm) }
    mutating func setRoot(_ newRoot: ReplicaID, depth newDepth: UInt32) {
        root = newRoot
        depth = newDepth
    }
}

/// A message's identity for de-duplication.
struct MessageKey: Hashable, Sendable {
    let origin: ReplicaID
    let sequence: UInt64
}

/// Counts for status and metrics.
package struct NodeCounters: Sendable, Hashable {
    package var messagesIn: UInt64 = 0
    package var rejected: UInt64 = 0
    package var badMessages: UInt64 = 0
    package var staleTerm: UInt64 = 0
    package var redirects: UInt64 = 0
    /// Children this host moved under another child because it was over its fan-out.
    package var rebalances: UInt64 = 0
    package var promotions: UInt64 = 0
    package var parentFailures: UInt64 = 0
    package var childFailures: UInt64 = 0
    package var merges: UInt64 = 0
    package var lastProblem: String?
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

/// A child as its host knows it.
struct ChildState: Sendable {
    var endpoints: Endpoints?
    var rank: UInt64
    var interest: Interest
    var subtreeSize: UInt32
    var detector: FailureDetector
    var joinedAt: Duration
    var welcomed = false
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

/// What the parent told a node about the tree around it, for healing.
struct Family: Sendable {
    var grandparent: Endpoints?
    var siblings: [ChildEntry] = []
    var rank: UInt64 = 0
    /// True while the node re-attaches after its parent died.
    var lostParent = false
}
