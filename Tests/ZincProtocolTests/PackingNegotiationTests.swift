import Testing
@testable import ZincCore
@testable import ZincProtocol

/// Packed frames go only to peers that said they accept them (docs/protocol.md §4 and §4.2):
/// what a node says on join, welcome and heartbeat, and where its ``NodeDirective/pack(_:)``
/// directives let a batching transport pack.
@Suite("Packing negotiation")
struct PackingNegotiationTests {
    let hostID = ReplicaID(deterministicFrom: "packing host")
    let hostEndpoints = Endpoints(publish: "tcp://127.0.0.1:7100", pull: "tcp://127.0.0.1:7101")

    func node(_ name: String, endpoints: Endpoints? = nil, join: [String] = [], acceptsPackedFrames: Bool = true) -> EmbeddedNode {
        var configuration = NodeConfiguration(id: ReplicaID(deterministicFrom: name), endpoints: endpoints, join: join)
        configuration.acceptsPackedFrames = acceptsPackedFrames
        return EmbeddedNode(configuration)
    }

    func messages(_ actions: [InMemoryTransport.Action]) -> [[[UInt8]]] {
        actions.compactMap {
            switch $0 {
            case .publish(let frames), .push(let frames): frames
            default: nil
            }
        }
    }

    func header(_ frames: [[UInt8]]) throws -> MessageHeader { try MessageHeader(decoding: frames[1]) }

    func packings(_ actions: [InMemoryTransport.Action]) -> [Packing] {
        actions.compactMap { if case .packing(let packing) = $0 { packing } else { nil } }
    }

    /// Where in `actions` the first message of `type` is.
    func position(of type: MessageType, in actions: [InMemoryTransport.Action]) throws -> Int? {
        try actions.firstIndex {
            switch $0 {
            case .publish(let frames), .push(let frames): try header(frames).type == type
            default: false
            }
        }
    }

    /// Joins `client` to `host` as the sockets would: beacon, join, subscription, welcome (or
    /// the subscription first, so that the join is answered at once). Returns what each asked
    /// of its transport from the join on.
    @discardableResult
    func join(
        _ client: EmbeddedNode, to host: EmbeddedNode, at now: Duration, subscribedFirst: Bool = false
    ) throws -> (host: [InMemoryTransport.Action], client: [InMemoryTransport.Action]) {
        let beacon = try #require(host.machine.core.beacon?.frame)
        _ = client.transport.take()
        try client.receive([beacon], via: .subscriber, now: now)
        var clientActions = client.transport.take()
        let join = try #require(messages(clientActions).first { try header($0).type == .join })
        if subscribedFirst { host.subscription(Topic.node(client.machine.id).bytes, now: now) }
        _ = host.transport.take()
        try host.receive(join, via: .puller, now: now + .milliseconds(1))
        if !subscribedFirst { host.subscription(Topic.node(client.machine.id).bytes, now: now + .milliseconds(2)) }
        let hostActions = host.transport.take()
        let welcome = try #require(messages(hostActions).first { try header($0).type == .welcome })
        try client.receive(welcome, via: .subscriber, now: now + .milliseconds(3))
        clientActions += client.transport.take()
        return (hostActions, clientActions)
    }

    @Test("join, welcome and heartbeats carry flag bit 0 from a node that accepts packed frames, and no other message does; a legacy node's carry none")
    func flags() throws {
        let host = node("packing host", endpoints: hostEndpoints)
        host.start(now: .zero)
        for accepts in [true, false] {
            let client = node("client \(accepts)", endpoints: Endpoints(publish: "tcp://127.0.0.1:71\(accepts ? 10 : 20)", pull: "tcp://127.0.0.1:71\(accepts ? 11 : 21)"), join: [hostEndpoints.publish], acceptsPackedFrames: accepts)
            client.start(now: .zero)
            let (hostActions, clientActions) = try join(client, to: host, at: .milliseconds(10))
            client.execute(client.machine.tick(now: .seconds(1)))
            let sent = messages(clientActions) + messages(client.transport.take())
            let types = try sent.map { try header($0).type }
            #expect(types.contains(.join) && types.contains(.heartbeat))
            for frames in sent {
                let header = try header(frames)
                let advertises = header.type == .join || header.type == .heartbeat
                #expect(header.flags == (advertises && accepts ? MessageHeader.acceptsPackedFlag : 0), "\(header.type) from a node that \(accepts ? "accepts" : "does not accept") packed frames")
            }
            let welcome = try #require(messages(hostActions).first { try header($0).type == .welcome })
            #expect(try header(welcome).flags == MessageHeader.acceptsPackedFlag)
        }
    }

