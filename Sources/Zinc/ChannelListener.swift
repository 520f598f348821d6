import Logging
import Synchronization
import ZeroMQ
import ZincCore
import ZincProtocol
import ZincStore

/// The I/O thread of one ``Endpoint``: it owns every socket (libzmq sockets are not
/// thread-safe), polls them with a waker for commands from other threads, feeds what arrives
/// to the node's ``NodeMachine`` and executes the directives it returns over its
/// ``SocketTransport`` (``NodeShell/execute(_:)``). All protocol decisions are the machine's;
/// this type only moves bytes and runs timers.
final class ChannelListener: NodeShell {
    let configuration: EndpointConfiguration
    var machine: NodeMachine
    let endpoint: EndpointCore
    var logger: Logger

    /// The sockets the node sends on.
    let transport: SocketTransport
    let puller: Socket         // PULL, bound: from the children
    let admin: Socket?         // ROUTER: JSON admin requests
    let monitor: SocketMonitor // the SUB's transport events (a dead parent's closed connection)
    /// Handshake failures on the bound sockets (a peer without the cluster key).
    let serverMonitors: [SocketMonitor]
    let poller = Poller()
    /// The WebSocket gateway, if any, and its connections (kept on this thread).
    let gateway: GatewayServer?
    let gatewayLinks: GatewayLinks?
    /// A certified node's lobby, lobby requests and access rules.
    let certified: CertifiedLinks?

    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    /// Set when the loop should end after this iteration, with the reason calls still queued
    /// (and every later call) are failed with.
    private(set) var stopReason: EndpointError?
    var stopping: Bool { stopReason != nil }
    var handlers = HandlerTable()
    /// Per socket, the rest of a packed frame that a read budget cut short.
    private var unfinished: [Channel: UnfinishedFrame] = [:]
    var observers: [String: [Int: AsyncStream<ChangeBatch>.Continuation]] = [:]
    /// Text bindings by document, by token.
    var textBindings: [String: [Int: WeakTextBinding]] = [:]
    var nextObserver = 0
    var counters = RuntimeCounters()
    var lastProblemLog: ContinuousClock.Instant?
    var lastDiscoveryLog: ContinuousClock.Instant?
    var metrics: EndpointMetrics
    /// The document store, if the endpoint persists (used on this thread only).
    let store: DocumentStore?
    /// How many operations each document held when last saved: a change means new operations
    /// (applied, made, or merged in as a state).
    var savedOperations: [String: UInt64] = [:]
    /// Where each document's history started when last saved: a change means it was trimmed.
    var savedFloor: [String: VersionVector] = [:]
    /// The peer addresses last read from or written to the store.
    var rememberedPeers: [String] = []
    var lastStoreErrorLog: ContinuousClock.Instant?
    var lastMetrics: Duration = .zero
    /// Local edits waiting for a slow child (``runPaced(_:_:)``).
    var heldBack: PacingQueue<EndpointCore.Command>

    private var tokens: (publisher: Poller.Token, puller: Poller.Token, subscriber: Poller.Token, prober: Poller.Token, monitor: Poller.Token, pusher: Poller.Token, waker: Poller.Token)?

