import Foundation
import Testing
@testable import ZeroMQ

@Suite("Sockets: endpoints, frames, options", .timeLimit(.minutes(1)))
struct SocketBasicsTests {
    @Test("PUSH/PULL delivers frames in order", arguments: Transport.allCases)
    func pushPull(transport: Transport) throws {
        let context = try Context()
        let pull = try Socket(.pull, context: context)
        let address = try pull.bindFresh(transport)
        let push = try Socket(.push, context: context)
        try push.connect(address)
        for i in 0..<100 { try push.send(bytes("message \(i)")) }
        for i in 0..<100 {
            let frame = try #require(try pull.receive(timeout: .seconds(5)))
            #expect(String(decoding: frame, as: UTF8.self) == "message \(i)")
        }
    }

    @Test("binding a wildcard TCP port yields the real port in lastEndpoint")
    func wildcardPort() throws {
        let context = try Context()
        let socket = try Socket(.pull, context: context)
        try socket.bind("tcp://127.0.0.1:*")
        let endpoint = try socket.lastEndpoint
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let port = try #require(Int(endpoint.split(separator: ":").last ?? ""))
        #expect(port > 0 && port < 65536)
        try socket.unbind(endpoint)
        // Unbinding an endpoint that is not bound reports ENOENT.
        #expect(throws: ZMQError.self) { try socket.unbind(endpoint) }
    }

    @Test("multipart messages arrive whole, empty frames included", arguments: Transport.allCases)
    func multipart(transport: Transport) throws {
        let context = try Context()
        let pull = try Socket(.pull, context: context)
        let push = try Socket(.push, context: context)
        try push.connect(try pull.bindFresh(transport))
        let message: [[UInt8]] = [bytes("topic"), [], [0, 1, 2, 255], Array(repeating: 7, count: 70_000)]
        try push.send(message: message)
        try push.send(message: [bytes("second")])
        #expect(try pull.receiveMessage(timeout: .seconds(5)) == message)
        #expect(try pull.receiveMessage(timeout: .seconds(5)) == [bytes("second")])
    }

    @Test("a received message is lent: one frame in place, several copied out; the limit still holds", arguments: Transport.allCases)
    func lentMessages(transport: Transport) throws {
        let context = try Context()
        let pull = try Socket(.pull, context: context)
        pull.maximumMessageBytes = 100_000
        let push = try Socket(.push, context: context)
        try push.connect(try pull.bindFresh(transport))
        let multipart: [[UInt8]] = [bytes("topic"), [], Array(repeating: 7, count: 70_000)]
        try push.send(message: [Array(repeating: 3, count: 70_000)])
        try push.send(message: multipart)
        try push.send(message: [[]])
        try push.send(message: [Array(repeating: 1, count: 100_001)])
        try push.send(message: [bytes("ok")])
        /// What each message was lent as, with its bytes copied out for the checks.
        func next() throws -> (single: Bool, frames: [[UInt8]]) {
            _ = try #require(try pull.poll(.readable, timeout: .seconds(5)).contains(.readable))
            var peer: Socket.Peer?
            return try pull.withReceivedMessage(.dontWait, peer: &peer) { received in
                switch received {
                case .single(let frame): (true, [[UInt8](frame)])
                case .multipart(let frames): (false, frames)
                }
            }
        }
        let first = try next(), second = try next(), empty = try next()
        #expect(first.single && first.frames == [Array(repeating: 3, count: 70_000)])
        #expect(!second.single && second.frames == multipart)
        #expect(empty.single && empty.frames == [[]])
        let error = #expect(throws: ZMQError.self) { try next() }
        #expect(error?.code == .messageTooLarge)
        let last = try next()
        #expect(last.single && last.frames == [bytes("ok")])
    }

    @Test("a 16 MiB frame arrives whole, copied and zero-copy", arguments: [Transport.inproc, .tcp])
    func largeFrame(transport: Transport) throws {
        let context = try Context()
        let pull = try Socket(.pull, context: context)
        let push = try Socket(.push, context: context)
        try push.connect(try pull.bindFresh(transport))
        var payload = [UInt8](repeating: 0, count: 16 << 20)
        for i in stride(from: 0, to: payload.count, by: 4093) { payload[i] = UInt8(truncatingIfNeeded: i / 4093) }
        try push.send(payload)
        try push.send(zeroCopy: payload)
        let first = try #require(try pull.receive(timeout: .seconds(20)))
        let second = try #require(try pull.receive(timeout: .seconds(20)))
        #expect(first.count == payload.count && first == payload)
        #expect(second.count == payload.count && second == payload)
        // The zero-copy path handed the same storage to libzmq; the caller's array is untouched.
        #expect(payload[4093] == 1)
    }

    @Test("a message over the receive limit is drained and reported; the next one arrives")
    func oversizedMessageIsDrained() throws {
        let context = try Context()
        let pull = try Socket(.pull, context: context)
        pull.maximumMessageBytes = 1000
        pull.maximumFrames = 3
        let push = try Socket(.push, context: context)
        try push.connect(try pull.bindFresh(.inproc))
        try push.send(message: [Array(repeating: 1, count: 600), Array(repeating: 2, count: 600)])
        try push.send(message: [[1], [2], [3], [4]])
        try push.send(message: [bytes("ok")])
        for _ in 0..<2 {
            _ = try #require(try pull.poll(.readable, timeout: .seconds(5)).contains(.readable))
            let error = #expect(throws: ZMQError.self) { try pull.receiveMessage(.dontWait) }
            #expect(error?.code == .messageTooLarge)
        }
        #expect(try pull.receiveMessage(timeout: .seconds(5)) == [bytes("ok")])
    }

