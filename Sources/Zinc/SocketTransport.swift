import Logging
import ZeroMQ
import ZincProtocol

/// ``Transport`` over libzmq: the sockets a node sends on (XPUB to its children, SUB and PUSH to
/// its parent, the probe SUB), each send non-blocking through an ``Outbox``. Owned by the
/// endpoint's I/O thread, like every socket.
final class SocketTransport: Transport {
    let publisher: Socket      // XPUB, bound: to the children
    let subscriber: Socket     // SUB: from the parent
    let pusher: Socket         // PUSH: to the parent
    let prober: Socket         // SUB on welcome frames only: probes for other trees
    private let key: ClusterKey?
    private var logger: Logger
    private(set) var publishOutbox: Outbox
    private(set) var pushOutbox: Outbox
    /// Where the SUB and PUSH sockets are connected (the parent's endpoints).
    private(set) var parentPublish: String?
    private(set) var parentPull: String?
    private var probeTarget: String?
    /// The discovery port, and whether the node is reachable on loopback only (it then
    /// announces itself to this machine only).
    let discovery: (socket: DatagramSocket, port: UInt16, loopbackOnly: Bool)?
    /// Browsers behind the WebSocket gateway: they hear what the PUB socket sends, by the same
    /// subscription rules.
    var gateway: GatewayLinks?
    /// A certified node's links: each connection waits for the host's certificate from its
    /// lobby, and uses the CURVE key it names.
    var certified: CertifiedLinks?
    /// Raised by every (re)connection of a socket, so a lobby answer that comes after the
    /// node moved on connects nothing.
    private var generations = (subscriber: 0, pusher: 0, prober: 0)
    private(set) var messagesOut: UInt64 = 0
    /// libzmq messages handed to the PUB and PUSH sockets (a packed frame is one).
    private(set) var framesOut: UInt64 = 0
    /// With ``EndpointConfiguration/batchesMessages``: the messages of one turn of the I/O loop
    /// on each socket where the peers accept them, sent as packed frames (docs/protocol.md §4)
    /// by ``flush()``.
    private var batches: SocketBatches?
    /// Messages dropped because a peer's queues were full.
    private(set) var backpressureDrops: UInt64 = 0

    init(publisher: Socket, discovery: DatagramSocket?, configuration: EndpointConfiguration, logger: Logger) throws(ZMQError) {
        self.publisher = publisher
        if let discovery, let port = configuration.discover?.port {
            let loopbackOnly = configuration.advertiseHost == nil && configuration.bind.map(BroadcastTargets.isLoopbackOnly) ?? false
            self.discovery = (discovery, port, loopbackOnly)
        } else {
            self.discovery = nil
        }
        self.key = configuration.key
        self.logger = logger
        let context = publisher.context
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
        publishOutbox = Outbox(limit: configuration.backlogLimit)
        pushOutbox = Outbox(limit: configuration.backlogLimit)
        if configuration.batchesMessages { batches = SocketBatches() }
    }

    func connectSubscriber(to publish: String) {
        if let old = parentPublish { try? subscriber.disconnect(old) }
        parentPublish = publish
        generations.subscriber += 1
        connect(subscriber, to: publish, lobby: LobbyAddress.ofHost(publish: publish), generation: \.subscriber, isParent: true)
    }

    func connectPusher(to pull: String) {
        flushPushes()
        if let old = parentPull { try? pusher.disconnect(old) }
        pushOutbox.clear()
        parentPull = pull
        generations.pusher += 1
        connect(pusher, to: pull, lobby: LobbyAddress.ofHost(pull: pull), generation: \.pusher, isParent: true)
    }

    /// Connects `socket` to `endpoint`; a certified node first learns the host's certificate
    /// from its lobby (unless `generation` moved on meanwhile).
    private func connect(_ socket: Socket, to endpoint: String, lobby: String?, generation: WritableKeyPath<(subscriber: Int, pusher: Int, prober: Int), Int>, isParent: Bool) {
        guard let certified else {
            do { try socket.connect(endpoint) } catch { logger.error("cannot connect to \(endpoint): \(error)") }
            return
        }
        let expected = generations[keyPath: generation]
        certified.whenHostKnown(lobby: lobby, CertifiedLinks.Waiter(
            isWanted: { [weak self] in self?.generations[keyPath: generation] == expected },
            run: { [weak self] host in
                guard let self else { return }
                certified.configure(socket, for: host, isParent: isParent)
                do { try socket.connect(endpoint) } catch { self.logger.error("cannot connect to \(endpoint): \(error)") }
            }))
    }

    func disconnectParent() {
        flushPushes()
        if let old = parentPublish { try? subscriber.disconnect(old) }
        if let old = parentPull { try? pusher.disconnect(old) }
        parentPublish = nil
        parentPull = nil
        generations.subscriber += 1
        generations.pusher += 1
        certified?.parentGone()
        pushOutbox.clear()
    }

    func subscribe(_ prefix: [UInt8]) { try? subscriber.subscribe(prefix) }
    func unsubscribe(_ prefix: [UInt8]) { try? subscriber.unsubscribe(prefix) }