    init(configuration: EndpointConfiguration, sockets: BoundSockets, endpoint: EndpointCore, store: DocumentStore?) throws(ZMQError) {
        self.configuration = configuration
        self.store = store
        self.endpoint = endpoint
        heldBack = PacingQueue(limit: configuration.pacingLimit)
        var logger = configuration.logger
        logger[metadataKey: "node"] = "\(configuration.name ?? configuration.id.shortDescription)"
        self.logger = logger
        transport = try SocketTransport(publisher: sockets.publisher, discovery: sockets.discovery, configuration: configuration, logger: logger)
        gateway = sockets.gateway
        gatewayLinks = sockets.gateway.map { _ in GatewayLinks(maxMessage: configuration.maxMessageSize) }
        transport.gateway = gatewayLinks
        certified = configuration.identity.map {
            CertifiedLinks(identity: $0, lobby: sockets.lobby, admitted: sockets.admitted, context: sockets.publisher.context, logger: logger)
        }
        transport.certified = certified
        puller = sockets.puller
        admin = sockets.admin
        monitor = try SocketMonitor(transport.subscriber, events: [.disconnected, .connected, .handshakeFailed])
        serverMonitors = !configuration.isSecured ? [] : [
            try SocketMonitor(sockets.publisher, events: .handshakeFailed), try SocketMonitor(sockets.puller, events: .handshakeFailed),
        ]
        // The peers known before a restart are tried after the configured seeds: the only seed
        // may be gone for good (docs/guarantees.md).
        if let store {
            do {
                rememberedPeers = try store.rememberedPeers(limit: RememberedPeers.limit)
            } catch {
                logger.warning("cannot read the remembered peers; starting from the configured seeds only", metadata: ["error": "\(error)"])
            }
        }
        let join = RememberedPeers.seeds(configured: configuration.join, remembered: rememberedPeers, own: sockets.advertised?.publish)
        if join.count > configuration.join.count {
            logger.info("also trying \(join.count - configuration.join.count) peers remembered from the last run after the configured seeds")
        }
        var nodeConfiguration = NodeConfiguration(id: configuration.id, endpoints: sockets.advertised, join: join)
        nodeConfiguration.fanout = configuration.fanout
        nodeConfiguration.remembered = rememberedPeers
        nodeConfiguration.interest = configuration.interest
        nodeConfiguration.heartbeatInterval = configuration.heartbeatInterval
        nodeConfiguration.detector = configuration.detector
        // Child IDs are bound to certified names: a replica claim binds a certified identity.
        nodeConfiguration.exclusiveClaims = configuration.identity != nil
        nodeConfiguration.firstApplicationSequence = UInt64.random(in: 1...ApplicationRouter.firstSequenceBound)
        nodeConfiguration.discovery = configuration.discover.map { discover in
            var settings = DiscoveryView.Settings(cluster: discover.cluster)
            // Document names are for members only in a keyed or certified cluster.
            settings.revealsDocuments = !configuration.isSecured
            return settings
        }
        var sync = configuration.sync
        sync.trimming = configuration.historyTrimming.policy
        machine = NodeMachine(
            configuration: nodeConfiguration, settings: sync, documentLimits: configuration.documentLimits,
            undoCaptureWindow: configuration.undoCaptureWindow,
            documents: configuration.documents, documentReplica: configuration.documentReplica)
        if let identity = configuration.identity, identity.role == .reader {
            machine.readOnlyReason = "\(identity.name) is certified as a reader: it receives documents and never edits them"
        }
        metrics = EndpointMetrics(node: configuration.name ?? configuration.id.description)
        started = clock.now
    }

    var now: Duration { clock.now - started }

    // MARK: - The loop

