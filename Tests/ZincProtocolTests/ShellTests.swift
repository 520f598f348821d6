import Testing
@testable import ZincCore
@testable import ZincProtocol

/// The one directive executor, driven over an in-memory transport: frames in, frames out.
@Suite("The node shell over an in-memory transport")
struct ShellTests {
    let hostID = ReplicaID(deterministicFrom: "host")
    let clientID = ReplicaID(deterministicFrom: "client")
    let hostEndpoints = Endpoints(publish: "tcp://127.0.0.1:7000", pull: "tcp://127.0.0.1:7001")

    func published(_ actions: [InMemoryTransport.Action]) -> [[[UInt8]]] {
        actions.compactMap { if case .publish(let frames) = $0 { frames } else { nil } }
    }

    func pushed(_ actions: [InMemoryTransport.Action]) -> [[[UInt8]]] {
        actions.compactMap { if case .push(let frames) = $0 { frames } else { nil } }
    }

    @Test("a join end to end in frames: beacon, join, subscription, welcome; every frame a real wire message")
    func joinInFrames() throws {
        let host = EmbeddedNode(NodeConfiguration(id: hostID, endpoints: hostEndpoints))
        let client = EmbeddedNode(NodeConfiguration(id: clientID, join: [hostEndpoints.publish]))
        host.start(now: .zero)
        let hostStart = host.transport.take()
        let welcomeFrame = try #require(hostStart.compactMap { if case .welcome(let frame) = $0 { frame } else { nil } }.first)
        #expect(welcomeFrame.first == UInt8(ascii: "W"))
        #expect(hostStart.contains(.subscribe(Topic.tree.bytes)), "a root still subscribes to what a parent would send")

        client.start(now: .zero)
        let clientStart = client.transport.take()
        #expect(clientStart.first == .subscribe(Topic.welcome.bytes))
        #expect(clientStart.contains(.subscribe(Topic.node(clientID).bytes)))
        #expect(clientStart.last(where: { if case .packing = $0 { false } else { true } }) == .connectSubscriber(hostEndpoints.publish))
        #expect(clientStart.last == .packing(Packing(toChildren: true, toParent: false)), "no children yet: packed frames may go down; no parent to push to")

        // The XPUB's welcome frame reaches the client's SUB first.
        try client.receive([welcomeFrame], via: .subscriber, now: .milliseconds(1))
        let joining = client.transport.take()
        #expect(joining.first == .connectPusher(hostEndpoints.pull))
        let join = try #require(pushed(joining).first)
        #expect(join.count == 3 && join[0] == Topic.node(clientID).bytes)
        #expect(try MessageHeader(decoding: join[1]).type == .join)

        // The host answers only once its XPUB shows the client's node topic.
        try host.receive(join, via: .puller, now: .milliseconds(2))
        #expect(published(host.transport.take()).isEmpty)
        #expect(host.events == [.childJoined(clientID)])
        host.subscription(Topic.node(clientID).bytes, now: .milliseconds(3))
        let welcome = try #require(published(host.transport.take()).first)
        #expect(welcome[0] == Topic.node(clientID).bytes)
        #expect(try MessageHeader(decoding: welcome[1]).type == .welcome)

        try client.receive(welcome, via: .subscriber, now: .milliseconds(4))
        #expect(client.events.contains(.joined(parent: hostID, term: 0)))
        #expect(client.machine.core.parentID == hostID)
    }

