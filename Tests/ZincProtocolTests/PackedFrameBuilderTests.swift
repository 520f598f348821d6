import Testing
import ZincCore
@testable import ZincProtocol

/// How a batching shell packs what it sends on one socket (docs/protocol.md §4).
@Suite("Packed frame builder")
struct PackedFrameBuilderTests {
    static let topics: [Topic] = [.document("notes"), .document("wiki"), .tree, .node(ReplicaID(deterministicFrom: "child")), .application("chat")]

    static func message(_ topic: Topic, _ size: Int, lamport: UInt64) -> WireMessage {
        let author = ReplicaID(deterministicFrom: "author")
        return WireMessage(topic: topic, header: MessageHeader(type: .delta, origin: author, sender: author, lamport: lamport, term: 1),
                           payload: [UInt8](repeating: UInt8(truncatingIfNeeded: lamport), count: size))
    }

    /// Feeds `messages` in order, as a socket's shell would, and finishes at the end.
    static func pack(_ messages: [WireMessage], limit: Int) -> [PackedFrameBuilder.Packed] {
        var builder = PackedFrameBuilder(limit: limit)
        var frames = messages.compactMap { builder.append($0) }
        if let last = builder.finish() { frames.append(last) }
        let leftover = builder.finish()
        #expect(builder.isEmpty && leftover == nil)
        return frames
    }

    @Test("a run of one topic is one frame; another topic finishes it first, so the socket keeps the order")
    func runsOfOneTopic() throws {
        let notes = Topic.document("notes")
        let sent = [Self.message(notes, 10, lamport: 1), Self.message(notes, 0, lamport: 2), Self.message(notes, 5, lamport: 3),
                    Self.message(.tree, 8, lamport: 4), Self.message(notes, 1, lamport: 5), Self.message(notes, 2, lamport: 6)]
        let frames = Self.pack(sent, limit: PackedFrameBuilder.defaultLimit)
        #expect(frames.map(\.messages) == [3, 1, 2])
        #expect(frames[0].frame == WireMessage.packed(Array(sent[0..<3])))
        #expect(frames[1].frame == WireMessage.packed([sent[3]]))
        #expect(try frames.flatMap { try WireMessage.unpacking($0.frame, maxPayload: 1 << 20) } == sent)
    }

    @Test("a frame leaves before a message would take it past the limit; a message larger than the limit leaves alone")
    func limit() throws {
        let notes = Topic.document("notes")
        let topicBytes = notes.bytes.count
        let limit = topicBytes + 2 * (MessageHeader.size + 100)
        let sent = (0..<5).map { Self.message(notes, 100, lamport: UInt64($0)) } + [Self.message(notes, 1000, lamport: 9), Self.message(notes, 100, lamport: 10)]
        let frames = Self.pack(sent, limit: limit)
        #expect(frames.map(\.messages) == [2, 2, 1, 1, 1])
        #expect(frames.map(\.frame.count) == [limit, limit, topicBytes + MessageHeader.size + 100, topicBytes + MessageHeader.size + 1000, topicBytes + MessageHeader.size + 100])
        #expect(try frames.flatMap { try WireMessage.unpacking($0.frame, maxPayload: 1 << 20) } == sent)
    }

    @Test("randomised: every message once and in order, one topic per frame, within the limit unless alone, no two neighbours that would have fitted together")
    func randomised() throws {
        for seed in UInt64(1)...300 {
            var random = SplitMix(state: seed)
            let limit = Int.random(in: 64...4096, using: &random)
            let sent = (0..<Int.random(in: 0...80, using: &random)).map { index in
                Self.message(Self.topics[Int.random(in: 0..<(Int.random(in: 0...3, using: &random) == 0 ? 5 : 2), using: &random)],
                             Int.random(in: 0...600, using: &random), lamport: UInt64(index))
            }
            let frames = Self.pack(sent, limit: limit)
            let unpacked = try frames.map { try WireMessage.unpacking($0.frame, maxPayload: 1 << 20) }
            #expect(unpacked.flatMap { $0 } == sent, "seed \(seed)")
            #expect(frames.map(\.messages) == unpacked.map(\.count), "seed \(seed)")
            #expect(frames.allSatisfy { $0.frame.count <= limit || $0.messages == 1 }, "seed \(seed)")
            for (first, second) in zip(unpacked, unpacked.dropFirst()) where first[0].topic == second[0].topic {
                let joined = WireMessage.packed(first + [second[0]]).count
                #expect(joined > limit, "seed \(seed): a frame of \(first.count) left with room for the next message")
            }
        }
    }
}