    func run() {
        let waker = endpoint.waker
        tokens = (
            poller.add(transport.publisher), poller.add(puller), poller.add(transport.subscriber), poller.add(transport.prober),
            poller.add(monitor.socket), poller.add(transport.pusher, events: []), poller.add(waker)
        )
        let adminToken = admin.map { poller.add($0) }
        let serverMonitorTokens = serverMonitors.map { poller.add($0.socket) }
        let discoveryToken = transport.discovery.map { poller.add(fileDescriptor: $0.socket.fileDescriptor) }
        let lobbyToken = certified?.lobby.map { poller.add($0) }
        execute(machine.start(now: now))
        var lastTick = now
        var nextTick = now + configuration.tickInterval
        while !stopping {
            var wait = max(.zero, nextTick - now)
            // A lobby's answer arrives on a socket made for it: look often while one is awaited.
            if let fetchWake = certified?.nextFetchWake(now: clock.now) { wait = min(wait, fetchWake) }
            // A packed frame cut short by the read budget goes on at once, after the timers.
            if !unfinished.isEmpty { wait = .zero }
            do {
                try poller.poll(timeout: wait)
            } catch {
                if error.isTerminated {
                    requestStop(EndpointError(.stopped, "the endpoint stopped: its libzmq context was terminated"))
                } else {
                    logger.error("poll failed: \(error)")
                    requestStop(EndpointError(.stopped, "the endpoint stopped: polling its sockets failed: \(error)"))
                }
                break
            }
            guard let tokens else { break }
            if poller.isReadable(tokens.waker) {
                waker.drain()
                runCommands()
                readGateway()
            }
            if poller.isReadable(tokens.publisher) { readSubscriptions() }
            if poller.isReadable(tokens.subscriber) || unfinished[.subscriber] != nil { read(transport.subscriber, via: .subscriber) }
            if poller.isReadable(tokens.puller) || unfinished[.puller] != nil { read(puller, via: .puller) }
            if poller.isReadable(tokens.prober) { readProbe() }
            if poller.isReadable(tokens.monitor) { readMonitor() }
            if let admin, let adminToken, poller.isReadable(adminToken) { readAdmin(admin) }
            for (index, token) in serverMonitorTokens.enumerated() where poller.isReadable(token) { readServerMonitor(serverMonitors[index]) }
            if let discoveryToken, poller.isReadable(discoveryToken) { readDiscovery() }
            if let lobbyToken, poller.isReadable(lobbyToken) { certified?.serveLobby() }
            if let certified, certified.nextFetchWake(now: clock.now) != nil { certified.serviceFetches() }
            if now >= nextTick {
                let tickStart = clock.now
                execute(machine.tick(now: now))
                lastTick = now
                if now - lastMetrics >= .seconds(1) {
                    lastMetrics = now
                    let core = machine.core
                    metrics.report(EndpointMetrics.Snapshot(
                        counters: allCounters(), role: EndpointStatus.Role(core.role), children: core.childIDs.count, depth: core.depth, term: core.term,
                        documents: machine.documents.count, pendingOperations: machine.documents.values.reduce(0) { $0 + $1.document.pendingOperationCount },
                        queuedMessages: queuedMessages))
                    metrics.recordTick(clock.now - tickStart)
                    savePeers()
                    if let withdrawn = certified?.revalidate() { apply(withdrawn) }
                }
            }
            if !heldBack.isEmpty { releaseHeldEdits() }
            publishChanges(origin: .remote)
            // Everything this turn sent leaves now (in packed frames when batching), before the
            // store's writes.
            flushOutboxes()
            saveChangedDocuments()
            // Sleep until the machine's next deadline (an idle node wakes for its heartbeats
            // only), but tick no more often than the cadence while it is busy.
            nextTick = machine.nextTimerRun(now: now, lastRun: lastTick, cadence: configuration.tickInterval)
            if let deadline = heldBack.nextDeadline { nextTick = min(nextTick, deadline) }
        }
        failHeldEdits(stopReason ?? EndpointError(.stopped, "the endpoint stopped"))
        saveChangedDocuments()
        shutDownSockets()
        endpoint.stop(stopReason ?? EndpointError(.stopped, "the endpoint stopped"))
        endpoint.finishEvents()
    }

    /// Ends the loop after this iteration; calls queued or made from then on fail with `reason`.
    func requestStop(_ reason: EndpointError) {
        if stopReason == nil { stopReason = reason }
    }

    private func runCommands() {
        let commands = endpoint.takeCommands()
        for (index, command) in commands.enumerated() {
            if let stopReason {
                // Stopped by an earlier command of this batch: the rest can never run.
                for rest in commands[index...] { rest.fail(stopReason) }
                return
            }
            command.run(self)
        }
    }

    /// The longest one socket is read before the loop moves on. Under a flood of deltas the
    /// timers must still run on time: a node whose heartbeats wait behind a batch of applies is
    /// declared dead by its parent (a 1,000,000-delta fan-out lost its children that way, and
    /// each came back below the trimmed history).
    static let readBudget: Duration = .milliseconds(20)

