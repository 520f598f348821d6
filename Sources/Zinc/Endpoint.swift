import Synchronization
import ZeroMQ
import ZincProtocol
import ZincStore

/// One Zinc node: a host, a client, or both (a client hosting its own subtree).
///
/// An endpoint owns one I/O thread holding all of its sockets; every method here is safe from
/// any thread or task and talks to that thread through a queue. Every awaited call completes
/// or throws an ``EndpointError`` (``EndpointError/Code/shutDown`` once ``shutdown()`` has
/// been called, ``EndpointError/Code/stopped`` if the I/O loop failed): none waits for ever.
///
/// ```swift
/// var configuration = EndpointConfiguration()
/// configuration.join = ["tcp://127.0.0.1:7000"]
/// let endpoint = try Endpoint(configuration)
/// let notes = try await endpoint.document("notes")
/// try await notes.edit { try $0.insert("hello", at: 0) }
/// await endpoint.shutdown()
/// ```
public final class Endpoint: Sendable {
    /// The node's identity in the tree.
    public let id: ReplicaID
    /// Where this endpoint listens for children, if it can host (resolved ports, advertised
    /// host).
    public let addresses: Addresses?
    /// Where browsers connect (`ws://HOST:PORT/zinc`), if ``EndpointConfiguration/webSocket`` is set.
    public let webSocket: String?
    /// The configuration it runs with (with the documents loaded from its data directory).
    package let configuration: EndpointConfiguration
    let core: EndpointCore
    private let thread: Mutex<IOThread?>
    private let shutDownStarted = Atomic<Bool>(false)

    /// The two addresses a host binds: children subscribe to ``publish`` and push to ``pull``.
    public struct Addresses: Sendable, Hashable {
        /// Where the host publishes (PUB); joiners name this address.
        public var publish: String
        /// Where the host collects its children's messages (PULL).
        public var pull: String
    }

    /// Binds (if configured), loads the data directory (if any) and starts the I/O thread.
    /// Fails with ``EndpointError`` if an address is malformed or in use, or the store cannot
    /// be opened.
    public init(_ configuration: EndpointConfiguration) throws(EndpointError) {
        id = configuration.id
        let context = configuration.context ?? SharedContext.context
        var configuration = configuration
        let store = try Self.openStore(&configuration)
        self.configuration = configuration
        var sockets = try Self.bind(configuration, context: context)
        addresses = sockets.advertised.map { Addresses(publish: $0.publish, pull: $0.pull) }
        let core: EndpointCore
        do {
            core = try EndpointCore(node: configuration.id)
        } catch {
            throw EndpointError(.transportFailed, "cannot set up the endpoint's sockets: \(error.message)")
        }
        self.core = core
        if let webSocket = configuration.webSocket {
            sockets.gateway = try GatewayServer(webSocket, maxMessage: configuration.maxMessageSize, inbox: GatewayInbox(waker: core.waker))
        }
        self.webSocket = sockets.gateway?.url
        do {
            let listener = try ChannelListener(configuration: configuration, sockets: sockets, endpoint: core, store: store)
            let owned = HandOver(listener)
            thread = Mutex(IOThread(name: "zinc-io") { owned.take().run() })
        } catch {
            sockets.gateway?.close()
            throw EndpointError(.transportFailed, "cannot set up the endpoint's sockets: \(error.message)")
        }
    }

    /// Opens the data directory's store and adds the documents it holds to `configuration`.
    private static func openStore(_ configuration: inout EndpointConfiguration) throws(EndpointError) -> DocumentStore? {
        guard let directory = configuration.dataDirectory else { return nil }
        do {
            let store = try DocumentStore(directory: directory, durability: configuration.durability.store)
            // A fresh replica per start: whatever a crash took from the store, counters never repeat.
            let replica = configuration.documentReplica ?? .random()
            configuration.documentReplica = replica
            for (id, document) in try store.loadAll(editingAs: replica, limits: configuration.documentLimits) where configuration.documents[id] == nil {
                configuration.documents[id] = document
            }
            return store
        } catch {
            throw EndpointError(.storeFailed, "cannot open the store in \(directory): \(error)")
        }
    }

