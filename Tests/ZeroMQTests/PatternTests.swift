import Foundation
import Testing
@testable import ZeroMQ

@Suite("Patterns: PUB/SUB filters, ROUTER/DEALER, REQ/REP", .timeLimit(.minutes(1)))
struct PatternTests {
    @Test("SUB receives only what its prefixes match", arguments: Transport.allCases)
    func pubSubPrefixFilter(transport: Transport) throws {
        let context = try Context()
        let publisher = try Socket(.xpub, context: context)
        let address = try publisher.bindFresh(transport)
        let subscriber = try Socket(.sub, context: context)
        try subscriber.connect(address)
        try subscriber.subscribe("doc/a")
        try subscriber.subscribe([0x4E, 0x00])
        // An XPUB sees subscriptions as frames: 0x01 then the prefix. Wait for both.
        let seen = try awaitSubscriptions(publisher, count: 2)
        #expect(Set(seen) == [[1] + bytes("doc/a"), [1, 0x4E, 0x00]])

        try publisher.send(message: [bytes("doc/b"), bytes("not for us")])
        try publisher.send(message: [bytes("doc/a"), bytes("one")])
        try publisher.send(message: [bytes("doc/abc"), bytes("prefix match")])
        try publisher.send(message: [[0x4E, 0x00, 0x01], bytes("directed")])
        try publisher.send(message: [[0x4E, 0x01], bytes("other node")])
        #expect(try subscriber.receiveMessage(timeout: .seconds(5)) == [bytes("doc/a"), bytes("one")])
        #expect(try subscriber.receiveMessage(timeout: .seconds(5)) == [bytes("doc/abc"), bytes("prefix match")])
        #expect(try subscriber.receiveMessage(timeout: .seconds(5)) == [[0x4E, 0x00, 0x01], bytes("directed")])
        #expect(try subscriber.receiveMessage(timeout: .milliseconds(100)) == nil)

        try subscriber.unsubscribe("doc/a")
        #expect(try awaitSubscriptions(publisher, count: 1) == [[0] + bytes("doc/a")])
        try publisher.send(message: [bytes("doc/a"), bytes("after unsubscribe")])
        #expect(try subscriber.receiveMessage(timeout: .milliseconds(100)) == nil)
    }

    @Test("an XPUB welcome message reaches each new subscriber first")
    func welcomeMessage() throws {
        let context = try Context()
        let publisher = try Socket(.xpub, context: context)
        try publisher.setOption(.xpubWelcomeMessage, bytes("W-hello"))
        let address = try publisher.bindFresh(.tcp)
        let subscriber = try Socket(.sub, context: context)
        try subscriber.subscribe("W")
        try subscriber.connect(address)
        // libzmq attaches the new peer (and queues the welcome) when the XPUB's owner next
        // reads or polls it; reading the subscription does both.
        #expect(try awaitSubscriptions(publisher, count: 1) == [[1] + bytes("W")])
        #expect(try subscriber.receive(timeout: .seconds(5)) == bytes("W-hello"))
    }

    @Test("ROUTER addresses DEALERs by routing id; router-mandatory reports unknown peers")
    func routerDealer() throws {
        let context = try Context()
        let router = try Socket(.router, context: context)
        try router.setOption(.routerMandatory, true)
        let address = try router.bindFresh(.tcp)
        var dealers: [Socket] = []
        for name in ["alpha", "beta"] {
            let dealer = try Socket(.dealer, context: context)
            try dealer.setOption(.routingID, bytes(name))
            try dealer.connect(address)
            try dealer.send(bytes("hello from \(name)"))
            dealers.append(dealer)
        }
        var received: [String: String] = [:]
        for _ in 0..<2 {
            let frames = try #require(try router.receiveMessage(timeout: .seconds(5)))
            #expect(frames.count == 2)
            received[String(decoding: frames[0], as: UTF8.self)] = String(decoding: frames[1], as: UTF8.self)
        }
        #expect(received == ["alpha": "hello from alpha", "beta": "hello from beta"])
        try router.send(message: [bytes("beta"), bytes("just for beta")])
        #expect(try dealers[1].receive(timeout: .seconds(5)) == bytes("just for beta"))
        #expect(try dealers[0].receive(timeout: .milliseconds(50)) == nil)
        let error = #expect(throws: ZMQError.self) { try router.send(message: [bytes("gamma"), bytes("?")]) }
        #expect(error?.code == .hostUnreachable)
    }

    @Test("REQ/REP lock-step, and EFSM when it is broken")
    func requestReply() throws {
        let context = try Context()
        let reply = try Socket(.rep, context: context)
        let request = try Socket(.req, context: context)
        try request.connect(try reply.bindFresh(.ipc))
        try request.send(bytes("ping"))
        #expect(try reply.receive(timeout: .seconds(5)) == bytes("ping"))
        try reply.send(bytes("pong"))
        #expect(try request.receive(timeout: .seconds(5)) == bytes("pong"))
        try request.send(bytes("again"))
        let error = #expect(throws: ZMQError.self) { try request.send(bytes("too soon")) }
        #expect(error?.code == .invalidState)
    }

    @Test("PAIR sockets talk both ways")
    func pair() throws {
        let context = try Context()
        let a = try Socket(.pair, context: context)
        let b = try Socket(.pair, context: context)
        try b.connect(try a.bindFresh(.inproc))
        try a.send(bytes("to b"))
        try b.send(bytes("to a"))
        #expect(try b.receive(timeout: .seconds(5)) == bytes("to b"))
        #expect(try a.receive(timeout: .seconds(5)) == bytes("to a"))
    }

    @Test("XSUB/XPUB forward subscriptions upstream")
    func xsubForwardsSubscriptions() throws {
        let context = try Context()
        let publisher = try Socket(.xpub, context: context)
        let upstream = try Socket(.xsub, context: context)
        try upstream.connect(try publisher.bindFresh(.inproc))
        // An XSUB subscribes by sending 0x01 + prefix.
        try upstream.send([1] + bytes("news"))
        #expect(try awaitSubscriptions(publisher, count: 1) == [[1] + bytes("news")])
        try publisher.send(message: [bytes("news"), bytes("flash")])
        try publisher.send(message: [bytes("sport"), bytes("ignored")])
        #expect(try upstream.receiveMessage(timeout: .seconds(5)) == [bytes("news"), bytes("flash")])
        #expect(try upstream.receiveMessage(timeout: .milliseconds(50)) == nil)
    }
}