    /// Drains up to a batch of messages from one socket (fairness between sockets), for at
    /// most ``readBudget``.
    private func read(_ socket: Socket, via channel: Channel) {
        let identifiesPeers = certified != nil && channel == .puller
        let deadline = clock.now + Self.readBudget
        if var frame = unfinished.removeValue(forKey: channel) {
            guard handOn(&frame, via: channel, identifiesPeers: identifiesPeers, until: deadline) else { return }
        }
        for _ in 0..<1024 {
            if clock.now >= deadline { return }
            let decoded: Result<[Inbound], InboundError>
            var peer: Socket.Peer?
            do {
                // A message of one frame (a packed frame, when the sender batches) is decoded
                // where libzmq received it; only the payloads are copied out.
                decoded = try socket.withReceivedMessage(.dontWait, peer: &peer, wantsPeer: identifiesPeers) { received in
                    Self.decode(received, via: channel, maxPayload: configuration.maxMessageSize)
                }
            } catch {
                if error.isWouldBlock { return }
                if error.isTerminated {
                    requestStop(EndpointError(.stopped, "the endpoint stopped: its libzmq context was terminated"))
                    return
                }
                reject("a message too large or malformed at the transport: \(error)", from: nil)
                continue
            }
            switch decoded {
            case .success(let inbounds):
                var frame = UnfinishedFrame(inbounds: inbounds, peer: peer)
                guard handOn(&frame, via: channel, identifiesPeers: identifiesPeers, until: deadline) else { return }
            case .failure(let error):
                counters.messagesIn += 1
                reject(error.problem, from: error.sender)
            }
        }
    }

    /// Hands `frame`'s messages to the machine until `deadline` (looking at the clock every few
    /// messages, and handing on at least that many). False if time ran out first: the rest
    /// waits in ``unfinished`` for the socket's next read.
    private func handOn(_ frame: inout UnfinishedFrame, via channel: Channel, identifiesPeers: Bool, until deadline: ContinuousClock.Instant) -> Bool {
        // One clock reading for the messages handed on together. A rest handed on later is heard
        // then, as a message still queued in libzmq would be: with the frame's arrival time, a
        // parent whose long frame takes seconds to handle would look silent to the detector.
        let now = self.now
        var handed = 0
        while !frame.isFinished {
            if handed > 0, handed % UnfinishedFrame.messagesPerClockReading == 0, clock.now >= deadline {
                unfinished[channel] = frame
                return false
            }
            receive(frame.inbounds[frame.next], via: channel, peer: frame.peer, identifiesPeers: identifiesPeers, now: now)
            frame.next += 1
            handed += 1
        }
        return true
    }

    private static func decode(_ received: Socket.ReceivedFrames, via channel: Channel, maxPayload: Int) -> Result<[Inbound], InboundError> {
        do throws(InboundError) {
            switch received {
            case .single(let frame): return .success(try Inbound.decodingAll(frame: frame, via: channel, maxPayload: maxPayload))
            case .multipart(let frames): return .success(try Inbound.decodingAll(frames: frames, via: channel, maxPayload: maxPayload))
            }
        } catch {
            return .failure(error)
        }
    }

    /// One decoded message (or beacon) to the machine, past the access rules for the certified
    /// link (`peer`) it came on when this socket identifies peers.
    private func receive(_ inbound: Inbound, via channel: Channel, peer: Socket.Peer?, identifiesPeers: Bool, now: Duration) {
        counters.messagesIn += 1
        var inbound = inbound
        if identifiesPeers, let certified, case .message(let message) = inbound {
            guard let admitted = admit(message, certified.inbound(message, from: certified.key(of: peer))) else { return }
            inbound = .message(admitted)
        }
        guard case .message(let message) = inbound else {
            execute(machine.receive(inbound, via: channel, now: now))
            return
        }
        switch message.header.type {
        case .delta:
            let start = clock.now
            execute(machine.receive(inbound, via: channel, now: now))
            metrics.recordDeltaApply(clock.now - start)
        case .heartbeat where channel == .puller && certified != nil:
            // A child's heartbeat may claim a replica another child holds (§24.2 item 7): the
            // core refuses and counts it; the log says so.
            let refusedBefore = machine.core.counters.claimsRefused
            execute(machine.receive(inbound, via: channel, now: now))
            if machine.core.counters.claimsRefused > refusedBefore {
                warnOfHostileInput("refused a replica claim", metadata: ["reason": "\(machine.core.counters.lastProblem ?? "")", "refused": "\(machine.core.counters.claimsRefused)"])
            }
        default:
            execute(machine.receive(inbound, via: channel, now: now))
        }
    }

