public import ZeroMQ
public import ZincCore
public import ZincProtocol
import Synchronization
import ZincStore

/// One Zinc node: a host, a client, or both (a client hosting its own subtree).
///
/// An endpoint owns one I/O thread holding all of its sockets; every method here is safe from
/// any thread or task and talks to that thread through a queue.
///
/// ```swift
/// var configuration = EndpointConfiguration()
/// configuration.join = ["tcp://127.0.0.1:7000"]
/// let endpoint = try Endpoint(configuration)
/// let notes = try await endpoint.document("notes")
/// try await notes.edit { try $0.insert("hello", at: 0) }
/// for await batch in try await notes.changes() { ... }
/// await endpoint.shutdown()
/// ```
public final class Endpoint: Sendable {
    public let id: ReplicaID
    /// Where this endpoint listens, if it can host (resolved ports, advertised host).
    public let endpoints: Endpoints?
    public let configuration: EndpointConfiguration
    let core: EndpointCore
    private let thread: Mutex<IOThread?>
    private let stopped = Atomic<Bool>(false)

    /// Binds (if configured) and starts the I/O thread. Fails with a clear error if an address
    /// is malformed or already in use.
    public init(_ configuration: EndpointConfiguration) throws {
        id = configuration.id
        let context = configuration.context ?? SharedContext.context
        var configuration = configuration
        var store: DocumentStore?
        if let directory = configuration.dataDirectory {
            let opened = try DocumentStore(directory: directory, durability: configuration.durability)
            // A fresh replica per start: whatever a crash took from the store, counters never repeat.
            let replica = configuration.documentReplica ?? .random()
            configuration.documentReplica = replica
            for (id, document) in try opened.loadAll(editingAs: replica, limits: configuration.documentLimits) where configuration.documents[id] == nil {
                configuration.documents[id] = document
            }
            store = opened
        }
        self.configuration = configuration
        let sockets = try Self.bind(configuration, context: context)
        endpoints = sockets.advertised
        core = try EndpointCore()
        thread = Mutex(nil)
        core.setOwner(self)
        let listener = try ChannelListener(configuration: configuration, sockets: sockets, endpoint: core, store: store)
        let owned = HandOver(listener)
        thread.withLock { $0 = IOThread(name: "zinc-io") { owned.take().run() } }
    }

    private static func bind(_ configuration: EndpointConfiguration, context: Context) throws -> BoundSockets {
        let publisher = try Socket(.xpub, context: context)
        let puller = try Socket(.pull, context: context)
        if let key = configuration.key { try ZAPRegistry.shared.register(key, context: context) }
        for socket in [publisher, puller] {
            try socket.setOption(.sendHighWaterMark, configuration.highWaterMark)
            try socket.setOption(.receiveHighWaterMark, configuration.highWaterMark)
            try socket.setOption(.maximumMessageSize, Int64(configuration.maxMessageSize))
            try configuration.key?.configureServer(socket)
        }
        // No ZMQ_XPUB_NODROP: with it one stuck subscriber (a dead pipe not yet noticed) makes
        // every publish fail and stalls all children. Without it libzmq drops per subscriber at
        // the high-water mark, and the lagging child is repaired through the digests its
        // heartbeats carry (docs/protocol.md, "Backpressure").
        let admin = try bindAdmin(configuration, context: context)
        guard let bind = configuration.bind else { return BoundSockets(publisher: publisher, puller: puller, admin: admin, advertised: nil) }
        let plan = try AddressPlan.bindPair(bind)
        do throws(ZMQError) {
            try publisher.bind(plan.publish)
            try puller.bind(plan.pull)
        } catch {
            throw EndpointError.cannotBind(bind, error)
        }
        let advertised = Endpoints(
            publish: AddressPlan.advertise(try publisher.lastEndpoint, host: configuration.advertiseHost),
            pull: AddressPlan.advertise(try puller.lastEndpoint, host: configuration.advertiseHost))
        return BoundSockets(publisher: publisher, puller: puller, admin: admin, advertised: advertised)
    }

    private static func bindAdmin(_ configuration: EndpointConfiguration, context: Context) throws -> Socket? {
        guard let address = configuration.admin else { return nil }
        try AddressPlan.checkAdmin(address, allowRemote: configuration.adminAllowsRemote)
        let socket = try Socket(.router, context: context)
        try socket.setOption(.maximumMessageSize, Int64(ChannelListener.maxAdminRequest))
        socket.maximumMessageBytes = ChannelListener.maxAdminRequest
        socket.maximumFrames = 4
        // Keyed clusters authenticate their admin clients too.
        try configuration.key?.configureServer(socket)
        do throws(ZMQError) {
            try socket.bind(address)
        } catch {
            throw EndpointError.cannotBind(address, error)
        }
        return socket
    }

