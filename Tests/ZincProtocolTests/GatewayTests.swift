import Testing
@testable import ZincCore
@testable import ZincProtocol

/// Browsers behind a node's WebSocket gateway (docs/protocol.md §23): the frame codec, and the
/// host's rules for gateway children — admitted past the fan-out, never redirected or moved,
/// left out of sibling lists, never declared dead by heartbeats, gone when their connection
/// closes, and never heard on the wrong kind of link.
@Suite("WebSocket gateway")
struct GatewayTests {
    let hostID = ReplicaID(deterministicFrom: "gateway host")
    let hostEndpoints = Endpoints(publish: "tcp://127.0.0.1:7000", pull: "tcp://127.0.0.1:7001")

    func messages(_ directives: [CoreDirective]) -> [WireMessage] { directives.sentMessages }

    func join(_ node: ReplicaID, endpoints: Endpoints? = nil) -> WireMessage {
        WireMessage(topic: .node(node), header: MessageHeader(type: .join, origin: node, sender: node, lamport: 0, term: 0),
                    payload: JoinRequest(endpoints: endpoints, interest: .documents(["notes"])).encoded)
    }

    @Test("frames: each kind round-trips; truncated, oversized and unknown frames are refused")
    func frames() throws {
        let envelope = WireMessage(topic: .tree, header: MessageHeader(type: .heartbeat, origin: hostID, sender: hostID, lamport: 0, term: 1), payload: Heartbeat(root: hostID, depth: 0).encoded).frames
        for frame in [GatewayFrame.message(envelope), .message([[0x57, 1]]), .subscribe([0x44] + Array("notes".utf8) + [0]), .unsubscribe([0x54])] {
            #expect(try GatewayFrame(decoding: frame.encoded, maxMessage: 1 << 20) == frame)
        }
        let encoded = GatewayFrame.message(envelope).encoded
        for cut in 0..<encoded.count {
            #expect(throws: FormatError.self) { try GatewayFrame(decoding: Array(encoded[..<cut]), maxMessage: 1 << 20) }
        }
        #expect(throws: FormatError.self) { try GatewayFrame(decoding: [0, 2, 0, 0], maxMessage: 1 << 20) }
        #expect(throws: FormatError.self) { try GatewayFrame(decoding: [7], maxMessage: 1 << 20) }
        #expect(throws: FormatError.self) { try GatewayFrame(decoding: [1] + Array(repeating: 0x44, count: 300), maxMessage: 1 << 20) }
        #expect(throws: FormatError.self) { try GatewayFrame(decoding: GatewayFrame.message([Array(repeating: 1, count: 100)]).encoded, maxMessage: 50) }
    }

    @Test("browsers are admitted beyond the fan-out and never redirected; tree joiners still are; siblings never list a browser")
    func beyondFanout() throws {
        var configuration = NodeConfiguration(id: hostID, endpoints: hostEndpoints)
        configuration.fanout = 1
        var host = NodeCore(configuration: configuration)
        _ = host.start(now: .zero)
        let child = ReplicaID(deterministicFrom: "tree child")
        let childEndpoints = Endpoints(publish: "tcp://127.0.0.1:7100", pull: "tcp://127.0.0.1:7101")
        _ = host.receive(join(child, endpoints: childEndpoints), via: .puller, now: .zero)
        _ = host.subscriptionChanged(Topic.node(child).bytes, subscribed: true, now: .zero)
        let browsers = (0..<5).map { ReplicaID(deterministicFrom: "browser \($0)") }
        for browser in browsers {
            // A browser claiming endpoints cannot host all the same: they are ignored.
            let out = host.receive(join(browser, endpoints: Endpoints(publish: "tcp://evil:1", pull: "tcp://evil:2")), via: .gateway, now: .zero)
            #expect(!messages(out).contains { $0.header.type == .redirect })
            _ = host.subscriptionChanged(Topic.node(browser).bytes, subscribed: true, now: .zero)
        }
        #expect(Set(host.gatewayChildIDs) == Set(browsers))
        #expect(host.treeChildCount == 1)
        #expect(host.childEntries.map(\.id) == [child], "siblings and heartbeats list tree children only")
        // A tree joiner is still redirected: the fan-out counts tree children only.
        let late = ReplicaID(deterministicFrom: "late tree joiner")
        let redirect = try #require(messages(host.receive(join(late), via: .puller, now: .zero)).first)
        #expect(redirect.header.type == .redirect)
        #expect(try Redirect(decoding: redirect.payload).target == child)
    }

