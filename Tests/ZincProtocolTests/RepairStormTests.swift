import Testing
@testable import ZincCore
@testable import ZincProtocol

/// A slow joiner loading a large document must not be sent it again and again.
@Suite("Repair while a transfer is in flight")
struct RepairStormTests {
    let hostID = ReplicaID(deterministicFrom: "host")
    let childID = ReplicaID(deterministicFrom: "child")

    func context(_ node: ReplicaID, now: Duration) -> RouteContext {
        node == hostID
            ? RouteContext(node: hostID, term: 0, hasParent: false, hasChildren: true, isRoot: true, now: now, trust: TrustTable(), children: [childID])
            : RouteContext(node: childID, term: 0, hasParent: true, hasChildren: false, isRoot: false, now: now, trust: TrustTable(), children: [])
    }

    @Test("a 550 KB transfer to a slow child: one transfer, repair held while it runs, and the child ends identical")
    func slowConsumer() throws {
        var settings = SyncSettings()
        settings.chunkSize = 16 << 10
        settings.window = 2
        // Random letters: the snapshot is compressed, and this text does not shrink much.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var scalars = String.UnicodeScalarView()
        for _ in 0..<900_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            scalars.append(Unicode.Scalar(UInt8(ascii: "a") + UInt8((state >> 33) % 26)))
        }
        let text = String(scalars)
        var hostDocument = Document(replica: ReplicaID(deterministicFrom: "author"))
        try hostDocument.insert(text, at: 0)
        #expect(hostDocument.encodedSnapshot().count > 500_000)
        var host = DocumentSync(id: "d", document: hostDocument, settings: settings)
        var child = DocumentSync(id: "d", document: Document(replica: childID), settings: settings)

        // Chunks reach the child slowly (two every 400 ms); everything else at once.
        var slow: [WireMessage] = []
        var now = Duration.zero
        func fromHost(_ out: [Outgoing]) {
            for outgoing in out {
                if outgoing.message.header.type == .transferChunk { slow.append(outgoing.message) } else { toChild([outgoing.message]) }
            }
        }
        func toChild(_ messages: [WireMessage]) {
            for message in messages { toHost(child.receive(message, from: .parent, context(childID, now: now))) }
        }
        func toHost(_ out: [Outgoing]) {
            for outgoing in out { fromHost(host.receive(outgoing.message, from: .child(childID), context(hostID, now: now))) }
        }

        toHost(child.parentJoined(context(childID, now: now)))
        #expect(host.counters.transfersStarted == 1)
        var tick = 0
        while now < .seconds(60) && child.document.versionVector != host.document.versionVector {
            now += .milliseconds(100)
            tick += 1
            if tick % 4 == 0 { toChild(Array(slow.prefix(2))); slow.removeFirst(min(2, slow.count)) }
            // Heartbeats carry digests both ways; timers run.
            fromHost(host.observe(child.digest, from: .child(childID), context(hostID, now: now)))
            toHost(child.observe(host.digest, from: .parent, context(childID, now: now)))
            fromHost(host.tick(context(hostID, now: now)))
            toHost(child.tick(context(childID, now: now)))
        }
        #expect(child.document.versionVector == host.document.versionVector)
        let identical = child.document.text() == text
        #expect(identical, "the child's text")
        #expect(host.counters.transfersStarted == 1, "no second whole-document transfer while the first was in flight")
        #expect(host.counters.transfersCompleted == 1 && child.counters.transfersCompleted == 1)
        #expect(now > .seconds(5), "the consumer really was slow")
    }

    @Test("a long stream to a child that lags behind starts no repair while both totals grow and nothing waits for a gap; a gap is repaired, and so is a mismatch when the stream stops")
    func streamInFlight() throws {
        var host = DocumentSync(id: "d", document: Document(replica: hostID))
        var child = DocumentSync(id: "d", document: Document(replica: childID))
        var now = Duration.zero
        var inFlight: [WireMessage] = []
        var requests = 0
        func heartbeats() {
            // The child hears the host's digest, the host the child's; count the repairs asked.
            for outgoing in child.observe(host.digest, from: .parent, context(childID, now: now)) + host.observe(child.digest, from: .child(childID), context(hostID, now: now))
            where outgoing.message.header.type == .syncRequest {
                requests += 1
            }
        }
        func edit() throws {
            let out = try host.edit(context(hostID, now: now)) { try $0.insert("0123456789", at: 0) }.outgoing
            inFlight += out.map(\.message)
        }
        // 20 s of a stream: 100 deltas per 100 ms heartbeat, the child always 300 deltas behind.
        for _ in 0..<200 {
            for _ in 0..<100 { try edit() }
            now += .milliseconds(100)
            while inFlight.count > 300 { _ = child.receive(inFlight.removeFirst(), from: .parent, context(childID, now: now)) }
            heartbeats()
        }
        #expect(requests == 0, "deltas in flight are not a gap")
        #expect(host.digest != child.digest)

        // One delta lost: the next ones wait for it at the child, and a repair is asked.
        for _ in 0..<3 { try edit() }
        inFlight.removeAll()
        try edit()
        _ = child.receive(inFlight.removeFirst(), from: .parent, context(childID, now: now))
        #expect(child.document.pendingOperationCount > 0)
        for _ in 0..<5 {
            now += .milliseconds(100)
            heartbeats()
        }
        #expect(requests >= 1, "a gap is repaired")

        // The stream stops with deltas never delivered: once the totals stop growing, a repair.
        requests = 0
        var stalled = DocumentSync(id: "d", document: Document(replica: childID))
        for _ in 0..<5 {
            now += .milliseconds(100)
            for outgoing in stalled.observe(host.digest, from: .parent, context(childID, now: now)) where outgoing.message.header.type == .syncRequest { requests += 1 }
        }
        #expect(requests == 1)
    }
}
