import Testing
@testable import ZincCore
@testable import ZincProtocol

/// What docs/protocol.md states exactly, checked against the code.
@Suite("The spec, exactly")
struct SpecExactnessTests {
    let hostID = ReplicaID(deterministicFrom: "host")
    let childID = ReplicaID(deterministicFrom: "child")
    let a = ReplicaID(high: 1, low: 1)
    let b = ReplicaID(high: 2, low: 2)

    func context(now: Duration = .zero) -> RouteContext {
        RouteContext(node: hostID, term: 0, hasParent: false, hasChildren: true, isRoot: true, now: now, trust: TrustTable(), children: [childID])
    }

    func message(_ type: MessageType, _ payload: [UInt8], origin: ReplicaID? = nil, topic: Topic = .document("d")) -> WireMessage {
        WireMessage(topic: topic, header: MessageHeader(type: type, origin: origin ?? childID, sender: childID, lamport: 0, term: 0), payload: payload)
    }

    @Test("a version vector has one encoding: entries sorted, each once, none zero, none past 2^40 − 1")
    func canonicalVersionVectors() throws {
        func encoded(_ entries: [(ReplicaID, UInt64)]) -> [UInt8] {
            var writer = ByteWriter()
            writer.write(varint: UInt64(entries.count))
            for (replica, count) in entries {
                writer.write(replica)
                writer.write(varint: count)
            }
            return writer.bytes
        }
        #expect(try VersionVector(decoding: encoded([(a, 1), (b, 2)])) == VersionVector([a: 1, b: 2]))
        #expect(VersionVector([b: 2, a: 1]).encoded == encoded([(a, 1), (b, 2)]))
        let refused: [[(ReplicaID, UInt64)]] = [[(b, 2), (a, 1)], [(a, 1), (a, 2)], [(a, 0)], [(a, VersionVector.maxCount + 1)]]
        for bad in refused {
            #expect(throws: FormatError.self) { try VersionVector(decoding: encoded(bad)) }
        }
        // A sync request with an unsorted vector is refused and counted, not answered.
        var sync = DocumentSync(id: "d", document: Document(replica: hostID))
        var payload = ByteWriter()
        payload.write(string: "d")
        let request = payload.bytes + encoded([(b, 2), (a, 1)])
        #expect(sync.receive(message(.syncRequest, request, topic: .node(hostID)), from: .child(childID), context()).isEmpty)
        #expect(sync.counters.badMessages == 1 && sync.counters.syncRequestsAnswered == 0)
    }

    @Test("presence whose replica is not the header's origin is dropped and counted")
    func presenceOrigin() {
        var sync = DocumentSync(id: "d", document: Document(replica: hostID))
        let presence = Presence(replica: a, clock: 1, name: "not the sender").encoded()
        #expect(sync.receive(message(.presence, presence, origin: b), from: .child(childID), context()).isEmpty)
        #expect(sync.counters.badMessages == 1)
        #expect(!sync.receive(message(.presence, presence, origin: a), from: .child(childID), context()).isEmpty, "relayed down when it matches")
    }

    @Test("Lamport limits: a remote op reaching 2^52 is refused at decoding; a local edit reaching 2^53 fails")
    func lamportCeilings() throws {
        var author = Document(replica: a)
        try author.insert("x", at: 0)
        var fragment = author.fragment(since: VersionVector())
        fragment.ops[0].lamport = LamportClock.remoteCeiling - 2
        #expect(throws: Never.self) { try DocumentFragment(decoding: fragment.encoded()) }
        fragment.ops[0].lamport = LamportClock.remoteCeiling - 1
        #expect(throws: FormatError.self) { try DocumentFragment(decoding: fragment.encoded()) }
        // A local edit may run up to the full range, never past it.
        var document = Document(replica: b)
        document.clock.advance(toAtLeast: LamportClock.ceiling - 2)
        try document.insert("y", at: 0)
        #expect(throws: DocumentError.self) { try document.insert("z", at: 0) }
        #expect(document.text() == "y")
    }