    @Test("non-blocking calls report EAGAIN instead of waiting")
    func nonBlocking() throws {
        let context = try Context()
        let pull = try Socket(.pull, context: context)
        _ = try pull.bindFresh(.inproc)
        let receiveError = #expect(throws: ZMQError.self) { try pull.receive(.dontWait) }
        #expect(receiveError?.isWouldBlock == true)
        // A PUSH with no peer has nowhere to queue: a non-blocking send would block.
        let push = try Socket(.push, context: context)
        let sendError = #expect(throws: ZMQError.self) { try push.send(bytes("x"), flags: .dontWait) }
        #expect(sendError?.code == .wouldBlock)
        #expect(sendError?.isTerminated == false)
    }

    @Test("receive timeouts: per call and through ZMQ_RCVTIMEO")
    func receiveTimeouts() throws {
        let context = try Context()
        let pull = try Socket(.pull, context: context)
        _ = try pull.bindFresh(.inproc)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try pull.receive(timeout: .milliseconds(50)) == nil)
        #expect(try pull.receiveMessage(timeout: .milliseconds(50)) == nil)
        #expect(clock.now - start >= .milliseconds(100))
        try pull.setOption(.receiveTimeout, .milliseconds(30))
        #expect(try pull.option(.receiveTimeout) == .milliseconds(30))
        let error = #expect(throws: ZMQError.self) { try pull.receive() }
        #expect(error?.isWouldBlock == true)
    }

    @Test("options round-trip through libzmq")
    func options() throws {
        let context = try Context()
        let socket = try Socket(.dealer, context: context)
        try socket.setOption(.sendHighWaterMark, 123)
        try socket.setOption(.receiveHighWaterMark, 456)
        try socket.setOption(.linger, .milliseconds(10))
        try socket.setOption(.reconnectInterval, .milliseconds(50))
        try socket.setOption(.reconnectIntervalMax, .milliseconds(800))
        try socket.setOption(.maximumMessageSize, 1 << 20)
        try socket.setOption(.heartbeatInterval, .milliseconds(250))
        try socket.setOption(.heartbeatTimeout, .milliseconds(750))
        try socket.setOption(.immediate, true)
        try socket.setOption(.tcpKeepalive, 1)
        try socket.setOption(.routingID, bytes("node-7"))
        #expect(try socket.option(.sendHighWaterMark) == 123)
        #expect(try socket.option(.receiveHighWaterMark) == 456)
        #expect(try socket.option(.linger) == .milliseconds(10))
        #expect(try socket.option(.reconnectInterval) == .milliseconds(50))
        #expect(try socket.option(.reconnectIntervalMax) == .milliseconds(800))
        #expect(try socket.option(.maximumMessageSize) == 1 << 20)
        #expect(try socket.option(.heartbeatInterval) == .milliseconds(250))
        #expect(try socket.option(.heartbeatTimeout) == .milliseconds(750))
        #expect(try socket.option(.immediate) == true)
        #expect(try socket.option(.tcpKeepalive) == 1)
        #expect(try socket.option(.routingID) == bytes("node-7"))
        // Sockets start with the context's bounded linger, never libzmq's infinite default.
        let fresh = try Socket(.push, context: context)
        #expect(try fresh.option(.linger) == .milliseconds(200))
    }

    @Test("errors carry errno, libzmq's text and the failing call")
    func typedErrors() throws {
        let context = try Context()
        let first = try Socket(.pull, context: context)
        try first.bind("tcp://127.0.0.1:*")
        let taken = try first.lastEndpoint
        let second = try Socket(.pull, context: context)
        let inUse = #expect(throws: ZMQError.self) { try second.bind(taken) }
        #expect(inUse?.code == .addressInUse)
        #expect(inUse?.operation.contains(taken) == true)
        #expect(inUse?.description.contains("Address already in use") == true)
        let badTransport = #expect(throws: ZMQError.self) { try second.bind("carrier-pigeon://nowhere") }
        #expect(badTransport?.code == .protocolNotSupported)
        let badSyntax = #expect(throws: ZMQError.self) { try second.connect("tcp://") }
        #expect(badSyntax?.code == .invalidArgument)
        second.close()
        let closed = #expect(throws: ZMQError.self) { try second.send(bytes("x")) }
        #expect(closed?.code == .notSupported)
        #expect(second.isOpen == false)
    }

    @Test("version and capabilities")
    func versionAndCapabilities() {
        #expect(LibZMQ.version.major == 4)
        #expect(LibZMQ.versionString.split(separator: ".").count == 3)
        #expect(LibZMQ.has("ipc"))
        #expect(LibZMQ.has("curve"), "Debian's libzmq3-dev is built with CURVE")
        #expect(!LibZMQ.has("no-such-capability"))
    }
}