    /// What the browsers sent, in the order each connection sent it.
    private func readGateway() {
        guard let gateway, let gatewayLinks else { return }
        for input in gatewayLinks.receive(gateway.inbox.take()) {
            switch input {
            case .message(var inbound):
                counters.messagesIn += 1
                if let certified, case .message(let message) = inbound {
                    guard let admitted = admit(message, certified.inbound(message, from: nil)) else { continue }
                    inbound = .message(admitted)
                }
                execute(machine.receive(inbound, via: .gateway, now: now))
            case .subscription(let prefix, let subscribed):
                execute(machine.subscriptionChanged(prefix, subscribed: subscribed, now: now))
            case .closed(let node):
                execute(machine.gatewayClosed(node, now: now))
            case .problem(let reason, let sender):
                reject(reason, from: sender)
            }
        }
    }

    private func readSubscriptions() {
        for _ in 0..<1024 {
            var peer: Socket.Peer?
            guard let frame = try? (certified == nil ? transport.publisher.receive(.dontWait) : transport.publisher.receive(.dontWait, peer: &peer)) else { return }
            guard let kind = frame.first, kind <= 1 else { continue }
            let prefix = Array(frame.dropFirst())
            if let certified, !applySubscription(prefix, subscribed: kind == 1, peer: peer, certified) { continue }
            execute(machine.subscriptionChanged(prefix, subscribed: kind == 1, now: now))
        }
    }

    /// An XPUB in manual mode applies nothing itself: apply, to the peer that sent it, what
    /// its certificate allows of a subscription. False if nothing was (the machine is not told).
    private func applySubscription(_ prefix: [UInt8], subscribed: Bool, peer: Socket.Peer?, _ certified: CertifiedLinks) -> Bool {
        guard let key = certified.key(of: peer) else {
            // A departed peer's withdrawals: libzmq already dropped its subscriptions.
            return !subscribed
        }
        let applied = certified.subscription(prefix, subscribed: subscribed, from: key)
        for topic in applied {
            try? transport.publisher.setOption(subscribed ? .subscribe : .unsubscribe, topic)
        }
        return !applied.isEmpty
    }

    /// The message to hand to the machine, or nil (counted and logged) if refused.
    private func admit(_ message: WireMessage, _ verdict: InboundVerdict) -> WireMessage? {
        switch verdict {
        case .accept(let admitted):
            return admitted
        case .refuse(let reason):
            reject("refused by the access rules: \(reason)", from: message.header.sender)
            return nil
        }
    }

    func publish(_ message: WireMessage) {
        guard let certified else {
            transport.publish(message)
            return
        }
        let core = machine.core
        for copy in certified.outbound(message, children: core.childIDs, isBrowser: core.isGatewayChild) { transport.publish(copy) }
    }

    /// ``Endpoint/reloadTrust()`` on this thread.
    func reloadTrust() throws(EndpointError) {
        guard let certified else { throw EndpointError(.securityFailed, "this node has no certificate; there is no trust to reload") }
        apply(try certified.reload())
        logger.info("reloaded the trusted authorities and the revocation list")
    }

    /// Children whose certificates were withdrawn are gone at once; a parent whose was, is left.
    private func apply(_ withdrawn: CertifiedLinks.Withdrawn) {
        for node in withdrawn.nodes { execute(machine.childCut(node, now: now)) }
        if withdrawn.parent { parentNoLongerTrusted() }
    }

    /// The parent's certificate expired or was revoked: leave it, as if its connection closed.
    func parentNoLongerTrusted() {
        logger.warning("the parent's certificate is no longer accepted; leaving it")
        transport.disconnectParent()
        machine.parentDisconnected(now: now)
    }

    private func readProbe() {
        for _ in 0..<64 {
            guard let frames = try? transport.prober.receiveMessage(.dontWait) else { return }
            guard frames.count == 1, let beacon = try? Beacon(frame: frames[0]) else { continue }
            execute(machine.receiveProbeBeacon(beacon, now: now))
        }
    }