    private static func bind(_ configuration: EndpointConfiguration, context: Context) throws(EndpointError) -> BoundSockets {
        let plan: (publish: String, pull: String)?
        do {
            plan = try configuration.bind.map(AddressPlan.bindPair)
            if let admin = configuration.admin { try AddressPlan.checkAdmin(admin, allowRemote: configuration.adminAllowsRemote) }
        } catch {
            throw EndpointError(.invalidAddress, error.description)
        }
        let admitted = AdmittedKeys()
        do {
            if let key = configuration.key { try ZAPRegistry.shared.register(key, context: context) }
            if let identity = configuration.identity {
                try CertifiedPlan.check(configuration, identity: identity)
                try ZAPRegistry.shared.register(domain: identity.domain, admitted: admitted, context: context)
            }
        } catch let error as EndpointError {
            throw error
        } catch {
            throw EndpointError(.securityFailed, "\(error)")
        }
        let publisher: Socket, puller: Socket
        do {
            publisher = try Socket(.xpub, context: context)
            puller = try Socket(.pull, context: context)
            for socket in [publisher, puller] {
                try socket.setOption(.sendHighWaterMark, configuration.highWaterMark)
                try socket.setOption(.receiveHighWaterMark, configuration.highWaterMark)
                try socket.setOption(.maximumMessageSize, Int64(configuration.maxMessageSize))
                try configuration.configureServer(socket)
            }
            // Certified: each subscription is applied only as far as the subscriber's
            // certificate allows (AccessGuard).
            if configuration.identity != nil { try publisher.setOption(.xpubManual, true) }
        } catch {
            throw EndpointError(.transportFailed, "cannot make the host sockets: \(error.message)")
        }
        // No ZMQ_XPUB_NODROP: with it one stuck subscriber (a dead pipe not yet noticed) makes
        // every publish fail and stalls all children. Without it libzmq drops per subscriber at
        // the high-water mark, and the lagging child is repaired through the digests its
        // heartbeats carry (docs/protocol.md, "Backpressure").
        let admin = try bindAdmin(configuration, context: context)
        let discovery = try openDiscovery(configuration)
        let lobby = try CertifiedPlan.bindLobby(configuration, context: context)
        guard let bind = configuration.bind, let plan else {
            return BoundSockets(publisher: publisher, puller: puller, admin: admin, advertised: nil, discovery: discovery, lobby: lobby, admitted: admitted)
        }
        do throws(ZMQError) {
            try publisher.bind(plan.publish)
            try puller.bind(plan.pull)
        } catch {
            throw EndpointError.cannotBind(bind, error)
        }
        do {
            let advertised = Endpoints(
                publish: AddressPlan.advertise(try publisher.lastEndpoint, host: configuration.advertiseHost),
                pull: AddressPlan.advertise(try puller.lastEndpoint, host: configuration.advertiseHost))
            return BoundSockets(publisher: publisher, puller: puller, admin: admin, advertised: advertised, discovery: discovery, lobby: lobby, admitted: admitted)
        } catch {
            throw EndpointError(.transportFailed, "cannot read the bound addresses: \(error.message)")
        }
    }

    private static func openDiscovery(_ configuration: EndpointConfiguration) throws(EndpointError) -> DatagramSocket? {
        guard let discover = configuration.discover else { return nil }
        guard Discovery.isValidName(discover.cluster) else {
            throw EndpointError(.invalidName, "a cluster name must be 1–\(ClusterName.maxLength) bytes of UTF-8 without NUL: \"\(discover.cluster)\"")
        }
        do {
            return try DatagramSocket(port: discover.port)
        } catch {
            throw EndpointError(.cannotBind, "cannot listen for discovery: \(error)")
        }
    }

    private static func bindAdmin(_ configuration: EndpointConfiguration, context: Context) throws(EndpointError) -> Socket? {
        guard let address = configuration.admin else { return nil }
        let socket: Socket
        do {
            socket = try Socket(.router, context: context)
            try socket.setOption(.maximumMessageSize, Int64(ChannelListener.maxAdminMessage))
            socket.maximumMessageBytes = ChannelListener.maxAdminMessage + 1024
            socket.maximumFrames = 4
            // Keyed and certified clusters authenticate their admin clients too.
            try configuration.configureServer(socket)
        } catch {
            throw EndpointError(.transportFailed, "cannot make the admin socket: \(error.message)")
        }
        do throws(ZMQError) {
            try socket.bind(address)
        } catch {
            throw EndpointError.cannotBind(address, error)
        }
        return socket
    }

    deinit {
        // Released without shutdown(): stop the loop (it closes the sockets and fails whatever
        // is still queued) and let its thread end on its own.
        guard !shutDownStarted.load(ordering: .acquiring) else { return }
        core.post(EndpointCore.Command { listener in listener.requestStop(.shutDown) })
        thread.withLock { $0?.detach() }
    }

    // MARK: - Talking to the I/O thread

    func post(_ command: @escaping @Sendable (ChannelListener) -> Void) {
        core.post(EndpointCore.Command(command))
    }

    /// Runs `body` on the I/O thread and returns its result, or throws why it could not run.
    func perform<R: Sendable>(_ body: @escaping @Sendable (ChannelListener) throws -> R) async throws -> R {
        try await perform(body) { core.post($0) }
    }

    /// ``perform(_:)`` for a local edit of `document`: it runs once the document's slowest
    /// child is within the flow window (``ChannelListener/runPaced(_:_:)``).
    func performPaced<R: Sendable>(_ document: String, _ body: @escaping @Sendable (ChannelListener) throws -> R) async throws -> R {
        try await perform(body) { edit in
            core.post(EndpointCore.Command(run: { listener in listener.runPaced(document, edit) }, fail: edit.fail))
        }
    }