    @Test("a root never probes its own child for a rival tree, and sleeps between heartbeats")
    func noProbingOfChildren() throws {
        let childEndpoints = Endpoints(publish: "tcp://127.0.0.1:7002", pull: "tcp://127.0.0.1:7003")
        let host = EmbeddedNode(NodeConfiguration(id: hostID, endpoints: hostEndpoints))
        let child = EmbeddedNode(NodeConfiguration(id: clientID, endpoints: childEndpoints, join: [hostEndpoints.publish]))
        host.start(now: .zero)
        let welcomeFrame = try #require(host.transport.take().compactMap { if case .welcome(let frame) = $0 { frame } else { nil } }.first)
        child.start(now: .zero)
        _ = child.transport.take()
        try child.receive([welcomeFrame], via: .subscriber, now: .milliseconds(1))
        let join = try #require(pushed(child.transport.take()).first)
        try host.receive(join, via: .puller, now: .milliseconds(2))
        host.subscription(Topic.node(clientID).bytes, now: .milliseconds(3))
        _ = host.transport.take()
        // Ten seconds of timers at the root, run at its deadlines, with the child heartbeating:
        // the child's address is known (it can host) but never probed while it is a child.
        var now = Duration.milliseconds(3)
        var ticks = 0
        while now < .seconds(10) {
            now = max(host.machine.nextDeadline(now: now), now + .milliseconds(25))
            host.execute(host.machine.tick(now: now))
            ticks += 1
            let heartbeat = WireMessage(topic: .node(clientID), header: MessageHeader(type: .heartbeat, origin: clientID, sender: clientID, lamport: 0, term: 0),
                                        payload: Heartbeat(root: hostID, depth: 1, subtreeSize: 1, digests: [], replicas: [clientID]).encoded)
            try host.receive(heartbeat.frames, via: .puller, now: now)
        }
        #expect(!host.transport.take().contains { if case .probe(let target?) = $0 { target == childEndpoints.publish } else { false } })
        #expect(ticks <= 110, "about one timer run per 100 ms heartbeat, not one per 25 ms (\(ticks))")
        #expect(host.machine.core.childIDs == [clientID])
    }

    @Test("application messages reach the handlers through the shell; a repeat is dropped")
    func applicationDelivery() throws {
        let host = EmbeddedNode(NodeConfiguration(id: hostID, endpoints: hostEndpoints))
        host.start(now: .zero)
        _ = host.transport.take()
        let join = WireMessage(topic: .node(clientID), header: MessageHeader(type: .join, origin: clientID, sender: clientID, lamport: 0, term: 0), payload: JoinRequest(endpoints: nil, interest: .all).encoded)
        try host.receive(join.frames, via: .puller, now: .zero)
        let application = ApplicationMessage(channel: "chat", routing: .up, sequence: 1, body: Array("hi".utf8))
        let message = WireMessage(topic: .application("chat"), header: MessageHeader(type: .application, origin: clientID, sender: clientID, lamport: 0, term: 0), payload: application.encoded)
        try host.receive(message.frames, via: .puller, now: .milliseconds(1))
        try host.receive(message.frames, via: .puller, now: .milliseconds(2))
        #expect(host.delivered.count == 1)
        #expect(host.delivered.first?.0 == application && host.delivered.first?.1 == clientID)
    }

    @Test("framing: a bad beacon, a short message, a lying header are refused, naming the sender when its header reads")
    func framing() throws {
        #expect(throws: InboundError.self) { try Inbound(frames: [[UInt8(ascii: "W"), 0xFF]], via: .subscriber, maxPayload: 1024) }
        #expect(throws: InboundError.self) { try Inbound(frames: [Topic.tree.bytes], via: .puller, maxPayload: 1024) }
        var message = WireMessage(topic: .tree, header: MessageHeader(type: .heartbeat, origin: hostID, sender: hostID, lamport: 0, term: 0), payload: [1, 2, 3])
        message.header.payloadLength = 9
        do {
            _ = try Inbound(frames: message.frames, via: .subscriber, maxPayload: 1024)
            Issue.record("a payload length that lies must be refused")
        } catch {
            #expect(error.sender == hostID)
        }
        let big = WireMessage(topic: .tree, header: MessageHeader(type: .heartbeat, origin: hostID, sender: hostID, lamport: 0, term: 0), payload: [UInt8](repeating: 0, count: 2048))
        #expect(throws: InboundError.self) { try Inbound(frames: big.frames, via: .subscriber, maxPayload: 1024) }
        // A single `W` frame is a beacon only on the SUB socket.
        let beacon = Beacon(node: hostID, endpoints: hostEndpoints, root: hostID, term: 0, depth: 0)
        #expect(try Inbound(frames: [beacon.frame], via: .subscriber, maxPayload: 1024) == .beacon(beacon))
        #expect(throws: InboundError.self) { try Inbound(frames: [beacon.frame], via: .puller, maxPayload: 1024) }
    }
}