    private func readDiscovery() {
        guard let socket = transport.discovery?.socket else { return }
        for _ in 0..<64 {
            guard let (bytes, source) = socket.receive() else { return }
            let dropped = machine.core.discovery?.counters.dropped
            execute(machine.receiveDatagram(bytes, from: source, now: now))
            if let counters = machine.core.discovery?.counters, counters.dropped != dropped {
                // Anyone on the segment can send these: one line per second at most.
                if let last = lastDiscoveryLog, clock.now - last < .seconds(1) { continue }
                lastDiscoveryLog = clock.now
                logger.warning("dropped a discovery datagram", metadata: ["reason": "\(counters.lastProblem ?? "")", "dropped": "\(counters.dropped)"])
            }
        }
    }

    private func readMonitor() {
        while let event = try? monitor.nextEvent() {
            if !event.kind.isDisjoint(with: .handshakeFailed) {
                counters.handshakeFailures += 1
                if counters.handshakeFailures == 1 || counters.handshakeFailures % 100 == 0 {
                    logger.warning("\(HandshakeFailure.describe(event.kind, keyed: configuration.key != nil, side: .toParent))", metadata: ["endpoint": "\(event.endpoint)", "failures": "\(counters.handshakeFailures)"])
                }
            }
            if event.kind.contains(.disconnected), let parent = transport.parentPublish, event.endpoint == parent {
                machine.parentDisconnected(now: now)
                logger.debug("the connection to the parent closed", metadata: ["endpoint": "\(parent)"])
            }
        }
    }

    private func readServerMonitor(_ monitor: SocketMonitor) {
        while let event = try? monitor.nextEvent() {
            guard !event.kind.isDisjoint(with: .handshakeFailed) else { continue }
            counters.handshakeFailures += 1
            if counters.handshakeFailures == 1 || counters.handshakeFailures % 100 == 0 {
                logger.warning("\(HandshakeFailure.describe(event.kind, keyed: configuration.key != nil, side: .fromPeer))", metadata: ["endpoint": "\(event.endpoint)", "failures": "\(counters.handshakeFailures)"])
            }
        }
    }

    private func flushOutboxes() {
        guard let tokens else { return }
        transport.flush()
        poller.setEvents(transport.publishOutbox.isEmpty ? .readable : [.readable, .writable], for: tokens.publisher)
        poller.setEvents(transport.pushOutbox.isEmpty ? [] : .writable, for: tokens.pusher)
    }

    func reject(_ reason: String, from sender: ReplicaID?) {
        counters.badMessages += 1
        counters.lastProblem = reason
        warnOfHostileInput("dropped a bad message", metadata: ["reason": "\(reason)", "sender": "\(sender?.description ?? "unknown")", "dropped": "\(counters.badMessages)"])
    }

    /// Hostile input must not flood the log: one line per second at most, whatever the kind.
    private func warnOfHostileInput(_ message: Logger.Message, metadata: Logger.Metadata) {
        if let last = lastProblemLog, clock.now - last < .seconds(1) { return }
        lastProblemLog = clock.now
        logger.warning(message, metadata: metadata)
    }

    // MARK: - Directives (run by NodeShell.execute)

    func deliver(_ application: ApplicationMessage, origin: ReplicaID) {
        let targets = handlers.handlers(for: application.channel)
        guard !targets.isEmpty else { return }
        let message = Message(channel: application.channel, origin: origin, routing: application.routing, body: application.body, sequence: application.sequence)
        let context = MessageContext(core: endpoint)
        for handler in targets { handler.handle(message, context: context) }
    }

    func report(_ event: MembershipEvent) {
        logger.info("\(event)")
        endpoint.emit(event)
    }

    // MARK: - Documents and observers

    func publishChanges(origin: ChangeOrigin) {
        for document in machine.takeChangedDocuments() {
            let (changes, version): ([DocumentChange], VersionVector) = machine.peek(document) { document in
                (document.takeChanges(), document.versionVector)
            } ?? ([], VersionVector())
            if textBindings[document] != nil { updateTextBindings(document, changes: changes, origin: origin) }
            guard !changes.isEmpty else { continue }
            let batch = ChangeBatch(origin: origin, changes: changes, version: version)
            for continuation in observers[document, default: [:]].values { continuation.yield(batch) }
            if !handlers.all.isEmpty {
                let context = MessageContext(core: endpoint)
                for handler in handlers.all { handler.documentChanged(document, batch: batch, context: context) }
            }
        }
    }