    /// Wraps `body` in a command that answers the caller, and hands it to `post`.
    private func perform<R: Sendable>(
        _ body: @escaping @Sendable (ChannelListener) throws -> R, posting post: (EndpointCore.Command) -> Void
    ) async throws -> R {
        try await withCheckedContinuation { (continuation: CheckedContinuation<Result<R, any Error>, Never>) in
            post(EndpointCore.Command(
                run: { listener in continuation.resume(returning: Result { try body(listener) }) },
                fail: { error in continuation.resume(returning: .failure(error)) }))
        }.get()
    }

    /// ``perform(_:)`` for bodies that fail only with an ``EndpointError``.
    func performTyped<R: Sendable>(_ body: @escaping @Sendable (ChannelListener) throws(EndpointError) -> R) async throws(EndpointError) -> R {
        try await withCheckedContinuation { (continuation: CheckedContinuation<Result<R, EndpointError>, Never>) in
            core.post(EndpointCore.Command(
                run: { listener in
                    do throws(EndpointError) {
                        continuation.resume(returning: .success(try body(listener)))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                },
                fail: { error in continuation.resume(returning: .failure(error)) }))
        }.get()
    }

    // MARK: - Public API

    /// Starts replicating `id` (joining its sync in the tree) and returns a handle to it.
    public func document(_ id: String) async throws(EndpointError) -> DocumentHandle {
        guard Topic.isValidName(id) else { throw .invalidName("document ID", id) }
        if let identity = configuration.identity, !identity.covers(id) {
            throw EndpointError(.notPermitted, "\(identity.name)'s certificate does not cover the document \(id)")
        }
        try await performTyped { listener in
            listener.execute(listener.machine.open(id, now: listener.now))
        }
        return DocumentHandle(id: id, endpoint: self)
    }

    /// Registers a handler for application messages on its channels (and, if it wants them,
    /// document changes).
    public func register(_ handler: some MessageHandler) async throws(EndpointError) {
        try await performTyped { listener in listener.handlers.register(handler) }
    }

    /// Sends an application message into the tree.
    public func send(channel: String, routing: Routing = .broadcast, body: [UInt8]) async throws(EndpointError) {
        guard Topic.isValidName(channel) else { throw .invalidName("channel", channel) }
        try await performTyped { listener in listener.send(channel: channel, routing: routing, body: body) }
    }

    /// Sends a burst of application messages in one trip to the I/O thread, and returns how
    /// many messages then wait in this endpoint's own send queues (libzmq's being full), so a
    /// fast producer can pace itself.
    @discardableResult
    package func send(channel: String, routing: Routing = .broadcast, bodies: [[UInt8]]) async throws(EndpointError) -> Int {
        guard Topic.isValidName(channel) else { throw .invalidName("channel", channel) }
        return try await performTyped { listener in
            for body in bodies { listener.send(channel: channel, routing: routing, body: body) }
            return listener.queuedMessages
        }
    }

    /// Membership events (joined, promoted, child left, ...) from now on. The stream ends when
    /// the endpoint stops.
    public func events() -> AsyncStream<MembershipEvent> { core.events() }

    /// The endpoint's current state.
    public func status() async throws(EndpointError) -> EndpointStatus {
        try await performTyped { listener in EndpointStatus(listener) }
    }

    /// For a process about to exit, once its endpoints are shut down: waits, at most
    /// `timeout`, for what they handed to the shared libzmq context (the goodbyes of
    /// ``shutdown()``) to leave it. libzmq writes from its own thread, which exiting kills.
    /// Endpoints with their own ``EndpointConfiguration/context`` are not covered, and none
    /// that shares the default context can start afterwards. False if a socket was still open.
    @discardableResult
    package static func finishSharedContext(within timeout: Duration) -> Bool {
        SharedContext.context.terminate(waitingAtMost: timeout)
    }

    /// Reads the trusted authorities and the revocation list of a certified node again (what
    /// `zinc node` does on SIGHUP), and cuts every peer whose certificate is no longer
    /// accepted; if the parent's is not, leaves it and joins elsewhere. Throws if the node is
    /// not certified or a file cannot be read (the old rules then stay in force).
    public func reloadTrust() async throws(EndpointError) {
        try await performTyped { listener throws(EndpointError) in try listener.reloadTrust() }
    }

    /// Leaves the tree cleanly (the parent and the children are told), stops the I/O thread and
    /// closes every socket. Calls still queued then, and every call made later, throw
    /// ``EndpointError/Code/shutDown``. Idempotent.
    public func shutdown() async {
        guard !shutDownStarted.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            core.post(EndpointCore.Command(
                run: { listener in
                    listener.leave()
                    listener.requestStop(.shutDown)
                    done.resume()
                },
                fail: { _ in done.resume() }))
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
    }
}