    @Test("a host stops packing to its children before it welcomes one that cannot read packed frames, and packs again once that child has left")
    func legacyChild() throws {
        let host = node("packing host", endpoints: hostEndpoints)
        host.start(now: .zero)
        #expect(packings(host.transport.take()).last == Packing(toChildren: true, toParent: false))

        let modern = node("modern", join: [hostEndpoints.publish])
        modern.start(now: .zero)
        let first = try join(modern, to: host, at: .milliseconds(10))
        #expect(packings(first.host).isEmpty, "a child that accepts packed frames changes nothing")

        let legacy = node("legacy", join: [hostEndpoints.publish], acceptsPackedFrames: false)
        legacy.start(now: .zero)
        let second = try join(legacy, to: host, at: .milliseconds(20), subscribedFirst: true)
        let stop = try #require(second.host.firstIndex(of: .packing(Packing(toChildren: false, toParent: false))))
        let welcome = try #require(try position(of: .welcome, in: second.host))
        #expect(stop < welcome, "the welcome and everything after it go as three frames")
        #expect(host.machine.core.packing == Packing(toChildren: false, toParent: false))

        // The legacy child leaves: packing resumes, after whatever the leave made the host send.
        let leave = WireMessage(
            topic: .node(legacy.machine.id),
            header: MessageHeader(type: .leave, origin: legacy.machine.id, sender: legacy.machine.id, lamport: 0, term: 0), payload: Leave(successor: nil).encoded)
        try host.receive(leave.frames, via: .puller, now: .milliseconds(40))
        let after = host.transport.take()
        #expect(after.last == .packing(Packing(toChildren: true, toParent: false)))
        #expect(host.machine.core.packing.toChildren)
    }

    @Test("a full host redirects a joiner that cannot read packed frames in three frames, and packs again after that answer")
    func redirect() throws {
        var configuration = NodeConfiguration(id: hostID, endpoints: hostEndpoints)
        configuration.fanout = 1
        let host = EmbeddedNode(configuration)
        host.start(now: .zero)
        let first = node("first", endpoints: Endpoints(publish: "tcp://127.0.0.1:7130", pull: "tcp://127.0.0.1:7131"), join: [hostEndpoints.publish])
        first.start(now: .zero)
        try join(first, to: host, at: .milliseconds(10))
        for accepts in [false, true] {
            let joiner = node("joiner \(accepts)", join: [hostEndpoints.publish], acceptsPackedFrames: accepts)
            joiner.start(now: .zero)
            let beacon = try #require(host.machine.core.beacon?.frame)
            try joiner.receive([beacon], via: .subscriber, now: .milliseconds(20))
            let join = try #require(messages(joiner.transport.take()).first { try header($0).type == .join })
            _ = host.transport.take()
            try host.receive(join, via: .puller, now: .milliseconds(21))
            let actions = host.transport.take()
            let redirectAt = try #require(try position(of: .redirect, in: actions))
            if accepts {
                #expect(packings(actions).isEmpty, "a joiner that reads packed frames changes nothing")
            } else {
                #expect(actions.first == .packing(Packing(toChildren: false, toParent: false)) && redirectAt > 0)
                #expect(actions.last == .packing(Packing(toChildren: true, toParent: false)))
            }
            #expect(host.machine.core.packing.toChildren, "the joiner never became a child")
        }
    }

