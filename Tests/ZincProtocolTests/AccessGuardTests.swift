import Foundation
import Testing
@testable import ZincCore
@testable import ZincProtocol

/// The access rules of a certified node (docs/security.md, "Roles and documents"), as a pure
/// table: lobby hellos, subscriptions, messages in and out.
@Suite("Access rules of a certified node")
struct AccessGuardTests {
    let authority = CertificateAuthority.generate()
    let other = CertificateAuthority.generate()
    let now: UInt64 = 1_000_000

    func issue(_ name: String, _ role: NodeCertificate.Role = .member, documents: [String] = ["*"], key: UInt8, by issuer: CertificateAuthority? = nil, expires: UInt64? = nil) throws -> NodeCertificate {
        try (issuer ?? authority).issue(nodeKey: [UInt8](repeating: key, count: 32), role: role, name: name, documents: documents.compactMap(DocumentPattern.init), issued: 1, expires: expires)
    }

    func host() throws -> AccessGuard {
        AccessGuard(own: try issue("host", key: 1), policy: TrustPolicy(authorities: [authority.publicKey]))
    }

    func admit(_ certificate: NodeCertificate, to rules: inout AccessGuard) -> LobbyFrame {
        rules.lobby(LobbyFrame.hello(certificate: certificate.encoded).encoded, now: now)
    }

    func message(_ type: MessageType, topic: Topic, sender: ReplicaID, payload: [UInt8] = []) -> WireMessage {
        WireMessage(topic: topic, header: MessageHeader(type: type, origin: sender, sender: sender, lamport: 0, term: 0), payload: payload)
    }

    @Test("the lobby admits trusted certificates with the host's own, and refuses the rest with the reason")
    func lobby() throws {
        var rules = try host()
        let reader = try issue("kiosk", .reader, documents: ["pub*"], key: 2)
        #expect(admit(reader, to: &rules) == .admitted(certificate: rules.own.encoded))
        #expect(rules.admittedKeys == [reader.nodeKey])
        let refusals: [(NodeCertificate, LobbyRefusal)] = [
            (try issue("stranger", key: 3, by: other), .untrustedAuthority),
            (try issue("late", key: 4, expires: now - 1), .expired),
        ]
        for (certificate, expected) in refusals {
            guard case .refused(let refusal, _) = admit(certificate, to: &rules) else { Issue.record("\(certificate.name) admitted"); continue }
            #expect(refusal == expected)
        }
        guard case .refused(.malformed, _) = rules.lobby(Array("garbage".utf8), now: now) else { Issue.record("garbage admitted"); return }
        var revoking = rules.policy
        revoking.revoked.insert(reader.fingerprint)
        #expect(rules.replacePolicy(revoking, now: now) == [reader.nodeKey], "the revoked peer is cut")
        guard case .refused(.revoked, _) = admit(reader, to: &rules) else { Issue.record("revoked certificate admitted"); return }
        #expect(rules.admittedKeys.isEmpty)
        #expect(rules.counters.lobbyRefused == 4 && rules.counters.admitted == 1 && rules.counters.dropped == 1)
        #expect(rules.recentRefusals.map(\.description).contains { $0.hasPrefix("kiosk: ") && $0.contains("revoked") })
    }

    @Test("expiry is checked every second without re-verifying signatures; a joined peer whose certificate expires is dropped")
    func expiry() throws {
        var rules = try host()
        let expiring = try issue("temp", key: 6, expires: now + 10)
        #expect(admit(expiring, to: &rules) == .admitted(certificate: rules.own.encoded))
        #expect(rules.revalidate(now: now + 9).isEmpty)
        #expect(rules.revalidate(now: now + 10) == [expiring.nodeKey])
        #expect(rules.admittedKeys.isEmpty && rules.counters.dropped == 1)
    }

    @Test("a host's certificate is checked before connecting: trusted, valid, a member's")
    func hostCheck() throws {
        let rules = try host()
        #expect(try rules.checkHost(.admitted(certificate: try issue("parent", key: 9).encoded), now: now).name == "parent")
        for frame in [LobbyFrame.admitted(certificate: try issue("reader", .reader, key: 9).encoded),
                      .admitted(certificate: try issue("stranger", key: 9, by: other).encoded),
                      .refused(.revoked, reason: "revoked"), .hello(certificate: [])] {
            #expect(throws: CertificateError.self) { try rules.checkHost(frame, now: now) }
        }
    }