    func publish(_ message: WireMessage) {
        messagesOut += 1
        // Browsers take each message on its own, in a WebSocket frame of its own.
        gateway?.publish(message.frames)
        switch batches?.publish(message) ?? .alone {
        case .alone: sendPublished(message.frames, messages: 1)
        case .held: break
        case .frame(let full): sendPublished([full.frame], messages: full.messages)
        }
    }

    func push(_ message: WireMessage) {
        messagesOut += 1
        switch batches?.push(message) ?? .alone {
        case .alone: sendPushed(message.frames, messages: 1)
        case .held: break
        case .frame(let full): sendPushed([full.frame], messages: full.messages)
        }
    }

    // One method per socket rather than one taking the outbox by key path: these run for every
    // message, and a key path is looked up at run time.
    private func sendPublished(_ frames: [[UInt8]], messages: Int) {
        framesOut += 1
        if !publishOutbox.send(frames, messages: messages, Self.sender(publisher)) { backpressure() }
    }

    private func sendPushed(_ frames: [[UInt8]], messages: Int) {
        framesOut += 1
        if !pushOutbox.send(frames, messages: messages, Self.sender(pusher)) { backpressure() }
    }

    /// Sends the batch for the parent before its connection changes: unbatched, those
    /// messages would have gone into the old connection's queue.
    private func flushPushes() {
        if let batch = batches?.finishPushes() { sendPushed([batch.frame], messages: batch.messages) }
    }

    func setPacking(_ packing: Packing) {
        if let waiting = batches?.setPacking(packing) { send(waiting) }
    }

    /// Sends finished packed frames, the children's first.
    private func send(_ finished: (publish: PackedFrameBuilder.Packed?, push: PackedFrameBuilder.Packed?)) {
        if let frame = finished.publish { sendPublished([frame.frame], messages: frame.messages) }
        if let frame = finished.push { sendPushed([frame.frame], messages: frame.messages) }
    }

    func setWelcome(_ frame: [UInt8]) {
        try? publisher.setOption(.xpubWelcomeMessage, frame)
        gateway?.beacon = frame
    }

    func probe(_ publish: String?) {
        if let old = probeTarget { try? prober.disconnect(old) }
        probeTarget = publish
        generations.prober += 1
        if let publish { connect(prober, to: publish, lobby: LobbyAddress.ofHost(publish: publish), generation: \.prober, isParent: false) }
    }

    func sendOnce(_ frames: [[UInt8]], toPull pull: String) {
        guard let certified else {
            Self.sendOnce(frames, to: pull, context: publisher.context) { try self.key?.configureClient($0) }
            return
        }
        let context = publisher.context
        let deadline = ContinuousClock.now + .seconds(5)
        certified.whenHostKnown(lobby: LobbyAddress.ofHost(pull: pull), CertifiedLinks.Waiter(
            isWanted: { ContinuousClock.now < deadline },
            run: { host in Self.sendOnce(frames, to: pull, context: context) { certified.configure($0, for: host, isParent: false) } }))
    }

    private static func sendOnce(_ frames: [[UInt8]], to pull: String, context: Context, configure: (Socket) throws -> Void) {
        guard let socket = try? Socket(.push, context: context) else { return }
        try? configure(socket)
        try? socket.setOption(.linger, .seconds(1))
        guard (try? socket.connect(pull)) != nil else { return }
        try? socket.send(message: frames, flags: .dontWait)
        socket.close()
    }

    func broadcast(_ datagram: [UInt8]) {
        guard let discovery else { return }
        for address in BroadcastTargets.addresses(loopbackOnly: discovery.loopbackOnly) {
            discovery.socket.send(datagram, to: DatagramSource(host: address, port: discovery.port))
        }
    }

    func sendDatagram(_ datagram: [UInt8], to destination: DatagramSource) {
        discovery?.socket.send(datagram, to: destination)
    }

    /// Sends this turn's batches, and what the sockets will take now.
    func flush() {
        if let batch = batches?.finish() { send(batch) }
        if !publishOutbox.isEmpty { publishOutbox.flush(Self.sender(publisher)) }
        if !pushOutbox.isEmpty { pushOutbox.flush(Self.sender(pusher)) }
    }

    /// Messages waiting in Zinc's own queues because libzmq's were full.
    var queuedMessages: Int { publishOutbox.count + pushOutbox.count }

    func close() {
        for socket in [publisher, subscriber, pusher, prober] { socket.close() }
    }

    private static func sender(_ socket: Socket) -> ([[UInt8]]) -> SendOutcome {
        { frames in
            do throws(ZMQError) {
                try socket.send(message: frames, flags: .dontWait)
                return .sent
            } catch {
                return error.isWouldBlock ? .wouldBlock : .failed
            }
        }
    }

    private func backpressure() {
        backpressureDrops += 1
        if backpressureDrops == 1 || backpressureDrops % 1000 == 0 {
            logger.warning("a peer is not keeping up; messages dropped, digests will repair it", metadata: ["drops": "\(backpressureDrops)"])
        }
    }
}
