import Logging
import Synchronization
import ZeroMQ
import ZincCore
import ZincProtocol
import ZincStore

/// The I/O thread of one ``Endpoint``: it owns every socket (libzmq sockets are not
/// thread-safe), polls them with a waker for commands from other threads, feeds what arrives
/// to the node's ``NodeMachine`` and executes the directives it returns. All protocol decisions
/// are the machine's; this type only moves bytes and runs timers.
final class ChannelListener {
    let configuration: EndpointConfiguration
    var machine: NodeMachine
    let endpoint: EndpointCore
    var logger: Logger

    let publisher: Socket      // XPUB, bound: to the children
    let puller: Socket         // PULL, bound: from the children
    let subscriber: Socket     // SUB: from the parent
    let pusher: Socket         // PUSH: to the parent
    let prober: Socket         // SUB on welcome frames only: probes for other trees
    let admin: Socket?         // ROUTER: JSON admin requests
    let monitor: SocketMonitor // the SUB's transport events (a dead parent's closed connection)
    /// Handshake failures on the bound sockets (a peer without the cluster key).
    let serverMonitors: [SocketMonitor]
    let poller = Poller()
    var publishOutbox: Outbox
    var pushOutbox: Outbox
    var parentPublish: String?
    var parentPull: String?
    var probeTarget: String?

    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    /// Set when the loop should end after this iteration, with the reason calls still queued
    /// (and every later call) are failed with.
    private(set) var stopReason: EndpointError?
    var stopping: Bool { stopReason != nil }
    var handlers: [any MessageHandler] = []
    var observers: [String: [Int: AsyncStream<ChangeBatch>.Continuation]] = [:]
    /// Text bindings by document, by token.
    var textBindings: [String: [Int: WeakTextBinding]] = [:]
    var nextObserver = 0
    var counters = RuntimeCounters()
    var lastProblemLog: ContinuousClock.Instant?
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

    private var tokens: (publisher: Poller.Token, puller: Poller.Token, subscriber: Poller.Token, prober: Poller.Token, monitor: Poller.Token, pusher: Poller.Token, waker: Poller.Token)?

    init(configuration: EndpointConfiguration, sockets: BoundSockets, endpoint: EndpointCore, store: DocumentStore?) throws(ZMQError) {
        self.configuration = configuration
        self.store = store
        self.endpoint = endpoint
        var logger = configuration.logger
        logger[metadataKey: "node"] = "\(configuration.name ?? configuration.id.shortDescription)"
        self.logger = logger
        publisher = sockets.publisher
        puller = sockets.puller
        admin = sockets.admin
        let context = sockets.publisher.context
        subscriber = try Socket(.sub, context: context)
        pusher = try Socket(.push, context: context)
        prober = try Socket(.sub, context: context)
        for socket in [subscriber, pusher, prober] {
            try configuration.key?.configureClient(socket)
            try socket.setOption(.receiveHighWaterMark, configuration.highWaterMark)
            try socket.setOption(.sendHighWaterMark, configuration.highWaterMark)
            try socket.setOption(.maximumMessageSize, Int64(configuration.maxMessageSize))
            try socket.setOption(.reconnectInterval, .milliseconds(50))
            try socket.setOption(.reconnectIntervalMax, .milliseconds(500))
        }
        try prober.subscribe(Topic.welcome.bytes)
        monitor = try SocketMonitor(subscriber, events: [.disconnected, .connected, .handshakeFailed])
        serverMonitors = configuration.key == nil ? [] : [
            try SocketMonitor(sockets.publisher, events: .handshakeFailed), try SocketMonitor(sockets.puller, events: .handshakeFailed),
        ]
        publishOutbox = Outbox(limit: configuration.backlogLimit)
        pushOutbox = Outbox(limit: configuration.backlogLimit)
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
        nodeConfiguration.interest = configuration.interest
        nodeConfiguration.heartbeatInterval = configuration.heartbeatInterval
        nodeConfiguration.detector = configuration.detector
        var sync = configuration.sync
        sync.trimming = configuration.historyTrimming.policy
        machine = NodeMachine(
            configuration: nodeConfiguration, settings: sync, documentLimits: configuration.documentLimits,
            undoCaptureWindow: configuration.undoCaptureWindow,
            documents: configuration.documents, documentReplica: configuration.documentReplica)
        metrics = EndpointMetrics(node: configuration.name ?? configuration.id.description)
        started = clock.now
    }

    var now: Duration { clock.now - started }

    // MARK: - The loop

