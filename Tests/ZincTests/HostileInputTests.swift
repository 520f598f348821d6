import Foundation
import Testing
@testable import Zinc
import ZeroMQ
import ZincCore
import ZincProtocol

/// A misbehaving peer speaking to a live host over real sockets.
@Suite("hostile input to a live node", .serialized, .timeLimit(.minutes(2)))
struct HostileInputTests {
    @Test("truncated, oversized, garbage, wrong-version, wrong-type, replayed and forged messages are dropped and counted; the node keeps serving and converges")
    func survivesHostileInput() async throws {
        let tree = TestTree()
        let host = try tree.host(name: "target") { $0.maxMessageSize = 1 << 20 }
        let endpoints = try #require(host.addresses)
        let client = try tree.host(join: [endpoints.publish], name: "honest")
        let hostDocument = try await host.document("doc")
        let clientDocument = try await client.document("doc")
        try await clientDocument.edit { try $0.insert("honest ", at: 0) }
        #expect(try await eventually { try await hostDocument.text() == "honest " })
        // The honest client's heartbeats have told the host which replicas its subtree authors.
        let honestReplica = try await clientDocument.snapshot().replica
        #expect(try await eventually {
            try await host.perform { $0.machine.core.trust.claimers[honestReplica] != nil }
        })

        // Mallory joins properly, then misbehaves.
        let context = try #require(host.configuration.context ?? SharedContext.context as Context?)
        let mallory = ReplicaID(deterministicFrom: "mallory")
        let (subscriber, pusher, welcomed) = try Self.joinAsRawChild(mallory, publish: endpoints.publish, pull: endpoints.pull, context: context)
        defer { subscriber.close(); pusher.close() }
        func header(_ type: MessageType, origin: ReplicaID = mallory, sender: ReplicaID = mallory, lamport: UInt64 = 0) -> MessageHeader {
            MessageHeader(type: type, origin: origin, sender: sender, lamport: lamport, term: 0)
        }
        func send(_ frames: [[UInt8]]) throws { try pusher.send(message: frames) }
        #expect(welcomed, "mallory is a child now")
        let beating = Self.keepAlive(mallory, root: host.id, pull: endpoints.pull, context: context)
        defer { beating.cancel() }
        let before = try await host.status().counters

        let topic = Topic.document("doc").bytes
        try send([Array("garbage".utf8)])                                                    // one frame
        try send([topic, Array(header(.delta).encoded.prefix(20)), []])                      // truncated header
        var wrongMagic = header(.delta).encoded; wrongMagic[0] = 0x00
        try send([topic, wrongMagic, []])                                                     // not Zinc
        var wrongVersion = header(.delta).encoded; wrongVersion[1] = 9
        try send([topic, wrongVersion, []])                                                   // future version
        var wrongType = header(.delta).encoded; wrongType[2] = 99
        try send([topic, wrongType, []])                                                      // unknown type
        try send([topic, header(.delta).encoded, [1, 2, 3]])                                  // length disagrees
        try send(WireMessage(topic: .document("doc"), header: header(.delta), payload: [0xFF, 0x13, 0x37]).frames) // garbage fragment
        try send([Array("D\u{0}".utf8), header(.delta).encoded, []])                        // malformed topic

        // A legitimate edit of her own, sent twice (the replay is a duplicate, applied once).
        var own = Document(replica: mallory)
        try own.insert("mallory ", at: 0)
        let ownDelta = WireMessage(topic: .document("doc"), header: header(.delta, lamport: 1), payload: own.commitFragment().encoded(omittingAuthor: mallory))
        try send(ownDelta.frames)
        try send(ownDelta.frames)

        // Forgeries: new operations under the honest client's replica and under the host's.
        let honest = honestReplica
        let hostReplica = try await hostDocument.snapshot().replica
        for victim in [honest, hostReplica] {
            var forger = Document(replica: victim)
            let held = try await hostDocument.snapshot().versionVector[victim]
            if held > 0 { try forger.insert(String(repeating: "x", count: Int(held)), at: 0); _ = forger.commitFragment() }
            try forger.insert("FORGED ", at: 0)
            let forged = WireMessage(topic: .document("doc"), header: header(.delta, origin: victim, lamport: 1000), payload: forger.commitFragment().encoded(omittingAuthor: victim))
            try send(forged.frames)
        }
        // A delta from a node that never joined.
        let stranger = ReplicaID(deterministicFrom: "stranger")
        var strangerDocument = Document(replica: stranger)
        try strangerDocument.insert("STRANGER ", at: 0)
        try send(WireMessage(topic: .document("doc"), header: header(.delta, origin: stranger, sender: stranger), payload: strangerDocument.commitFragment().encoded(omittingAuthor: stranger)).frames)
        // Oversized: beyond ZMQ_MAXMSGSIZE, libzmq drops the connection (mallory's PUSH reconnects).
        try send([topic, header(.delta).encoded, [UInt8](repeating: 7, count: 2 << 20)])

        // The node keeps serving: the honest client still converges with it.
        try await clientDocument.edit { try $0.insert("still ", at: 0) }
        #expect(try await eventually {
            let text = try await hostDocument.text()
            return text.contains("still ") && text.contains("mallory ")
        })
        #expect(try await eventually { try await tree.converged("doc") })
        let text = try await hostDocument.text()
        #expect(!text.contains("FORGED") && !text.contains("STRANGER"), "forged and stray operations never landed: \(text)")
        #expect(text.components(separatedBy: "mallory ").count == 2, "the replay was applied once")
        let after = try await host.status().counters
        #expect(after[.badMessages] - before[.badMessages] >= 7, "malformed messages counted: \(after)")
        #expect(after[.rejected] > before[.rejected], "the stranger's message was rejected")
        // The forgery under the honest client's name is refused by the trust rule; the one under
        // the host's own name is dropped earlier, as the host's own echo.
        #expect(after[.operationsRejected] >= 7, "the forged operations were refused: \(after)")
        await tree.shutdown()
    }

    /// Keeps a raw child's membership alive like any child's: a heartbeat every 100 ms from a
    /// socket of its own (otherwise, on a busy machine, the host declares it dead and refuses
    /// what it sends before the rule under test runs), claiming `replicas`; `configure` sets
    /// the socket up before it connects (CURVE keys, for a certified host).
    static func keepAlive(
        _ node: ReplicaID, root: ReplicaID, pull: String, context: Context, claiming replicas: [ReplicaID] = [],
        configure: @escaping @Sendable (Socket) throws -> Void = { _ in }
    ) -> Task<Void, any Error> {
        let beat = WireMessage(topic: .tree, header: MessageHeader(type: .heartbeat, origin: node, sender: node, lamport: 0, term: 0), payload: Heartbeat(root: root, depth: 1, replicas: replicas).encoded).frames
        return Task.detached {
            let beater = try Socket(.push, context: context)
            defer { beater.close() }
            try beater.setOption(.linger, .zero)
            try configure(beater)
            try beater.connect(pull)
            while !Task.isCancelled {
                try beater.send(message: beat)
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Joins a live host as `node` from raw sockets: a SUB on its PUB (the beacon, its own node
    /// topic, tree control) and a PUSH to its PULL, sending joins until welcomed.
    static func joinAsRawChild(_ node: ReplicaID, publish: String, pull: String, context: Context) throws -> (subscriber: Socket, pusher: Socket, welcomed: Bool) {
        let subscriber = try Socket(.sub, context: context)
        let pusher = try Socket(.push, context: context)
        for prefix in [Topic.welcome.bytes, Topic.node(node).bytes, Topic.tree.bytes] { try subscriber.subscribe(prefix) }
        try subscriber.connect(publish)
        try pusher.connect(pull)
        return (subscriber, pusher, try sendJoins(as: node, pusher: pusher, subscriber: subscriber))
    }

    /// Sends `node`'s join on `pusher` until a welcome arrives on `subscriber` (which must hear
    /// the node's own topic), reading what came with it; false if none came.
    static func sendJoins(as node: ReplicaID, pusher: Socket, subscriber: Socket) throws -> Bool {
        let join = WireMessage(topic: .node(node), header: MessageHeader(type: .join, origin: node, sender: node, lamport: 0, term: 0), payload: JoinRequest(endpoints: nil, interest: .all).encoded)
        var welcomed = false
        for _ in 0..<50 where !welcomed {
            try pusher.send(message: join.frames)
            while let frames = try subscriber.receiveMessage(timeout: .milliseconds(100)) {
                if frames.count == 3, let message = try? WireMessage(frames: frames, maxPayload: 1 << 20), message.header.type == .welcome { welcomed = true }
            }
        }
        return welcomed
    }

    @Test("a packed frame (several messages of one topic in one frame) is taken message by message; a damaged one is dropped whole and counted once")
    func packedFrames() async throws {
        let tree = TestTree()
        let host = try tree.host(name: "target")
        let endpoints = try #require(host.addresses)
        let hostDocument = try await host.document("doc")
        let context = try #require(host.configuration.context ?? SharedContext.context as Context?)
        let packer = ReplicaID(deterministicFrom: "packer")
        let (subscriber, pusher, welcomed) = try Self.joinAsRawChild(packer, publish: endpoints.publish, pull: endpoints.pull, context: context)
        defer { subscriber.close(); pusher.close() }
        #expect(welcomed, "the packer is a child")
        let beating = Self.keepAlive(packer, root: host.id, pull: endpoints.pull, context: context)
        defer { beating.cancel() }
        var document = Document(replica: packer)
        var lamport: UInt64 = 0
        func delta(_ text: String) throws -> WireMessage {
            try document.insert(text, at: document.length())
            lamport += 1
            let header = MessageHeader(type: .delta, origin: packer, sender: packer, lamport: lamport, term: 0)
            return WireMessage(topic: .document("doc"), header: header, payload: document.commitFragment().encoded(omittingAuthor: packer))
        }
        let heartbeat = WireMessage(topic: .document("doc"), header: MessageHeader(type: .heartbeat, origin: packer, sender: packer, lamport: 0, term: 0), payload: Heartbeat(root: host.id, depth: 1).encoded)
        let before = try await host.status().counters
        // Two deltas in one frame: both land, in order.
        try pusher.send(message: [WireMessage.packed([try delta("one "), try delta("two ")])])
        #expect(try await eventually { try await hostDocument.text() == "one two " })
        // A third delta packed with a damaged message: neither lands, and it counts once.
        var damaged = WireMessage.packed([try delta("three "), heartbeat])
        damaged[damaged.count - heartbeat.payload.count - MessageHeader.size] = 0x00
        try pusher.send(message: [damaged])
        #expect(try await eventually { try await host.status().counters[.badMessages] == before[.badMessages] + 1 })
        // The node keeps serving: the next frame, with the third delta again and a fourth, lands.
        let third = try WireMessage.unpacking(Array(damaged.prefix(damaged.count - heartbeat.payload.count - MessageHeader.size)), maxPayload: 1 << 20)
        try pusher.send(message: [WireMessage.packed(third + [try delta("four")])])
        #expect(try await eventually { try await hostDocument.text() == "one two three four" })
        #expect(try await host.status().counters[.badMessages] == before[.badMessages] + 1)
        await tree.shutdown()
    }

    @Test("a stranger's merge invitation, backed by a forged beacon at its own address, never moves a root with members; nothing it sends lands")
    func mergeInvitationFromAStranger() async throws {
        let tree = TestTree()
        let host = try tree.host(name: "invited root")
        let endpoints = try #require(host.addresses)
        let member = try tree.host(join: [endpoints.publish], name: "member")
        let hostDocument = try await host.document("doc")
        let memberDocument = try await member.document("doc")
        try await memberDocument.edit { try $0.insert("ours", at: 0) }
        #expect(try await eventually { try await hostDocument.text() == "ours" })
        let memberReplica = try await memberDocument.snapshot().replica

        // The rogue: a PUB whose welcome beacon claims a tree that wins every comparison, a PULL
        // that would see the root's join, and a PUSH into the root's PULL socket.
        let context = try #require(host.configuration.context ?? SharedContext.context as Context?)
        let rogue = ReplicaID(deterministicFrom: "rogue")
        let rogueRoot = ReplicaID(high: .max, low: .max)
        let publisher = try Socket(.xpub, context: context)
        let puller = try Socket(.pull, context: context)
        let pusher = try Socket(.push, context: context)
        defer { publisher.close(); puller.close(); pusher.close() }
        try publisher.bind("tcp://127.0.0.1:*")
        try puller.bind("tcp://127.0.0.1:*")
        let rogueEndpoints = Endpoints(publish: try publisher.lastEndpoint, pull: try puller.lastEndpoint)
        let forged = Beacon(node: rogue, endpoints: rogueEndpoints, root: rogueRoot, term: 99, depth: 0)
        try publisher.setOption(.xpubWelcomeMessage, forged.frame)
        try pusher.connect(endpoints.pull)
        let before = try await host.status().counters
        let invitation = MergeInvitation(root: rogueRoot, endpoints: rogueEndpoints, term: 99)
        for _ in 0..<5 {
            try pusher.send(message: WireMessage(topic: .node(host.id), header: MessageHeader(type: .mergeInvitation, origin: rogue, sender: rogue, lamport: 0, term: 99), payload: invitation.encoded).frames)
        }
        // An insert under the member's replica, as a parent would relay it.
        var forgedEdit = Document(replica: memberReplica)
        try forgedEdit.insert("FORGED", at: 0)
        let delta = forgedEdit.fragment(since: VersionVector()).encoded(omittingAuthor: memberReplica)
        try pusher.send(message: WireMessage(topic: .document("doc"), header: MessageHeader(type: .delta, origin: memberReplica, sender: rogue, lamport: 1, term: 99), payload: delta).frames)
        // The I/O thread handles each message as it reads it: once all six are counted, a root
        // that took the bait would already be joining the rogue.
        var status = try await host.status()
        #expect(try await eventually(.seconds(10)) {
            status = try await host.status()
            return status.counters[.rejected] - before[.rejected] >= 6
        }, "the invitations and the delta were refused: \(status.counters)")
        #expect(status.role == .root && status.parent == nil, "the root stays where it is: \(status.role)")
        #expect(try puller.receiveMessage(timeout: .milliseconds(500)) == nil, "no join reached the rogue")
        #expect(try await hostDocument.text() == "ours")
        #expect(try await memberDocument.text() == "ours")
        await tree.shutdown()
    }

    @Test("an admin request over 64 KiB is answered with an error, not silence; the admin interface keeps serving")
    func oversizedAdminRequest() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tree = TestTree()
        let address = "ipc://\(directory)/admin"
        let host = try tree.host(name: "admin target") { $0.admin = address }
        let context = try #require(host.configuration.context ?? SharedContext.context as Context?)
        let socket = try Socket(.req, context: context)
        defer { socket.close() }
        try socket.setOption(.linger, .zero)
        try socket.connect(address)
        let padding = String(repeating: "x", count: 100 << 10)
        try socket.send(Array("{\"command\":\"status\",\"pad\":\"\(padding)\"}".utf8))
        let frames = try #require(try socket.receiveMessage(timeout: .seconds(3)), "a reply, not silence")
        let reply = try JSONDecoder().decode(AdminReply.self, from: Data(try #require(frames.last)))
        #expect(!reply.ok && reply.error?.contains("exceeds the admin limit of 65536 bytes") == true, "\(reply)")
        #expect(try AdminClient(address: address, context: context).send(AdminRequest(command: "status")).ok)
        #expect(try await host.status().counters[.badMessages] >= 1)
        await tree.shutdown()
    }
}
