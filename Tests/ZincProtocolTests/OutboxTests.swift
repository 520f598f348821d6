import Testing
@testable import ZincProtocol

@Suite("Outbox")
struct OutboxTests {
    /// A socket that takes `room` messages, then would block.
    final class Socket {
        var room: Int
        var sent: [[[UInt8]]] = []
        var failing = false
        init(room: Int) { self.room = room }
        func send(_ frames: [[UInt8]]) -> SendOutcome {
            if failing { return .failed }
            guard room > 0 else { return .wouldBlock }
            room -= 1
            sent.append(frames)
            return .sent
        }
    }

    func message(_ value: UInt8) -> [[UInt8]] { [[value]] }

    @Test("sends at once while there is room, parks in order after, flushes oldest first")
    func parksInOrder() {
        let socket = Socket(room: 1)
        var outbox = Outbox(limit: 10)
        var accepted: [Bool] = []
        for value in 0..<4 { accepted.append(outbox.send(message(UInt8(value)), socket.send)) }
        #expect(accepted == [true, true, true, true])
        #expect(socket.sent == [message(0)] && outbox.count == 3 && outbox.parked == 3)
        // Parked messages go first: a new one must not overtake them.
        socket.room = 1
        let fifth = outbox.send(message(4), socket.send)
        #expect(fifth)
        #expect(socket.sent == [message(0)] && outbox.count == 4)
        socket.room = 10
        let flushed = outbox.flush(socket.send)
        #expect(flushed == 4)
        #expect(socket.sent == (0..<5).map { message(UInt8($0)) } && outbox.isEmpty)
    }

    @Test("past its limit the oldest are dropped and counted; failures and clears count too")
    func dropsOldest() {
        let socket = Socket(room: 0)
        var outbox = Outbox(limit: 2)
        let accepted = [outbox.send(message(0), socket.send), outbox.send(message(1), socket.send), outbox.send(message(2), socket.send)]
        #expect(accepted == [true, true, false], "the third pushes the first out")
        #expect(outbox.dropped == 1)
        socket.room = 10
        outbox.flush(socket.send)
        #expect(socket.sent == [message(1), message(2)])
        socket.failing = true
        let failed = outbox.send(message(3), socket.send)
        #expect(!failed)
        #expect(outbox.dropped == 2 && outbox.isEmpty)
        socket.failing = false
        socket.room = 0
        _ = outbox.send(message(4), socket.send)
        outbox.clear()
        #expect(outbox.dropped == 3 && outbox.isEmpty)
    }

    @Test("a packed frame counts as the messages it holds: in the limit, in what is parked, sent and dropped")
    func packedFramesCountTheirMessages() {
        let socket = Socket(room: 0)
        var outbox = Outbox(limit: 5)
        let kept = [outbox.send(message(0), messages: 3, socket.send), outbox.send(message(1), messages: 2, socket.send)]
        #expect(kept == [true, true])
        #expect(outbox.count == 5 && outbox.parked == 5)
        let overflowed = outbox.send(message(2), messages: 1, socket.send)
        #expect(!overflowed, "six messages over a limit of five drop the oldest frame, all three of its messages")
        #expect(outbox.count == 3 && outbox.dropped == 3)
        socket.room = 10
        let flushed = outbox.flush(socket.send)
        #expect(flushed == 3)
        #expect(socket.sent == [message(1), message(2)] && outbox.count == 0)
        socket.room = 0
        _ = outbox.send(message(3), messages: 4, socket.send)
        outbox.clear()
        #expect(outbox.dropped == 7 && outbox.count == 0)
        socket.failing = true
        _ = outbox.send(message(4), messages: 2, socket.send)
        #expect(outbox.dropped == 9)
    }
}
