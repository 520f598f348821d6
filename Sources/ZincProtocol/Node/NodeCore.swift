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
    /// The link to the parent: joining, joined, failing over.
    var link = ParentLink()
    var children = ChildTable()
    /// Documents this node replicates.
    package private(set) var documents: Set<String> = []
    private var subscribedDocuments: Set<String> = []
    private var subscribedToAll = false
    /// Who may author what, as far as this node knows (its own replicas, its children's claims).
    package private(set) var trust = TrustTable()

    /// Declares a document replica this node authors (its children may not write as it).
    package mutating func claim(_ replica: ReplicaID) {
        trust.own.insert(replica)
    }
    private var lastHeartbeat: Duration = .zero
    /// Where to look for other trees (split brain).
    var splitBrain = SplitBrainProbe()
    /// A winning tree this joined node heard of (an invitation, or a child's hint) while its
    /// root had not merged yet, since when, and when this node last probed it itself.
    var pendingMerge: (invitation: MergeInvitation, since: Duration, probed: Duration?)?
    /// Hosting nodes of the cluster heard of through gossip.
    package internal(set) var membership = MembershipView()
    /// What UDP discovery heard, if it is on.
    package internal(set) var discovery: DiscoveryView?
    /// When this host last moved a child to rebalance.
    var lastRebalance: Duration = .zero
    private var applications: ApplicationRouter
    package internal(set) var counters = NodeCounters()

    package init(configuration: NodeConfiguration) {
        self.configuration = configuration
        root = configuration.id
        trust = TrustTable(exclusive: configuration.exclusiveClaims)
        applications = ApplicationRouter(window: configuration.applicationWindow, origins: configuration.applicationOrigins, firstSequence: configuration.firstApplicationSequence)
        discovery = configuration.discovery.map { DiscoveryView(settings: $0, now: .zero) }
        for address in configuration.remembered { splitBrain.remember(address, own: configuration.endpoints?.publish) }
    }

    /// Former parents, most recent first: the likeliest place to find another root.
    package var formerParents: [String] { splitBrain.formerParents }

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
        if link.state.joinedID != nil { return children.isEmpty ? .client : .host }
        if case .none = link.state, link.failover == nil { return .root }
        return .joining
    }

    package var parentID: ReplicaID? { link.state.joinedID }

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
    package enum LinkStage: Sendable, Hashable {
        case none, failingOver
        case connecting(String)
        case joining(ReplicaID)
        case joined(ReplicaID)
    }

    package var parentLink: LinkStage {
        switch link.state {
        case .none: link.failover == nil ? .none : .failingOver
        case .awaitingBeacon(let publish, _): .connecting(publish)
        case .joining(let id, _, _, _): .joining(id)
        case .joined(let id, _, _): .joined(id)
        }
    }
    package var parentEndpoints: Endpoints? { link.state.endpoints }
    package var childIDs: [ReplicaID] { children.ids }
    package var childEntries: [ChildEntry] { children.entries }
    /// Children that count against the fan-out (browsers behind the gateway do not).
    package var treeChildCount: Int { children.treeCount }
    /// Browsers connected through this node's gateway.
    package var gatewayChildIDs: [ReplicaID] { children.gatewayIDs }
    /// True if `child` is a browser behind this node's gateway.
    package func isGatewayChild(_ child: ReplicaID) -> Bool { children.isGatewayLinked(child) == true }
    package var isJoined: Bool { link.isJoined }
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
        add(link.state.joinedEndpoints?.publish)
        formerParents.forEach(add)
        splitBrain.targets.reversed().forEach(add)
        childEntries.forEach { add($0.endpoints?.publish) }
        return Array(addresses.prefix(RememberedPeers.limit))
    }
    /// Nodes in this node's subtree, itself included.
    package var subtreeSize: UInt32 { 1 + children.descendants }

    /// The context documents need for routing decisions.
    package func context(now: Duration) -> RouteContext {
        RouteContext(node: id, term: term, hasParent: isJoined, hasChildren: !children.isEmpty, isRoot: role == .root, now: now, trust: trust, children: childIDs)
    }

    /// This node's interest plus its children's.
    package var effectiveInterest: Interest {
        children.states.reduce(configuration.interest) { $0.union($1.interest) }
    }

    package var beacon: Beacon? {
        configuration.endpoints.map { Beacon(node: id, endpoints: $0, root: root, term: term, depth: depth, path: ancestors) }
    }

    /// This node's path from the root, itself last.
    var path: [ReplicaID] { ancestors + [id] }

    // MARK: - Start and stop

    /// Starts the node: subscribe to what it needs, publish its beacon, begin joining.
    package mutating func start(now: Duration) -> [CoreDirective] {
        lastHeartbeat = now
        var out: [CoreDirective] = [
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
    package mutating func leave(now: Duration) -> [CoreDirective] {
        var out: [CoreDirective] = []
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
    package mutating func open(_ document: String, now: Duration) -> [CoreDirective] {
        guard Topic.isValidName(document), !documents.contains(document) else { return [] }
        documents.insert(document)
        var out: [CoreDirective] = [.document(document, .open)]
        out += updateSubscriptions()
        if isJoined { out.append(.document(document, .parentJoined)) }
        // A node that only replicates some documents tells its parent its interest grew.
        if case .documents = effectiveInterest, isJoined {
            out.append(.push(joinMessage(afterFailover: false)))
        }
        return out
    }

    // MARK: - Joining

    mutating func connect(toPublish publish: String, now: Duration) -> [CoreDirective] {
        link.connect(toPublish: publish, now: now)
        return [.connectSubscriber(publish)]
    }

    /// A welcome beacon arrived on the SUB socket: the host is reachable and subscribed to us.
    package mutating func receiveBeacon(_ beacon: Beacon, now: Duration) -> [CoreDirective] {
        guard case .awaitingBeacon = link.state else { return [] }
        guard beacon.node != id else {
            counters.rejected += 1
            return [.event(.refused(.joinedItself(address: beacon.endpoints.publish)))]
        }
        // Joining our own descendant would close a cycle: look elsewhere.
        if beacon.path.contains(id) {
            return refuseDescendant(.ownSubtree(beacon.node), now: now)
        }
        link.state = .joining(id: beacon.node, endpoints: beacon.endpoints, since: now, lastSent: now)
        return [.connectPusher(beacon.endpoints.pull), .push(joinMessage(afterFailover: link.family.lostParent))]
    }

    /// The addresses a node looking for a parent tries in turn: its seeds (the configured ones,
    /// then those remembered across a restart), then the hosting nodes gossip told it of,
    /// freshest first. A node that had only one seed no longer waits on it for ever when it is
    /// gone for good (found by the simulator, single-seed seed 58). None for a root by intent.
    var seedList: [String] {
        guard !configuration.join.isEmpty else { return [] }
        let own = configuration.endpoints?.publish
        var list = configuration.join.filter { $0 != own }
        // Never its own children: joining one would close a cycle (deeper descendants are
        // refused by their beacon's path).
        for address in membership.addresses where !list.contains(address) && !children.hasHost(publishing: address) { list.append(address) }
        // The hosts its last parent named: a node that hears no gossip (a reader, whose host
        // sends it no tree messages) knows of no other. A reader whose failover candidate
        // answered too slowly otherwise waited on its dead parent, its only seed, for ever.
        let family = [link.family.grandparent?.publish] + link.family.siblings.map { $0.endpoints?.publish }
        for case let address? in family where address != own && !list.contains(address) && !children.hasHost(publishing: address) {
            list.append(address)
        }
        return list
    }

    mutating func nextSeed(now: Duration) -> [CoreDirective] {
        guard let seed = link.nextSeed(seedList) else {
            link.state = .none
            return [.disconnectParent] + standAlone(now: now)
        }
        return [.disconnectParent] + connect(toPublish: seed, now: now)
    }

    /// Left without a parent and with nowhere else to go: a node still naming the root of the
    /// tree it was on its way out of stands as the root of a new term. Otherwise no probe or
    /// announcement could tell it from that tree, and it would never join it again (found by
    /// the simulator with discovery: a node redirected to a host that had died, seed 40 of 8).
    private mutating func standAlone(now: Duration) -> [CoreDirective] {
        root == id ? [] : becomeRoot(now: now)
    }

    func joinMessage(afterFailover: Bool) -> WireMessage {
        let request = JoinRequest(endpoints: configuration.endpoints, interest: effectiveInterest, subtreeSize: subtreeSize, afterFailover: afterFailover)
        return control(.join, request.encoded, topic: .node(id))
    }

    // MARK: - Receiving

    /// A decoded message from the SUB (`.subscriber`) or PULL (`.puller`) socket, or a gateway
    /// connection (`.gateway`).
    package mutating func receive(_ message: WireMessage, via channel: Channel, now: Duration) -> [CoreDirective] {
        counters.messagesIn += 1
        switch channel {
        case .subscriber: return receiveFromParent(message, now: now)
        case .puller: return receiveFromChild(message, viaGateway: false, now: now)
        case .gateway: return receiveFromChild(message, viaGateway: true, now: now)
        }
    }

    /// The gateway connection of browser `node` closed: it has left (§23).
    package mutating func gatewayClosed(_ node: ReplicaID) -> [CoreDirective] {
        guard children.isGatewayLinked(node) == true else { return [] }
        return removeChild(node, reason: .left)
    }

    /// A tree child whose connections the shell cut (docs/protocol.md §24.2 item 6).
    package mutating func childCut(_ node: ReplicaID) -> [CoreDirective] {
        guard children.isGatewayLinked(node) == false else { return [] }
        return removeChild(node, reason: .certificateWithdrawn)
    }

    private mutating func receiveFromParent(_ message: WireMessage, now: Duration) -> [CoreDirective] {
        let sender = message.header.sender
        // Only the node we are joining or joined may speak to us on the SUB socket.
        guard let expected = link.state.peerID, sender == expected else {
            counters.rejected += 1
            return []
        }
        if message.header.term < term && isJoined {
            counters.staleTerm += 1
            return [.event(.refused(.staleTerm(received: message.header.term, current: term, from: sender)))]
        }
        link.state.heard(at: now)
        switch message.header.type {
        case .welcome:
            return receiveWelcome(message, now: now)
        case .redirect:
            guard let redirect = decode(Redirect.self, message) else { return [] }
            return redirected(to: redirect, now: now)
        case .heartbeat:
            guard let heartbeat = decode(Heartbeat.self, message), isJoined else { return [] }
            link.parentAcceptsPackedFrames = message.header.acceptsPackedFrames
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



    private mutating func receiveWelcome(_ message: WireMessage, now: Duration) -> [CoreDirective] {
        guard case .joining(let parentID, let endpoints, _, _) = link.state, let welcome = decode(Welcome.self, message) else { return [] }
        // The parent joined our subtree while we joined it (two nodes each taking the other as
        // parent, a restarted node and one failing over to it, say).
        if welcome.path.contains(id) {
            return refuseDescendant(.ownSubtree(nil), now: now)
        }
        link.state = .joined(id: parentID, endpoints: endpoints, detector: FailureDetector(settings: configuration.detector, now: now))
        link.parentAcceptsPackedFrames = message.header.acceptsPackedFrames
        // The parent's tree decides the epoch.
        term = message.header.term
        link.failover = nil
        link.family.lostParent = false
        rememberPeer(endpoints.publish)
        root = welcome.root
        depth = welcome.depth
        ancestors = welcome.path.isEmpty ? [parentID] : welcome.path
        link.family = Family(grandparent: welcome.grandparent, siblings: welcome.siblings, rank: welcome.rank)
        var out: [CoreDirective] = [.event(.joined(parent: parentID, term: term))]
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

    private mutating func redirected(to redirect: Redirect, now: Duration) -> [CoreDirective] {
        // While joining, or when a parent that stopped counting us sends us on.
        guard redirect.target != id, !ancestors.contains(redirect.target) || !isJoined else { return [] }
        switch link.state {
        case .joining, .joined: break
        default: return []
        }
        if isJoined {
            let lost = link.state.peerID
            var out = loseParent(reason: "redirected")
            if let lost { out.append(.event(.parentLost(lost, reason: .redirected))) }
            counters.redirects += 1
            out.append(.event(.redirected(to: redirect.target)))
            out += connect(toPublish: redirect.endpoints.publish, now: now)
            return out
        }
        counters.redirects += 1
        var out: [CoreDirective] = [.event(.redirected(to: redirect.target)), .disconnectParent]
        out += connect(toPublish: redirect.endpoints.publish, now: now)
        return out
    }

    private mutating func receiveParentHeartbeat(_ heartbeat: Heartbeat, term parentTerm: UInt64, now: Duration) -> [CoreDirective] {
        var out: [CoreDirective] = []
        // We are our own ancestor: a cycle (no real root is above us). Break it here.
        if heartbeat.path.contains(id) || heartbeat.path.count >= maxPathLength {
            counters.rejected += 1
            let lost = link.state.peerID
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
        if link.listed(heartbeat.children.contains { $0.id == id }) {
            out.append(.push(joinMessage(afterFailover: false)))
        }
        learn(heartbeat.rumors, now: now)
        link.family.grandparent = heartbeat.grandparent
        link.family.siblings = heartbeat.children
        if let grandparent = heartbeat.grandparent { rememberPeer(grandparent.publish) }
        for sibling in heartbeat.children where sibling.id != id { if let endpoints = sibling.endpoints { rememberPeer(endpoints.publish) } }
        if let mine = heartbeat.children.first(where: { $0.id == id }) { link.family.rank = mine.rank }
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

    private mutating func parentLeft(successor: ChildEntry?, now: Duration) -> [CoreDirective] {
        guard let lost = link.state.peerID else { return [] }
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

    private mutating func receiveFromChild(_ message: WireMessage, viaGateway: Bool, now: Duration) -> [CoreDirective] {
        let sender = message.header.sender
        if message.header.type == .join || message.header.type == .mergeInvitation {
            return receiveFromJoiner(message, viaGateway: viaGateway, now: now)
        }
        // Anything else comes from a child, over the kind of link it joined by: a tree child
        // never through the gateway, a browser never through the PULL socket.
        guard children.heard(from: sender, viaGateway: viaGateway, at: now) else {
            counters.rejected += 1
            return []
        }
        switch message.header.type {
        case .heartbeat:
            guard let heartbeat = decode(Heartbeat.self, message) else { return [] }
            children.updateSubtreeSize(of: sender, to: heartbeat.subtreeSize)
            children.noteAcceptsPackedFrames(message.header.acceptsPackedFrames, of: sender)
            let refused = trust.set(heartbeat.replicas, claimedBy: sender) { [children] holder in
                children[holder].map { $0.detector.status(at: now) != .alive } ?? true
            }
            if !refused.isEmpty {
                counters.claimsRefused += UInt64(refused.count)
                counters.lastProblem = "heartbeat from \(sender.shortDescription) claimed \(refused.count) replicas held by another child or owned here, such as \(refused[0].shortDescription)"
            }
            learn(heartbeat.rumors, now: now)
            var out: [CoreDirective] = []
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

    /// A join or a merge invitation: from a joiner, or from a child over its own kind of link.
    private mutating func receiveFromJoiner(_ message: WireMessage, viaGateway: Bool, now: Duration) -> [CoreDirective] {
        let sender = message.header.sender
        let gatewayLinked = children.isGatewayLinked(sender)
        if let gatewayLinked, gatewayLinked != viaGateway {
            counters.rejected += 1
            return []
        }
        if message.header.type == .join {
            guard let request = decode(JoinRequest.self, message) else { return [] }
            return receiveJoin(request, from: sender, acceptsPackedFrames: message.header.acceptsPackedFrames, viaGateway: viaGateway, now: now)
        }
        if viaGateway {
            counters.rejected += 1
            return []
        }
        guard let invitation = decode(MergeInvitation.self, message) else { return [] }
        return receiveMergeInvitation(invitation, fromChild: gatewayLinked != nil, now: now)
    }

    private mutating func receiveJoin(_ request: JoinRequest, from joiner: ReplicaID, acceptsPackedFrames: Bool, viaGateway: Bool, now: Duration) -> [CoreDirective] {
        // A browser's answers go through the gateway, which never packs.
        if !acceptsPackedFrames && !viaGateway { answersUnpacked = true }
        // A node may not join itself, nor one of its own descendants (it is our ancestor).
        guard joiner != id, !ancestors.contains(joiner) else {
            counters.rejected += 1
            return []
        }
        if children.contains(joiner) {
            // A repeated join (the welcome was late) or an interest update.
            let welcomed = children.rejoin(joiner, request: request, acceptsPackedFrames: acceptsPackedFrames, now: now)
            var out = openInterest(request.interest, now: now)
            if welcomed { out.append(.publish(welcomeMessage(for: joiner))) }
            return out
        }
        // Full: send the joiner to the least loaded child that can host.
        // After a failover the successor takes its former siblings even beyond its fan-out
        // (up to twice), so the healing does not cascade into redirects.
        // A browser cannot follow a redirect: the gateway takes it up to its own limit, and past
        // that the browser tries its next gateway once its join goes unanswered.
        if viaGateway {
            guard children.gatewayCount < configuration.gatewayClients else {
                counters.rejected += 1
                return []
            }
        }
        let limit = request.afterFailover ? configuration.fanout * 2 : configuration.fanout
        if !viaGateway, children.treeCount >= limit {
            if let target = children.leastLoadedHost(excluding: nil, now: now) {
                counters.redirects += 1
                children.noteRedirect(to: target.id, at: now)
                // The joiner is not our child: it is subscribed to its node topic only if it
                // has its SUB connected to us, which it does (it saw our beacon).
                return [.publish(control(.redirect, Redirect(target: target.id, endpoints: target.endpoints).encoded, topic: .node(joiner)))]
            }
        }
        let subscribed = children.admit(
            joiner, request: request, acceptsPackedFrames: acceptsPackedFrames, viaGateway: viaGateway, detector: configuration.detector, now: now)
        // A child that can host is a place to look for this tree's other half after a split.
        if let endpoints = request.endpoints { rememberPeer(endpoints.publish) }
        var out: [CoreDirective] = [.event(.childJoined(joiner))]
        out += openInterest(request.interest, now: now)
        if subscribed { out += welcome(joiner) }
        return out
    }

    private mutating func openInterest(_ interest: Interest, now: Duration) -> [CoreDirective] {
        var out: [CoreDirective] = []
        switch interest {
        case .all:
            out += updateSubscriptions()
        case .documents(let wanted):
            for document in wanted.sorted() where !documents.contains(document) { out += open(document, now: now) }
        }
        return out
    }

    private mutating func welcome(_ child: ReplicaID) -> [CoreDirective] {
        guard children.markWelcomed(child) else { return [] }
        return [.publish(welcomeMessage(for: child))]
    }

    private func welcomeMessage(for child: ReplicaID) -> WireMessage {
        let welcome = Welcome(
            rank: children[child]?.rank ?? 0, root: root, depth: depth + 1, grandparent: link.state.joinedEndpoints,
            siblings: childEntries, documents: documents.sorted(), path: path)
        return control(.welcome, welcome.encoded, topic: .node(child))
    }

    /// The PUB socket saw a subscription change (an XPUB delivers them as frames).
    package mutating func subscriptionChanged(_ prefix: [UInt8], subscribed: Bool, now: Duration) -> [CoreDirective] {
        guard prefix.count == 17, prefix[0] == 0x4E, let node = ReplicaID(bytes: prefix[1...]) else { return [] }
        return children.noteSubscription(node, subscribed: subscribed) ? welcome(node) : []
    }

    mutating func removeChild(_ child: ReplicaID, reason: ChildDeparture) -> [CoreDirective] {
        guard children.remove(child) != nil else { return [] }
        trust.remove(child)
        var out: [CoreDirective] = [.event(.childLeft(child, reason: reason))]
        for document in documents.sorted() { out.append(.document(document, .childGone(child))) }
        return out
    }

    // MARK: - Documents

    private mutating func documentMessage(_ message: WireMessage, from peer: Peer, now: Duration) -> [CoreDirective] {
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
        var out: [CoreDirective] = []
        if !documents.contains(document) { out += open(document, now: now) }
        out.append(.document(document, .message(message, from: peer)))
        return out
    }

    /// Directed document messages (sync, transfers) name their document first in the payload.
    package static func documentName(in message: WireMessage) -> String? {
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
            guard children.contains(child) else { return nil }
            var message = outgoing.message
            message.topic = .node(child)
            return .publish(message)
        }
    }

    private mutating func updateSubscriptions() -> [CoreDirective] {
        var out: [CoreDirective] = []
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

    /// Sends an application message into the tree (socket work and local delivery only: it
    /// never touches a document).
    package mutating func send(channel: String, routing: Routing, body: [UInt8]) -> [NodeDirective] {
        applications.send(channel: channel, routing: routing, body: body, from: id, term: term, isJoined: isJoined, children: children)
    }

    private mutating func receiveApplication(_ application: ApplicationMessage, message: WireMessage, from peer: Peer) -> [CoreDirective] {
        applications.receive(application, message: message, from: peer, at: id, isJoined: isJoined, children: children)
    }

    // MARK: - Timers

    /// Periodic work: heartbeats, join retries, welcomes whose subscription never showed,
    /// failure detection. `digests` are the documents' current digests.
    package mutating func tick(now: Duration, digests: () -> [DocumentDigest]) -> [CoreDirective] {
        var out: [CoreDirective] = []
        // A node that cannot host has no tree of its own to stand in: left without a parent (every
        // failover candidate gone, say) it goes back to its seeds until one answers, or it would
        // edit alone for ever (found by the simulator with client-only nodes).
        if case .none = link.state, link.failover == nil, configuration.endpoints == nil, !configuration.join.isEmpty {
            out += nextSeed(now: now)
        }
        // Waiting for a seed that does not answer: try the next one.
        // A lone seed is waited for (libzmq keeps reconnecting), but an address we were sent to
        // by a redirect or a merge may belong to a node that has died since: go back to the seeds,
        // or stand as a root that probing will merge again.
        if case .awaitingBeacon(let publish, let since) = link.state, link.failover == nil, now - since >= configuration.seedTimeout,
           seedList.count > 1 || !configuration.join.contains(publish)
        {
            discoveredHostFailed(publish, now: now)
            out += nextSeed(now: now)
        }
        // A host that never welcomes us (it refuses, or is going away): look elsewhere.
        if case .joining(_, let endpoints, let since, _) = link.state, now - since >= configuration.joinTimeout {
            out.append(.event(.refused(.joinUnanswered(after: now - since))))
            discoveredHostFailed(endpoints.publish, now: now)
            if link.failover != nil {
                link.state = .none
                out += advanceFailover(now: now)
            } else if !configuration.join.isEmpty {
                out += nextSeed(now: now)
            } else {
                link.state = .none
                out.append(.disconnectParent)
                out += standAlone(now: now)
            }
        }
        // Joining: repeat the request until answered.
        if case .joining(let parentID, let endpoints, let since, let lastSent) = link.state, now - lastSent >= configuration.joinRetryInterval {
            link.state = .joining(id: parentID, endpoints: endpoints, since: since, lastSent: now)
            out.append(.push(joinMessage(afterFailover: link.family.lostParent)))
        }
        // Welcome children whose directed subscription has not shown up in time anyway.
        for child in children.overdueWelcomes(after: configuration.welcomeDeferral, now: now) {
            out += welcome(child)
        }
        if now - lastHeartbeat >= configuration.heartbeatInterval {
            lastHeartbeat = now
            membership.expire(now: now)
            out += heartbeats(digests: digests(), now: now)
        }
        out += detectFailures(now: now)
        out += rebalance(now: now)
        out += joinDiscovered(now: now)
        out += announce(now: now)
        return out
    }

    /// The earliest time at which ``tick(now:digests:)`` may act if no input arrives before it:
    /// the next heartbeat, a detector crossing its threshold, a probe, a welcome falling
    /// overdue. `now` (tick at the shell's cadence) while the node is between states (looking
    /// for a parent, joining, failing over, over its fan-out): those last a moment.
    package func nextDeadline(now: Duration) -> Duration {
        switch link.state {
        case .awaitingBeacon, .joining: return now
        case .none:
            if configuration.endpoints == nil, !configuration.join.isEmpty { return now }
        case .joined: break
        }
        if link.failover != nil || children.treeCount > configuration.fanout { return now }
        var deadline = lastHeartbeat + configuration.heartbeatInterval
        if case .joined(_, _, let detector) = link.state {
            // A suspicion is reported once, and cleared by the tick after the parent is heard.
            if link.suspected && detector.status(at: now) == .alive { return now }
            deadline = min(deadline, detector.deadline(reaching: link.suspected ? .dead : .suspect))
        }
        if let children = children.nextDeadline(welcomeDeferral: configuration.welcomeDeferral) {
            deadline = min(deadline, children)
        }
        if let discovery = nextDiscoveryDeadline {
            deadline = min(deadline, discovery)
        }
        if let merge = pendingMergeDeadline {
            deadline = min(deadline, merge)
        }
        let anySeed = { (test: (String) -> Bool) in
            configuration.join.contains(where: test) || membership.contains(elsewhereThan: root, now: now, where: test)
        }
        if let probe = splitBrain.nextDeadline(joined: isJoined, own: configuration.endpoints?.publish, parent: link.state.endpoints?.publish, isChild: children.hasHost(publishing:), anySeed: anySeed) {
            deadline = min(deadline, probe)
        }
        return deadline
    }

    private mutating func heartbeats(digests: [DocumentDigest], now: Duration) -> [CoreDirective] {
        var out: [CoreDirective] = []
        guard !children.isEmpty || isJoined else { return out }
        let own = configuration.endpoints.map { MembershipView.Rumor(publish: $0.publish, root: root, age: .zero) }
        let rumors = membership.sample(own: own, now: now)
        if !children.isEmpty {
            let down = Heartbeat(root: root, depth: depth, grandparent: link.state.joinedEndpoints, children: childEntries, subtreeSize: subtreeSize, digests: digests, path: path, rumors: rumors)
            out.append(.publish(control(.heartbeat, down.encoded, topic: .tree)))
        }
        if isJoined {
            let up = Heartbeat(root: root, depth: depth, subtreeSize: subtreeSize, digests: digests, replicas: claimedReplicas, rumors: rumors)
            out.append(.push(control(.heartbeat, up.encoded, topic: .node(id))))
        }
        return out
    }

    // MARK: - Helpers

    /// Takes in a heartbeat's membership gossip.
    private mutating func learn(_ rumors: [MembershipView.Rumor], now: Duration) {
        for rumor in rumors { membership.learn(rumor, own: configuration.endpoints?.publish, now: now) }
    }

    /// The replicas this node and its subtree author (for the parent's trust table).
    var claimedReplicas: [ReplicaID] {
        var all = trust.own
        for (replica, _) in trust.claimers where all.count < Heartbeat.maxReplicas { all.insert(replica) }
        return all.sorted()
    }

    func control(_ type: MessageType, _ payload: [UInt8], topic: Topic) -> WireMessage {
        let flags = Self.advertisesPacking(type) && configuration.acceptsPackedFrames ? MessageHeader.acceptsPackedFlag : 0
        return WireMessage(topic: topic, header: MessageHeader(type: type, flags: flags, origin: id, sender: id, lamport: 0, term: term), payload: payload)
    }

    /// The messages that set up and keep a link, on which a node says whether it accepts
    /// packed frames (§4.2).
    private static func advertisesPacking(_ type: MessageType) -> Bool {
        type == .join || type == .welcome || type == .heartbeat
    }

    /// Set while an input answers a join that did not say it accepts packed frames: the answer
    /// (a welcome, or a redirect to a joiner that never becomes a child) goes as three frames
    /// even where this node packs otherwise. ``NodeMachine`` takes it after every input.
    private(set) var answersUnpacked = false

    /// Whether this input answered such a join, clearing it for the next input.
    mutating func takeAnswersUnpacked() -> Bool {
        defer { answersUnpacked = false }
        return answersUnpacked
    }

    /// Where this node may send packed frames now (§4): to its children while every tree child's
    /// last join or heartbeat said it accepts them, and to its parent while joined to one whose
    /// welcome or last heartbeat said so.
    package var packing: Packing {
        Packing(toChildren: children.nonPackingCount == 0, toParent: link.isJoined && link.parentAcceptsPackedFrames)
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
    /// Replica claims refused in a certified tree, once per heartbeat that makes them: held by
    /// another child, or this node's own (``TrustTable/exclusive``).
    package var claimsRefused: UInt64 = 0
    package var lastProblem: String?
}
