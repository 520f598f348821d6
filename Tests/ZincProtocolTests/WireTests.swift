import Testing
@testable import ZincCore
@testable import ZincProtocol

@Suite("Wire format")
struct WireTests {
    let a = ReplicaID(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10)
    let b = ReplicaID(high: 0x1112_1314_1516_1718, low: 0x191A_1B1C_1D1E_1F20)

    @Test("the header is 56 big-endian bytes laid out as docs/protocol.md says")
    func headerBytes() throws {
        let header = MessageHeader(type: .delta, flags: 0, origin: a, sender: b, lamport: 0x0102, term: 3, payloadLength: 0x0A0B)
        let bytes = header.encoded
        #expect(bytes.count == 56)
        #expect(Array(bytes[0..<4]) == [0x5A, 0x01, 0x01, 0x00])
        #expect(Array(bytes[4..<20]) == a.bytes)
        #expect(Array(bytes[20..<36]) == b.bytes)
        #expect(Array(bytes[36..<44]) == [0, 0, 0, 0, 0, 0, 0x01, 0x02])
        #expect(Array(bytes[44..<52]) == [0, 0, 0, 0, 0, 0, 0, 3])
        #expect(Array(bytes[52..<56]) == [0, 0, 0x0A, 0x0B])
        #expect(try MessageHeader(decoding: bytes) == header)
        var wrongMagic = bytes
        wrongMagic[0] = 0x58
        #expect(throws: FormatError.self) { try MessageHeader(decoding: wrongMagic) }
        var futureVersion = bytes
        futureVersion[1] = 2
        let error = #expect(throws: FormatError.self) { try MessageHeader(decoding: futureVersion) }
        #expect(error?.reason == .unsupportedVersion)
    }

    @Test("a held version is the version vector alone (the example in docs/protocol.md §5.14)")
    func heldBytes() throws {
        let replica = ReplicaID(high: 0x0011_2233_4455_6677, low: 0x8899_AABB_CCDD_EEFF)
        let bytes: [UInt8] = [0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x05]
        #expect(HeldVersion(version: VersionVector([replica: 5])).encoded == bytes)
        #expect(try HeldVersion(decoding: bytes).version == VersionVector([replica: 5]))
        #expect(throws: FormatError.self) { try HeldVersion(decoding: bytes + [0]) }
        #expect(MessageType(rawValue: 14) == .held)
    }

    @Test("topics are SUB prefixes that cannot collide")
    func topics() throws {
        #expect(Topic.document("notes").bytes == [0x44] + Array("notes".utf8) + [0])
        #expect(!Topic.document("notes-2").bytes.starts(with: Topic.document("notes").bytes))
        #expect(Topic.node(a).bytes == [0x4E] + a.bytes)
        #expect(Topic.tree.bytes == [0x54])
        for topic in [Topic.document("d"), .node(a), .tree, .application("jobs")] {
            #expect(try Topic(decoding: topic.bytes) == topic)
        }
        #expect(throws: FormatError.self) { try Topic(decoding: [0x44] + Array("x".utf8)) }
        #expect(throws: FormatError.self) { try Topic(decoding: [0x44, 0xFF, 0]) }
        #expect(!Topic.isValidName("") && !Topic.isValidName("a\u{0}b") && !Topic.isValidName(String(repeating: "x", count: 256)))
    }

    @Test("frames must agree with the header; oversized payloads are refused")
    func frames() throws {
        let message = WireMessage(topic: .document("d"), header: MessageHeader(type: .delta, origin: a, sender: b, lamport: 1, term: 0), payload: [1, 2, 3])
        #expect(try WireMessage(frames: message.frames, maxPayload: 10) == message)
        var frames = message.frames
        frames[2] = [1, 2]
        #expect(throws: FormatError.self) { try WireMessage(frames: frames, maxPayload: 10) }
        #expect(throws: FormatError.self) { try WireMessage(frames: Array(message.frames.prefix(2)), maxPayload: 10) }
        let big = WireMessage(topic: .tree, header: MessageHeader(type: .heartbeat, origin: a, sender: a, lamport: 0, term: 0), payload: Array(repeating: 0, count: 100))
        let error = #expect(throws: FormatError.self) { try WireMessage(frames: big.frames, maxPayload: 99) }
        #expect(error?.reason == .limitExceeded)
    }