    @Test("a silent browser is not declared dead by heartbeats; its closed connection removes it; it is heard only through the gateway")
    func liveness() throws {
        var host = NodeCore(configuration: NodeConfiguration(id: hostID, endpoints: hostEndpoints))
        _ = host.start(now: .zero)
        let browser = ReplicaID(deterministicFrom: "quiet browser")
        _ = host.receive(join(browser), via: .gateway, now: .zero)
        _ = host.subscriptionChanged(Topic.node(browser).bytes, subscribed: true, now: .zero)
        // A background tab: a minute without heartbeats.
        _ = host.tick(now: .seconds(60), digests: { [] })
        #expect(host.childIDs == [browser])
        // The same node ID on the PULL socket is another link: refused.
        let rejected = host.counters.rejected
        let heartbeat = WireMessage(topic: .node(browser), header: MessageHeader(type: .heartbeat, origin: browser, sender: browser, lamport: 0, term: 0), payload: Heartbeat(root: hostID, depth: 1).encoded)
        _ = host.receive(heartbeat, via: .puller, now: .seconds(61))
        #expect(host.counters.rejected == rejected + 1)
        // A tree child's ID through the gateway: refused too.
        let child = ReplicaID(deterministicFrom: "tree child")
        _ = host.receive(join(child, endpoints: Endpoints(publish: "tcp://127.0.0.1:7100", pull: "tcp://127.0.0.1:7101")), via: .puller, now: .seconds(61))
        let forged = WireMessage(topic: .node(child), header: MessageHeader(type: .leave, origin: child, sender: child, lamport: 0, term: 0), payload: Leave(successor: nil).encoded)
        _ = host.receive(forged, via: .gateway, now: .seconds(61))
        #expect(host.childIDs.contains(child))
        // The connection closes: the browser is gone at once; a tree child's ID is not the gateway's to remove.
        let closed = host.gatewayClosed(browser)
        #expect(closed.contains(.event(.childLeft(browser, reason: .left))))
        #expect(host.gatewayChildIDs.isEmpty)
        #expect(host.gatewayClosed(child).isEmpty && host.childIDs.contains(child))
    }

    @Test("a gateway takes browsers up to its limit; past it a join goes unanswered (the browser tries its next gateway)")
    func limit() {
        var configuration = NodeConfiguration(id: hostID, endpoints: hostEndpoints)
        configuration.gatewayClients = 2
        var host = NodeCore(configuration: configuration)
        _ = host.start(now: .zero)
        for index in 0..<3 { _ = host.receive(join(ReplicaID(deterministicFrom: "browser \(index)")), via: .gateway, now: .zero) }
        #expect(host.gatewayChildIDs.count == 2)
    }

    @Test("vectors (docs/vectors/gateway.json): the committed bytes are what the code sends and decode to their meaning")
    func vectors() throws {
        let beacon = Beacon(node: hostID, endpoints: hostEndpoints, root: hostID, term: 3, depth: 0).frame
        let browser = ReplicaID(deterministicFrom: "vector browser")
        let heartbeat = WireMessage(topic: .node(browser), header: MessageHeader(type: .heartbeat, origin: browser, sender: browser, lamport: 0, term: 3),
                                    payload: Heartbeat(root: hostID, depth: 1, subtreeSize: 1, replicas: [browser]).encoded).frames
        let built: [(String, String, GatewayFrame)] = [
            ("beacon", "down: the host's beacon, sent when the browser subscribes to W", .message([beacon])),
            ("heartbeat-up", "up: a browser's heartbeat, its replica claimed (an envelope of three frames)", .message(heartbeat)),
            ("subscribe-document", "up: subscribe to the document notes", .subscribe(Topic.document("notes").bytes)),
            ("subscribe-node", "up: subscribe to the browser's own node topic (binds the connection to that node)", .subscribe(Topic.node(browser).bytes)),
            ("unsubscribe-document", "up: unsubscribe from notes", .unsubscribe(Topic.document("notes").bytes)),
        ]
        let vectors = built.map { VectorTests.Vector(name: $0.0, note: $0.1, frames: [$0.2.encoded]) }
        let stored = try VectorTests.check("gateway.json", title: "WebSocket gateway frames (docs/protocol.md §23): one binary WebSocket message each", vectors) { frames in
            switch try GatewayFrame(decoding: frames[0], maxMessage: 1 << 20) {
            case .message(let parts): return ["frames": parts.map(VectorTests.hex)]
            case .subscribe(let prefix): return ["subscribe": VectorTests.hex(prefix)]
            case .unsubscribe(let prefix): return ["unsubscribe": VectorTests.hex(prefix)]
            }
        }
        #expect(stored.count == built.count)
        for (vector, entry) in zip(vectors, stored) {
            let bytes = VectorTests.bytes((entry["frames"] as? [String])?.first ?? "")
            #expect(bytes == vector.frames[0], "\(vector.name)")
            #expect(try GatewayFrame(decoding: bytes, maxMessage: 1 << 20).encoded == bytes)
        }
    }
}
