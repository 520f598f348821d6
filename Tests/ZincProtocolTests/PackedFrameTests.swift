import Testing
import ZincCore
@testable import ZincProtocol

/// Several messages of one topic in one frame (docs/protocol.md §4).
@Suite("Packed frames")
struct PackedFrameTests {
    static let author = ReplicaID(deterministicFrom: "packer")

    static func message(_ payload: [UInt8], _ topic: Topic = .document("notes"), type: MessageType = .delta) -> WireMessage {
        WireMessage(topic: topic, header: MessageHeader(type: type, origin: author, sender: author, lamport: UInt64(payload.count), term: 3), payload: payload)
    }

    static let messages = [message([]), message([1, 2, 3, 4, 5]), message([UInt8](repeating: 0xAB, count: 300))]

    @Test("a packed frame is the topic once, then each message's header and payload; it unpacks to the same messages, on every topic kind")
    func roundTrip() throws {
        let frame = WireMessage.packed(Self.messages)
        #expect(frame == Topic.document("notes").bytes + Self.messages.flatMap { $0.frames[1] + $0.frames[2] })
        #expect(try WireMessage.unpacking(frame, maxPayload: 1024) == Self.messages)
        #expect(try Inbound.decodingAll(frames: [frame], via: .puller, maxPayload: 1024) == Self.messages.map { .message($0) })
        for topic in [Topic.node(Self.author), .tree, .application("chat")] {
            let batch = [Self.message([9], topic, type: .application), Self.message([8, 7], topic, type: .application)]
            #expect(try WireMessage.unpacking(WireMessage.packed(batch), maxPayload: 1024) == batch, "\(topic)")
        }
    }

    @Test("three frames and a beacon decode as before")
    func otherFormsUnchanged() throws {
        let message = Self.messages[1]
        #expect(try Inbound.decodingAll(frames: message.frames, via: .puller, maxPayload: 1024) == [.message(message)])
        let beacon = Beacon(node: Self.author, endpoints: Endpoints(publish: "tcp://127.0.0.1:7000", pull: "tcp://127.0.0.1:7001"), root: Self.author, term: 0, depth: 0, path: [])
        #expect(try Inbound.decodingAll(frames: [beacon.frame], via: .subscriber, maxPayload: 1024) == [.beacon(beacon)])
    }

    @Test("any fault rejects the whole frame: a short or damaged header, a payload past the end or over the limit, trailing bytes, no message, a topic that starts none")
    func faultsRejectTheWholeFrame() {
        let good = WireMessage.packed(Self.messages)
        var damaged = good
        let secondHeader = Topic.document("notes").bytes.count + MessageHeader.size
        damaged[secondHeader] = 0x00  // the second message's magic
        let cases: [(String, [UInt8])] = [
            ("the last payload cut short", Array(good.dropLast())),
            ("bytes after the last payload", good + [0x5A, 1, 1]),
            ("the second header damaged", damaged),
            ("a topic and nothing else", Topic.document("notes").bytes),
            ("a tree topic and nothing else", Topic.tree.bytes),
            ("a name never terminated", [0x44] + [UInt8](repeating: 0x61, count: 300) + good.dropFirst(7)),
            ("a node topic cut short", [0x4E, 1, 2, 3]),
            ("an unknown topic kind", [0x51] + good.dropFirst(7)),
        ]
        for (name, frame) in cases {
            #expect(throws: FormatError.self, "\(name)") { try WireMessage.unpacking(frame, maxPayload: 1024) }
            #expect(throws: InboundError.self, "\(name)") { try Inbound.decodingAll(frames: [frame], via: .puller, maxPayload: 1024) }
        }
        #expect(throws: FormatError.self, "a payload over the limit") { try WireMessage.unpacking(good, maxPayload: 299) }
    }
}
