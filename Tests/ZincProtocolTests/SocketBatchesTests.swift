import Testing
@testable import ZincCore
@testable import ZincProtocol

/// ``SocketBatches``: where a batching shell may pack (``Packing``), and what it sends when.
@Suite("Socket batches")
struct SocketBatchesTests {
    let node = ReplicaID(deterministicFrom: "batcher")

    func message(_ index: Int, topic: Topic = .application("jobs")) -> WireMessage {
        WireMessage(topic: topic, header: MessageHeader(type: .application, origin: node, sender: node, lamport: 0, term: 0), payload: [UInt8(index)])
    }

    func unpacked(_ packed: PackedFrameBuilder.Packed?) throws -> [WireMessage] {
        try WireMessage.unpacking(try #require(packed).frame, maxPayload: 1 << 20)
    }

    @Test("nothing is packed until the node allows it, on either socket")
    func nowhereFirst() {
        var batches = SocketBatches()
        #expect(batches.packing == .nowhere)
        #expect(batches.publish(message(1)) == .alone)
        #expect(batches.push(message(2)) == .alone)
        let finished = batches.finish()
        #expect(finished.publish == nil && finished.push == nil)
    }

    @Test("each socket packs only where allowed; stopping hands back what was held, in order, and sends the rest alone")
    func perSocket() throws {
        var batches = SocketBatches()
        #expect(batches.setPacking(Packing(toChildren: true, toParent: false)) == (nil, nil))
        #expect(batches.publish(message(1)) == .held)
        #expect(batches.publish(message(2)) == .held)
        #expect(batches.push(message(3)) == .alone, "the parent did not say it reads packed frames")
        let stopped = batches.setPacking(Packing(toChildren: false, toParent: true))
        #expect(try unpacked(stopped.publish) == [message(1), message(2)])
        #expect(stopped.push == nil)
        #expect(batches.publish(message(4)) == .alone)
        #expect(batches.push(message(5)) == .held)
        let end = batches.finish()
        #expect(end.publish == nil)
        #expect(try unpacked(end.push) == [message(5)])
    }

    @Test("a finished frame is handed back when the topic changes, before the message that changed it")
    func topicChange() throws {
        var batches = SocketBatches()
        _ = batches.setPacking(Packing(toChildren: true, toParent: true))
        #expect(batches.publish(message(1)) == .held)
        guard case .frame(let full) = batches.publish(message(2, topic: .document("notes"))) else {
            Issue.record("the jobs frame should be finished first")
            return
        }
        #expect(try WireMessage.unpacking(full.frame, maxPayload: 1 << 20) == [message(1)])
        #expect(try unpacked(batches.finish().publish) == [message(2, topic: .document("notes"))])
    }
}