    static func samplePayloads(_ a: ReplicaID, _ b: ReplicaID) -> [[UInt8]] {
        let endpoints = Endpoints(publish: "tcp://127.0.0.1:7000", pull: "tcp://127.0.0.1:7001")
        var version = VersionVector()
        version[a] = 5
        version[b] = 9
        return [
            Beacon(node: a, endpoints: endpoints, root: b, term: 2, depth: 1, path: [b]).encoded,
            JoinRequest(endpoints: endpoints, interest: .documents(["x", "y"]), subtreeSize: 3, afterFailover: true).encoded,
            Welcome(rank: 4, root: b, depth: 2, grandparent: endpoints, siblings: [ChildEntry(id: a, endpoints: endpoints, rank: 4)], documents: ["x"], path: [b, a]).encoded,
            Redirect(target: a, endpoints: endpoints).encoded,
            Heartbeat(root: b, depth: 1, grandparent: nil, children: [ChildEntry(id: a, endpoints: nil, rank: 0)], subtreeSize: 2, digests: [DocumentDigest(document: "x", digest: 42, operations: 7)], path: [b]).encoded,
            SyncRequest(document: "x", version: version).encoded,
            SyncReply(document: "x", version: version, fragment: [1, 2, 3], transferFollows: true).encoded,
            TransferChunk(transfer: 7, document: "x", index: 1, count: 3, kind: .snapshot, totalSize: 1000, covering: version, bytes: [9, 9]).encoded,
            TransferAck(transfer: 7, document: "x", next: 2).encoded,
            ApplicationMessage(channel: "jobs", routing: .node(a), sequence: 11, hops: 2, body: [1]).encoded,
            Leave(successor: ChildEntry(id: a, endpoints: endpoints, rank: 1)).encoded,
            MergeInvitation(root: b, endpoints: endpoints, term: 3).encoded,
            HeldVersion(version: version).encoded,
        ]
    }

    @Test("every payload round-trips and throws at every truncation")
    func payloads() throws {
        let decoders: [([UInt8]) throws -> Any] = [
            { try Beacon(decoding: $0) }, { try JoinRequest(decoding: $0) }, { try Welcome(decoding: $0) },
            { try Redirect(decoding: $0) }, { try Heartbeat(decoding: $0) }, { try SyncRequest(decoding: $0) },
            { try SyncReply(decoding: $0) }, { try TransferChunk(decoding: $0) }, { try TransferAck(decoding: $0) },
            { try ApplicationMessage(decoding: $0) }, { try Leave(decoding: $0) }, { try MergeInvitation(decoding: $0) },
            { try HeldVersion(decoding: $0) },
        ]
        let samples = Self.samplePayloads(a, b)
        for (bytes, decode) in zip(samples, decoders) {
            let decoded = try decode(bytes)
            #expect((decoded as? any WirePayload)?.encoded == bytes)
            for length in 0..<bytes.count {
                #expect(throws: FormatError.self) { _ = try decode(Array(bytes[0..<length])) }
            }
        }
    }

    @Test("garbled payloads throw or decode; they never trap")
    func garbage() {
        var random = SplitMix(state: 77)
        let samples = Self.samplePayloads(a, b)
        for _ in 0..<20_000 {
            var bytes = samples[Int(random.next() % UInt64(samples.count))]
            let flips = 1 + Int(random.next() % 3)
            for _ in 0..<flips where !bytes.isEmpty {
                bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
            }
            _ = try? Beacon(decoding: bytes)
            _ = try? Welcome(decoding: bytes)
            _ = try? Heartbeat(decoding: bytes)
            _ = try? TransferChunk(decoding: bytes)
            _ = try? ApplicationMessage(decoding: bytes)
            _ = try? WireMessage(frames: [bytes, bytes, bytes], maxPayload: 1 << 20)
        }
    }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