    // MARK: - Persistence

    /// A local edit's directives, executed only once the edit is in the store (so with full
    /// durability nothing is sent or acknowledged that a crash could take back).
    func commitLocal(_ document: String, _ directives: [NodeDirective]) {
        save(document)
        execute(directives)
    }

    /// Saves every document whose operations changed since it was last saved.
    func saveChangedDocuments() {
        guard store != nil else { return }
        for (id, sync) in machine.documents where savedOperations[id] != sync.document.operationTotal || savedFloor[id, default: VersionVector()] != sync.document.historyFloor {
            save(id)
        }
    }

    /// Keeps the addresses this node has been linked with in the store (the current ones
    /// first, then those remembered before), for the next start.
    func savePeers() {
        guard let store else { return }
        let peers = RememberedPeers.merge(current: machine.core.knownPeers, previous: rememberedPeers)
        guard peers != rememberedPeers else { return }
        do {
            try store.rememberPeers(peers)
            rememberedPeers = peers
        } catch {
            counters.storeErrors += 1
            logger.error("cannot persist the peer addresses; retried", metadata: ["error": "\(error)"])
        }
    }

    private func save(_ id: String) {
        guard let store, let document = machine.documents[id]?.document else { return }
        do {
            try store.save(document, id: id)
            savedOperations[id] = document.operationTotal
            savedFloor[id] = document.historyFloor
        } catch {
            counters.storeErrors += 1
            if let last = lastStoreErrorLog, clock.now - last < .seconds(5) { return }
            lastStoreErrorLog = clock.now
            logger.error("cannot persist a document; it stays in memory and is retried", metadata: ["document": "\(id)", "error": "\(error)"])
        }
    }

    /// Messages waiting in Zinc's own queues because libzmq's were full.
    var queuedMessages: Int { transport.queuedMessages }

    func send(channel: String, routing: Routing, body: [UInt8]) {
        execute(machine.send(channel: channel, routing: routing, body: body))
    }

    // MARK: - Stopping

    func leave() {
        execute(machine.leave(now: now))
        // Give the goodbyes a moment to leave the queues.
        let deadline = clock.now + .milliseconds(200)
        while transport.queuedMessages > 0 && clock.now < deadline {
            flushOutboxes()
            _ = try? poller.poll(timeout: .milliseconds(5))
        }
    }

    private func shutDownSockets() {
        for continuations in observers.values { for continuation in continuations.values { continuation.finish() } }
        observers.removeAll()
        for bindings in textBindings.values { for entry in bindings.values { entry.binding?.finishObservers() } }
        textBindings.removeAll()
        monitor.stop()
        for monitor in serverMonitors { monitor.stop() }
        transport.close()
        puller.close()
        admin?.close()
        gatewayLinks?.closeAll()
        gateway?.close()
        certified?.close()
    }
}

/// Counts the shell keeps (the machine keeps the protocol's own).
struct RuntimeCounters: Sendable, Hashable {
    var messagesIn: UInt64 = 0
    var badMessages: UInt64 = 0
    var storeErrors: UInt64 = 0
    var editsHeldBack: UInt64 = 0
    var slowChildrenReleased: UInt64 = 0
    var handshakeFailures: UInt64 = 0
    var lastProblem: String?
}

/// The bound PUB/PULL sockets, made on the caller's thread (so bind errors surface at once)
/// and handed to the I/O thread.
struct BoundSockets {
    let publisher: Socket
    let puller: Socket
    let admin: Socket?
    let advertised: Endpoints?
    /// The discovery port, if discovery is on.
    var discovery: DatagramSocket?
    /// The WebSocket gateway, if configured (bound once the endpoint's waker exists).
    var gateway: GatewayServer?
    /// A certified node's lobby (ROUTER, plaintext), if it binds or serves admin.
    var lobby: Socket?
    /// The keys ZAP admits on a certified node's domain.
    var admitted: AdmittedKeys
}