    @Test("a child packs to its parent only from a welcome that says the parent accepts packed frames; its join goes as three frames; it stops when it loses the parent")
    func parent() throws {
        for hostAccepts in [true, false] {
            let host = node("host \(hostAccepts)", endpoints: hostEndpoints, acceptsPackedFrames: hostAccepts)
            host.start(now: .zero)
            let client = node("child of \(hostAccepts)", join: [hostEndpoints.publish])
            client.start(now: .zero)
            let (_, clientActions) = try join(client, to: host, at: .milliseconds(10))
            let joinAt = try #require(try position(of: .join, in: clientActions))
            #expect(!packings(Array(clientActions[..<joinAt])).contains { $0.toParent }, "no packing up before the welcome")
            #expect(client.machine.core.packing.toParent == hostAccepts)
            if hostAccepts {
                #expect(packings(clientActions).last == Packing(toChildren: true, toParent: true))
            } else {
                #expect(packings(clientActions).allSatisfy { !$0.toParent })
            }

            guard hostAccepts else { continue }
            // A heartbeat from the parent that no longer says it (restarted at an earlier version
            // under the same identity) stops packing up at once.
            // A heartbeat that says it again lets it resume.
            for (accepts, at) in [(false, 50), (true, 60)] {
                let heartbeat = WireMessage(
                    topic: .tree,
                    header: MessageHeader(
                        type: .heartbeat, flags: accepts ? MessageHeader.acceptsPackedFlag : 0, origin: host.machine.id, sender: host.machine.id, lamport: 0,
                        term: client.machine.core.term),
                    payload: Heartbeat(root: host.machine.id, depth: 0, children: [ChildEntry(id: client.machine.id, endpoints: nil, rank: 0)], path: [host.machine.id]).encoded)
                _ = client.transport.take()
                try client.receive(heartbeat.frames, via: .subscriber, now: .milliseconds(at))
                let actions = client.transport.take()
                let expected = Packing(toChildren: true, toParent: accepts)
                #expect(accepts ? actions.last == .packing(expected) : actions.first == .packing(expected))
            }

            // Losing the parent stops packing up, before anything the loss makes it send.
            client.execute(client.machine.tick(now: .seconds(30)))
            #expect(client.machine.core.packing.toParent == false)
            #expect(client.transport.take().first == .packing(Packing(toChildren: true, toParent: false)))
        }
    }

    @Test("a child whose heartbeat stops saying it accepts packed frames stops the host's packing; one that says it again lets it resume")
    func childHeartbeat() throws {
        let host = node("packing host", endpoints: hostEndpoints)
        host.start(now: .zero)
        let child = node("restarted child", join: [hostEndpoints.publish])
        child.start(now: .zero)
        try join(child, to: host, at: .milliseconds(10))
        for accepts in [false, true] {
            let heartbeat = WireMessage(
                topic: .node(child.machine.id),
                header: MessageHeader(
                    type: .heartbeat, flags: accepts ? MessageHeader.acceptsPackedFlag : 0, origin: child.machine.id, sender: child.machine.id, lamport: 0,
                    term: host.machine.core.term),
                payload: Heartbeat(root: host.machine.id, depth: 1, subtreeSize: 1).encoded)
            _ = host.transport.take()
            try host.receive(heartbeat.frames, via: .puller, now: .milliseconds(100))
            #expect(packings(host.transport.take()) == [Packing(toChildren: accepts, toParent: false)])
        }
    }

    @Test("browsers behind the gateway do not stop packing: the gateway sends them each message on its own")
    func browsers() throws {
        let host = node("packing host", endpoints: hostEndpoints)
        host.start(now: .zero)
        _ = host.transport.take()
        let browser = ReplicaID(deterministicFrom: "browser")
        let join = WireMessage(
            topic: .node(browser), header: MessageHeader(type: .join, origin: browser, sender: browser, lamport: 0, term: 0),
            payload: JoinRequest(endpoints: nil, interest: .all).encoded)
        try host.receive(join.frames, via: .gateway, now: .milliseconds(10))
        #expect(host.machine.core.childIDs == [browser])
        #expect(packings(host.transport.take()).isEmpty)
        #expect(host.machine.core.packing.toChildren)
    }
}