    func run() {
        let waker = endpoint.waker
        tokens = (
            poller.add(publisher), poller.add(puller), poller.add(subscriber), poller.add(prober),
            poller.add(monitor.socket), poller.add(pusher, events: []), poller.add(waker)
        )
        let adminToken = admin.map { poller.add($0) }
        let serverMonitorTokens = serverMonitors.map { poller.add($0.socket) }
        execute(machine.start(now: now))
        var nextTick = now + configuration.tickInterval
        while !stopping {
            let wait = max(.zero, nextTick - now)
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
            }
            if poller.isReadable(tokens.publisher) { readSubscriptions() }
            if poller.isReadable(tokens.subscriber) { read(subscriber, via: .subscriber) }
            if poller.isReadable(tokens.puller) { read(puller, via: .puller) }
            if poller.isReadable(tokens.prober) { readProbe() }
            if poller.isReadable(tokens.monitor) { readMonitor() }
            if let admin, let adminToken, poller.isReadable(adminToken) { readAdmin(admin) }
            for (index, token) in serverMonitorTokens.enumerated() where poller.isReadable(token) { readServerMonitor(serverMonitors[index]) }
            flushOutboxes()
            if now >= nextTick {
                let tickStart = clock.now
                execute(machine.tick(now: now))
                nextTick = now + configuration.tickInterval
                if now - lastMetrics >= .seconds(1) {
                    lastMetrics = now
                    metrics.report(allCounters(), children: machine.core.childIDs.count, term: machine.core.term, documents: machine.documents.count)
                    metrics.recordTick(clock.now - tickStart)
                    savePeers()
                }
            }
            publishChanges(origin: .remote)
            saveChangedDocuments()
        }
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

    /// Drains up to a batch of messages from one socket (fairness between sockets).
    private func read(_ socket: Socket, via channel: Channel) {
        for _ in 0..<1024 {
            let frames: [[UInt8]]
            do {
                frames = try socket.receiveMessage(.dontWait)
            } catch {
                if error.isWouldBlock { return }
                if error.isTerminated {
                    requestStop(EndpointError(.stopped, "the endpoint stopped: its libzmq context was terminated"))
                    return
                }
                reject("a message too large or malformed at the transport: \(error)", from: nil)
                continue
            }
            counters.messagesIn += 1
            if frames.count == 1, frames[0].first == Topic.welcome.bytes.first, channel == .subscriber {
                guard let beacon = try? Beacon(frame: frames[0]) else {
                    reject("a malformed welcome beacon", from: nil)
                    continue
                }
                execute(machine.receiveBeacon(beacon, now: now))
                continue
            }
            let message: WireMessage
            do {
                message = try WireMessage(frames: frames, maxPayload: configuration.maxMessageSize)
            } catch {
                reject("\(error)", from: frames.count > 1 ? try? MessageHeader(decoding: frames[1]).sender : nil)
                continue
            }
            execute(machine.receive(message, via: channel, now: now))
        }
    }

    private func readSubscriptions() {
        for _ in 0..<1024 {
            guard let frame = try? publisher.receive(.dontWait) else { return }
            guard let kind = frame.first, kind <= 1 else { continue }
            execute(machine.subscriptionChanged(Array(frame.dropFirst()), subscribed: kind == 1, now: now))
        }
    }

    private func readProbe() {
        for _ in 0..<64 {
            guard let frames = try? prober.receiveMessage(.dontWait) else { return }
            guard frames.count == 1, let beacon = try? Beacon(frame: frames[0]) else { continue }
            execute(machine.receiveProbeBeacon(beacon, now: now))
        }
    }

    private func readMonitor() {
        while let event = try? monitor.nextEvent() {
            if !event.kind.isDisjoint(with: .handshakeFailed) {
                counters.handshakeFailures += 1
                if counters.handshakeFailures == 1 || counters.handshakeFailures % 100 == 0 {
                    logger.warning("cannot complete a secure handshake with the parent (do both use the same cluster key?)", metadata: ["endpoint": "\(event.endpoint)", "failures": "\(counters.handshakeFailures)"])
                }
            }
            if event.kind.contains(.disconnected), let parent = parentPublish, event.endpoint == parent {
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
                logger.warning("refused a peer that failed the secure handshake (no or wrong cluster key)", metadata: ["endpoint": "\(event.endpoint)", "failures": "\(counters.handshakeFailures)"])
            }
        }
    }

    private func flushOutboxes() {
        guard let tokens else { return }
        if !publishOutbox.isEmpty { publishOutbox.flush(on: publisher) }
        if !pushOutbox.isEmpty { pushOutbox.flush(on: pusher) }
        poller.setEvents(publishOutbox.isEmpty ? .readable : [.readable, .writable], for: tokens.publisher)
        poller.setEvents(pushOutbox.isEmpty ? [] : .writable, for: tokens.pusher)
    }