    deinit {
        if !stopped.load(ordering: .acquiring) {
            core.post { listener in listener.stopping = true }
        }
    }

    // MARK: - Talking to the I/O thread

    func post(_ command: @escaping @Sendable (ChannelListener) -> Void) {
        core.post(command)
    }

    /// Runs `body` on the I/O thread and returns its result.
    func perform<R: Sendable>(_ body: @escaping @Sendable (ChannelListener) throws -> R) async throws -> R {
        guard !stopped.load(ordering: .acquiring) else { throw EndpointError.shutDown }
        return try await withCheckedThrowingContinuation { continuation in
            core.post { listener in continuation.resume(with: Result { try body(listener) }) }
        }
    }

    // MARK: - Public API

    /// Starts replicating `id` (joining its sync in the tree) and returns a handle to it.
    public func document(_ id: String) async throws -> DocumentHandle {
        guard Topic.isValidName(id) else { throw EndpointError.invalidDocumentID(id) }
        try await perform { listener in
            listener.execute(listener.machine.open(id, now: listener.now))
        }
        return DocumentHandle(id: id, endpoint: self)
    }

    /// Registers a handler for application messages on its channels.
    public func register(_ handler: some MessageHandler) async throws {
        try await perform { listener in listener.handlers.append(handler) }
    }

    /// Sends an application message into the tree.
    public func send(channel: String, routing: Routing = .broadcast, body: [UInt8]) async throws {
        guard Topic.isValidName(channel) else { throw EndpointError.invalidChannel(channel) }
        try await perform { listener in listener.send(channel: channel, routing: routing, body: body) }
    }

    /// Sends a burst of application messages in one trip to the I/O thread, and returns how
    /// many messages then wait in this endpoint's own send queues (libzmq's being full), so a
    /// fast producer can pace itself.
    @discardableResult
    public func send(channel: String, routing: Routing = .broadcast, bodies: [[UInt8]]) async throws -> Int {
        guard Topic.isValidName(channel) else { throw EndpointError.invalidChannel(channel) }
        return try await perform { listener in
            for body in bodies { listener.send(channel: channel, routing: routing, body: body) }
            return listener.queuedMessages
        }
    }

    /// Membership events (joined, promoted, child left, ...) from now on.
    public func events() -> AsyncStream<NodeEvent> { core.events() }

    /// The endpoint's current state.
    public func status() async throws -> EndpointStatus {
        try await perform { listener in EndpointStatus(listener) }
    }

    /// Leaves the tree cleanly (the parent and the children are told), stops the I/O thread and
    /// closes every socket. Idempotent.
    public func shutdown() async {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            core.post { listener in
                listener.leave()
                listener.stopping = true
                done.resume()
            }
        }
        let thread = self.thread.withLock { thread -> IOThread? in
            defer { thread = nil }
            return thread
        }
        // Joining blocks until the loop closes its sockets: do it off the cooperative pool.
        await withCheckedContinuation { (joined: CheckedContinuation<Void, Never>) in
            _ = IOThread(name: "zinc-join") {
                thread?.join()
                joined.resume()
            }
        }
        core.finishEvents()
    }
}

/// Why an endpoint operation failed.
public enum EndpointError: Error, CustomStringConvertible, Sendable {
    case cannotBind(String, ZMQError)
    case invalidDocumentID(String)
    case invalidChannel(String)
    case unknownDocument(String)
    case security(String)
    case shutDown

    public var description: String {
        switch self {
        case .cannotBind(let address, let error):
            error.code == .addressInUse ? "cannot bind \(address): the address is already in use" : "cannot bind \(address): \(error.message)"
        case .invalidDocumentID(let id): "invalid document ID \"\(id)\": use 1–255 bytes of UTF-8 without NUL"
        case .invalidChannel(let channel): "invalid channel \"\(channel)\": use 1–255 bytes of UTF-8 without NUL"
        case .unknownDocument(let id): "this node holds no document \"\(id)\""
        case .security(let message): message
        case .shutDown: "the endpoint has shut down"
        }
    }
}