    @Test("subscriptions: only covered documents, every document as the patterns, node topics bound to one key")
    func subscriptions() throws {
        var rules = try host()
        let reader = try issue("kiosk", .reader, documents: ["pub*", "notes"], key: 2)
        let member = try issue("alice", key: 3)
        _ = admit(reader, to: &rules)
        _ = admit(member, to: &rules)
        let node = ReplicaID(deterministicFrom: "kiosk")
        #expect(rules.subscription(Topic.allDocuments, subscribed: true, from: reader.nodeKey) == [Array("Dpub".utf8), Topic.document("notes").bytes])
        #expect(rules.subscription(Topic.allDocuments, subscribed: true, from: member.nodeKey) == [Topic.allDocuments])
        #expect(rules.subscription(Topic.document("pub1").bytes, subscribed: true, from: reader.nodeKey) == [Topic.document("pub1").bytes])
        #expect(rules.subscription(Topic.document("secret").bytes, subscribed: true, from: reader.nodeKey).isEmpty)
        #expect(rules.subscription(Array("Dse".utf8), subscribed: true, from: reader.nodeKey).isEmpty, "a partial prefix could match anything")
        #expect(rules.subscription([], subscribed: true, from: reader.nodeKey).isEmpty)
        #expect(rules.subscription(Topic.node(node).bytes, subscribed: true, from: reader.nodeKey) == [Topic.node(node).bytes])
        #expect(rules.subscription(Topic.node(node).bytes, subscribed: true, from: member.nodeKey).isEmpty, "another key may not take the kiosk's node ID")
        #expect(rules.subscription(Topic.tree.bytes, subscribed: true, from: member.nodeKey) == [Topic.tree.bytes])
        #expect(rules.subscription(Topic.tree.bytes, subscribed: true, from: reader.nodeKey).isEmpty, "tree messages name every document: the reader gets its own copies")
        #expect(rules.subscription(Topic.welcome.bytes, subscribed: true, from: reader.nodeKey) == [Topic.welcome.bytes])
        #expect(rules.subscription(Topic.tree.bytes, subscribed: true, from: [UInt8](repeating: 8, count: 32)).isEmpty, "not admitted")
        #expect(rules.counters.subscriptionsRefused == 5, "T from a reader is not a refusal: it gets its own copies")
    }

    @Test("messages in: a reader's operations, uncovered documents and borrowed node IDs are refused; a reader's presence and join pass")
    func inbound() throws {
        var rules = try host()
        let reader = try issue("kiosk", .reader, documents: ["pub*"], key: 2)
        let member = try issue("alice", documents: ["pub*", "team"], key: 3)
        _ = admit(reader, to: &rules)
        _ = admit(member, to: &rules)
        let kiosk = ReplicaID(deterministicFrom: "kiosk"), alice = ReplicaID(deterministicFrom: "alice")
        #expect(rules.inbound(message(.presence, topic: .document("pub1"), sender: kiosk), from: reader.nodeKey) == .accept(message(.presence, topic: .document("pub1"), sender: kiosk)))
        for type in [MessageType.delta, .syncReply, .transferChunk] {
            #expect(rules.inbound(message(type, topic: .document("pub1"), sender: kiosk), from: reader.nodeKey) == .refuse(.readerWrite))
        }
        #expect(rules.inbound(message(.delta, topic: .document("pub1"), sender: alice), from: member.nodeKey) == .accept(message(.delta, topic: .document("pub1"), sender: alice)))
        #expect(rules.inbound(message(.delta, topic: .document("secret"), sender: alice), from: member.nodeKey) == .refuse(.notCovered))
        let syncRequest = message(.syncRequest, topic: .node(ReplicaID(deterministicFrom: "host")), sender: kiosk, payload: SyncRequestPayload.named("secret"))
        #expect(rules.inbound(syncRequest, from: reader.nodeKey) == .refuse(.notCovered), "a directed request names its document in the payload")
        #expect(rules.inbound(message(.heartbeat, topic: .tree, sender: kiosk), from: member.nodeKey) == .refuse(.impersonation))
        #expect(rules.inbound(message(.heartbeat, topic: .tree, sender: kiosk), from: [UInt8](repeating: 8, count: 32)) == .refuse(.notAdmitted))
        let join = JoinRequest(endpoints: Endpoints(publish: "tcp://127.0.0.9:7000", pull: "tcp://127.0.0.9:7001"), interest: .all)
        guard case .accept(let admitted) = rules.inbound(message(.join, topic: .node(kiosk), sender: kiosk, payload: join.encoded), from: reader.nodeKey) else {
            Issue.record("the reader's join was refused")
            return
        }
        #expect(try JoinRequest(decoding: admitted.payload).endpoints == nil, "a reader is never a candidate for promotion")
        #expect(rules.counters.readerWritesRefused == 3 && rules.counters.messagesRefused == 7)
    }