    @Test("every transfer chunk carries the covering vector; a chunk with another is dropped and counted")
    func transferCovering() throws {
        var settings = SyncSettings()
        settings.chunkSize = 4
        settings.inlineReplyLimit = 0
        var source = Document(replica: a)
        try source.insert("twelve bytes and more", at: 0)
        var host = DocumentSync(id: "d", document: source, settings: settings)
        let request = SyncRequest(document: "d", version: VersionVector([b: 1])).encoded
        let out = host.receive(message(.syncRequest, request, topic: .node(hostID)), from: .child(childID), context())
        let chunks = try out.filter { $0.message.header.type == .transferChunk }.map { try TransferChunk(decoding: $0.message.payload) }
        #expect(chunks.count == Int(settings.window) && chunks.allSatisfy { $0.covering == source.versionVector })

        var receiver = DocumentSync(id: "d", document: Document(replica: b), settings: settings)
        _ = receiver.receive(message(.transferChunk, chunks[0].encoded, topic: .node(childID)), from: .parent, context())
        var forged = chunks[1]
        forged.covering = VersionVector([a: 1])
        #expect(receiver.receive(message(.transferChunk, forged.encoded, topic: .node(childID)), from: .parent, context()).isEmpty)
        #expect(receiver.counters.badMessages == 1)
        // The transfer under way survives the dropped chunk: the genuine one extends it.
        let acks = try receiver.receive(message(.transferChunk, chunks[1].encoded, topic: .node(childID)), from: .parent, context())
            .filter { $0.message.header.type == .transferAck }.map { try TransferAck(decoding: $0.message.payload) }
        #expect(acks.map(\.next) == [2])
    }

    @Test("a host that declares a child dead tells it, naming itself, so a child that was only slow joins again at once")
    func droppedChildIsTold() throws {
        let endpoints = Endpoints(publish: "tcp://127.0.0.1:7000", pull: "tcp://127.0.0.1:7001")
        var host = NodeCore(configuration: NodeConfiguration(id: hostID, endpoints: endpoints))
        _ = host.start(now: .zero)
        let join = WireMessage(topic: .node(childID), header: MessageHeader(type: .join, origin: childID, sender: childID, lamport: 0, term: 0), payload: JoinRequest(endpoints: nil, interest: .all).encoded)
        _ = host.receive(join, via: .puller, now: .zero)
        _ = host.subscriptionChanged(Topic.node(childID).bytes, subscribed: true, now: .zero)
        let out = host.tick(now: .seconds(5), digests: { [] })
        let leave = try #require(out.compactMap { directive -> WireMessage? in
            if case .publish(let message) = directive.shellDirective, message.header.type == .leave { message } else { nil }
        }.first)
        #expect(leave.topic == .node(childID))
        #expect(try Leave(decoding: leave.payload).successor?.id == hostID)
        #expect(host.childIDs.isEmpty)

        // The child, still joined, hears it and goes straight back to the same host.
        var child = NodeCore(configuration: NodeConfiguration(id: childID, join: [endpoints.publish]))
        _ = child.start(now: .zero)
        _ = child.receiveBeacon(Beacon(node: hostID, endpoints: endpoints, root: hostID, term: 0, depth: 0), now: .zero)
        let welcome = WireMessage(topic: .node(childID), header: MessageHeader(type: .welcome, origin: hostID, sender: hostID, lamport: 0, term: 0), payload: Welcome(rank: 0, root: hostID, depth: 1, grandparent: nil, siblings: [], documents: [], path: [hostID]).encoded)
        _ = child.receive(welcome, via: .subscriber, now: .zero)
        let back = child.receive(leave, via: .subscriber, now: .seconds(5))
        #expect(back.contains(.connectSubscriber(endpoints.publish)))
    }
}