    func reject(_ reason: String, from sender: ReplicaID?) {
        counters.badMessages += 1
        counters.lastProblem = reason
        // Hostile input must not flood the log: one line per second at most.
        if let last = lastProblemLog, clock.now - last < .seconds(1) { return }
        lastProblemLog = clock.now
        logger.warning("dropped a bad message", metadata: ["reason": "\(reason)", "sender": "\(sender?.description ?? "unknown")", "dropped": "\(counters.badMessages)"])
    }

    // MARK: - Directives

    func execute(_ directives: [NodeDirective]) {
        for directive in directives {
            switch directive {
            case .connectSubscriber(let address):
                if let old = parentPublish { try? subscriber.disconnect(old) }
                parentPublish = address
                do { try subscriber.connect(address) } catch { logger.error("cannot connect to \(address): \(error)") }
            case .connectPusher(let address):
                if let old = parentPull { try? pusher.disconnect(old) }
                pushOutbox.clear()
                parentPull = address
                do { try pusher.connect(address) } catch { logger.error("cannot connect to \(address): \(error)") }
            case .disconnectParent:
                if let old = parentPublish { try? subscriber.disconnect(old) }
                if let old = parentPull { try? pusher.disconnect(old) }
                parentPublish = nil
                parentPull = nil
                pushOutbox.clear()
            case .subscribe(let prefix):
                try? subscriber.subscribe(prefix)
            case .unsubscribe(let prefix):
                try? subscriber.unsubscribe(prefix)
            case .publish(let message):
                counters.messagesOut += 1
                if !publishOutbox.send(message.frames, on: publisher) { backpressure() }
            case .push(let message):
                counters.messagesOut += 1
                if !pushOutbox.send(message.frames, on: pusher) { backpressure() }
            case .setBeacon(let beacon):
                try? publisher.setOption(.xpubWelcomeMessage, beacon.frame)
            case .probe(let address):
                if let old = probeTarget { try? prober.disconnect(old) }
                probeTarget = address
                if let address { try? prober.connect(address) }
            case .sendOnce(let pull, let message):
                sendOnce(message, to: pull)
            case .deliver(let application, let origin):
                deliver(application, origin: origin)
            case .event(let event):
                logger.info("\(event)")
                endpoint.emit(event)
            case .document:
                break
            }
        }
    }

    private func backpressure() {
        counters.backpressureDrops += 1
        if counters.backpressureDrops == 1 || counters.backpressureDrops % 1000 == 0 {
            logger.warning("a peer is not keeping up; messages dropped, digests will repair it", metadata: ["drops": "\(counters.backpressureDrops)"])
        }
    }

    private func sendOnce(_ message: WireMessage, to pull: String) {
        guard let socket = try? Socket(.push, context: publisher.context) else { return }
        try? configuration.key?.configureClient(socket)
        try? socket.setOption(.linger, .seconds(1))
        guard (try? socket.connect(pull)) != nil else { return }
        try? socket.send(message: message.frames, flags: .dontWait)
        socket.close()
    }

    private func deliver(_ application: ApplicationMessage, origin: ReplicaID) {
        let message = Message(channel: application.channel, origin: origin, routing: application.routing, body: application.body, sequence: application.sequence)
        let context = MessageContext(core: endpoint)
        for handler in handlers where handler.channels.contains(application.channel) {
            handler.handle(message, context: context)
        }
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
            if !handlers.isEmpty {
                let context = MessageContext(core: endpoint)
                for handler in handlers { handler.documentChanged(document, batch: batch, context: context) }
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
    var queuedMessages: Int { publishOutbox.count + pushOutbox.count }

    func send(channel: String, routing: Routing, body: [UInt8]) {
        execute(machine.send(channel: channel, routing: routing, body: body))
    }

    // MARK: - Stopping

    func leave() {
        execute(machine.leave(now: now))
        // Give the goodbyes a moment to leave the queues.
        let deadline = clock.now + .milliseconds(200)
        while (!publishOutbox.isEmpty || !pushOutbox.isEmpty) && clock.now < deadline {
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
        for socket in [publisher, puller, subscriber, pusher, prober] { socket.close() }
        admin?.close()
    }
}

/// Counts the shell keeps (the machine keeps the protocol's own).
struct RuntimeCounters: Sendable, Hashable {
    var messagesIn: UInt64 = 0
    var messagesOut: UInt64 = 0
    var badMessages: UInt64 = 0
    var backpressureDrops: UInt64 = 0
    var storeErrors: UInt64 = 0
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
}