    @Test("messages out: uncovered documents never leave; welcomes and heartbeats are cut to what each child may see")
    func outbound() throws {
        var rules = try host()
        let reader = try issue("kiosk", .reader, documents: ["pub*"], key: 2)
        let member = try issue("alice", key: 3)
        _ = admit(reader, to: &rules)
        _ = admit(member, to: &rules)
        let kiosk = ReplicaID(deterministicFrom: "kiosk"), alice = ReplicaID(deterministicFrom: "alice"), me = ReplicaID(deterministicFrom: "host")
        _ = rules.subscription(Topic.node(kiosk).bytes, subscribed: true, from: reader.nodeKey)
        _ = rules.subscription(Topic.node(alice).bytes, subscribed: true, from: member.nodeKey)

        let reply = message(.syncReply, topic: .node(kiosk), sender: me, payload: SyncRequestPayload.named("secret"))
        #expect(rules.outbound(reply, children: [kiosk, alice]).isEmpty)
        let welcome = Welcome(rank: 1, root: me, depth: 1, grandparent: nil, siblings: [], documents: ["pub1", "secret"])
        let sent = rules.outbound(message(.welcome, topic: .node(kiosk), sender: me, payload: welcome.encoded), children: [kiosk])
        #expect(try sent.map { try Welcome(decoding: $0.payload).documents } == [["pub1"]])

        let digests = ["pub1", "secret"].map { DocumentDigest(document: $0, digest: 1, operations: 1) }
        let beat = message(.heartbeat, topic: .tree, sender: me, payload: Heartbeat(root: me, depth: 0, digests: digests).encoded)
        #expect(rules.outbound(beat, children: [alice]) == [beat], "children who may see everything share one heartbeat")
        let split = rules.outbound(beat, children: [kiosk, alice])
        #expect(split.map(\.topic) == [.tree, .node(kiosk)], "the tree copy reaches only subscribers covering everything")
        #expect(try split.map { try Heartbeat(decoding: $0.payload).digests.map(\.document) } == [["pub1", "secret"], ["pub1"]])
        let leave = message(.leave, topic: .tree, sender: me, payload: Leave(successor: nil).encoded)
        #expect(rules.outbound(leave, children: [kiosk, alice]).map(\.topic) == [.tree, .node(kiosk)], "other tree messages too")
        #expect(rules.outbound(message(.delta, topic: .document("pub1"), sender: me), children: [kiosk]).count == 1)
        // Fail closed: a child bound to no certificate sees no document; a browser behind this
        // node's gateway sees what this node's certificate covers.
        let unbound = ReplicaID(deterministicFrom: "unbound"), browser = ReplicaID(deterministicFrom: "browser")
        let perChild = rules.outbound(beat, children: [unbound, browser, kiosk], isBrowser: { $0 == browser })
        #expect(perChild.map(\.topic) == [.tree, .node(kiosk)], "the browser hears the tree copy (its gateway applies the node's certificate); the unbound child nothing")
        #expect(rules.outbound(message(.syncReply, topic: .node(unbound), sender: me, payload: SyncRequestPayload.named("pub1")), children: [unbound]).isEmpty)
    }

    @Test("a revocation list names fingerprints; anything else is refused with its line")
    func revocationList() throws {
        let certificate = try issue("laptop", key: 5)
        let text = "# revoked\n" + RevocationList.entry(certificate) + "\n"
        #expect(try RevocationList.parse(text, source: "list") == [certificate.fingerprint])
        #expect(Hex.decode(Hex.encode(certificate.fingerprint)) == certificate.fingerprint)
        #expect(throws: CertificateFileError.self) { try RevocationList.parse("revoke = 12", source: "list") }
        #expect(throws: CertificateFileError.self) { try RevocationList.parse("remove = " + Hex.encode(certificate.fingerprint), source: "list") }
    }

    @Test("lobby frames round-trip; hostile bytes are refused, never trap")
    func lobbyFrames() throws {
        let frames: [LobbyFrame] = [.hello(certificate: [1, 2, 3]), .admitted(certificate: []), .refused(.revoked, reason: "revoked at 12:00")]
        for frame in frames { #expect(try LobbyFrame(decoding: frame.encoded) == frame) }
        var random = SplitMix(state: 16)
        for _ in 0..<5_000 {
            let base = frames[Int(random.next() % 3)].encoded
            var bytes = Array(base.prefix(Int(random.next() % UInt64(base.count + 1))))
            if random.next() % 2 == 0, !bytes.isEmpty { bytes[Int(random.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: random.next() | 1) }
            _ = try? LobbyFrame(decoding: bytes)
        }
        #expect(throws: FormatError.self) { try LobbyFrame(decoding: [UInt8](repeating: 0, count: LobbyFrame.maxBytes + 1)) }
    }

    @Test("vectors (docs/vectors/lobby.json): a certificate, its fingerprint and the lobby frames, byte for byte")
    func vectors() throws {
        let authority = try #require(CertificateAuthority(seed: [UInt8](repeating: 1, count: 32)))
        let issued = try authority.issue(nodeKey: [UInt8](repeating: 2, count: 32), role: .reader, name: "kiosk", documents: [try #require(DocumentPattern("pub*"))], issued: 1_700_000_000, expires: nil)
        let built: [VectorTests.Vector] = [
            .init(name: "certificate", note: "a reader of pub*, signed by the authority whose Ed25519 seed is 32 bytes of 0x01", frames: [issued.encoded]),
            .init(name: "hello", note: "to the lobby: the asking node's certificate", frames: [LobbyFrame.hello(certificate: issued.encoded).encoded]),
            .init(name: "admitted", note: "from the lobby: the host's certificate (here the same one)", frames: [LobbyFrame.admitted(certificate: issued.encoded).encoded]),
            .init(name: "refused", note: "from the lobby: revoked", frames: [LobbyFrame.refused(.revoked, reason: "certificate of kiosk is revoked").encoded]),
        ]
        let stored = try VectorTests.check("lobby.json", title: "Certificates and lobby frames (docs/protocol.md §24, docs/security.md): one frame each", built) { frames in
            if frames[0].starts(with: NodeCertificate.magic) {
                let certificate = try NodeCertificate(decoding: frames[0])
                return ["name": certificate.name, "role": certificate.role.description, "documents": certificate.documents.map(\.text),
                        "issued": "\(certificate.issued)", "expires": NSNull(), "nodeKey": VectorTests.hex(certificate.nodeKey),
                        "authority": VectorTests.hex(certificate.authority), "fingerprint": Hex.encode(certificate.fingerprint)]
            }
            switch try LobbyFrame(decoding: frames[0]) {
            case .hello(let certificate): return ["hello": VectorTests.hex(certificate)]
            case .admitted(let certificate): return ["admitted": VectorTests.hex(certificate)]
            case .refused(let reason, let text): return ["refused": "\(reason)", "reason": text]
            }
        }
        #expect(stored.count == built.count)
        for (vector, entry) in zip(built, stored) {
            let bytes = VectorTests.bytes((entry["frames"] as? [String])?.first ?? "")
            // Ed25519 signatures are deterministic (RFC 8032): the same inputs give the same bytes.
            #expect(bytes == vector.frames[0], "\(vector.name)")
        }
        let certificate = try NodeCertificate(decoding: VectorTests.bytes((stored.first?["frames"] as? [String])?.first ?? ""))
        try certificate.verify(trusting: [authority.publicKey], now: 1_800_000_000)
        #expect((stored.first?["meaning"] as? [String: Any])?["fingerprint"] as? String == Hex.encode(certificate.fingerprint))
    }

    @Test("lobby addresses follow the host's ports and paths")
    func addresses() {
        #expect(LobbyAddress.ofHost(publish: "tcp://127.0.0.1:7000") == "tcp://127.0.0.1:7002")
        #expect(LobbyAddress.ofHost(pull: "tcp://127.0.0.1:7001") == "tcp://127.0.0.1:7002")
        #expect(LobbyAddress.ofHost(publish: "ipc:///tmp/a") == "ipc:///tmp/a.lobby")
        #expect(LobbyAddress.ofHost(pull: "ipc:///tmp/a.pull") == "ipc:///tmp/a.lobby")
        #expect(LobbyAddress.ofAdmin("tcp://127.0.0.1:7900") == "tcp://127.0.0.1:7901")
        #expect(LobbyAddress.ofHost(publish: "tcp://127.0.0.1:*") == nil)
        #expect(LobbyAddress.ofHost(publish: "tcp://127.0.0.1:65534") == nil)
    }
}

/// A directed sync message's payload starts with its document's name.
enum SyncRequestPayload {
    static func named(_ document: String) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(string: document)
        return writer.bytes
    }
}
