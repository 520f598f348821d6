import Foundation
import Testing
@testable import ZeroMQ

@Suite("CURVE, ZAP and monitor events", .timeLimit(.minutes(1)))
struct SecurityTests {
    @Test("Z85 matches RFC 32's test vector and rejects bad input")
    func z85() throws {
        let vector: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(Z85.encode(vector) == "HelloWorld")
        #expect(Z85.decode("HelloWorld") == vector)
        #expect(Z85.encode([1, 2, 3]) == nil)
        #expect(Z85.decode("Hello") != nil)
        #expect(Z85.decode("Hell") == nil)
        #expect(Z85.decode("Hello~orld") == nil)
        #expect(CurveKey(z85: "tooShort") == nil)
        #expect(CurveKey(bytes: [1, 2, 3]) == nil)
    }

    @Test("key pairs: generated, printable, and the public key derivable from the secret")
    func keyPairs() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.bytes.count == 32)
        #expect(pair.publicKey.z85.count == 40)
        #expect(CurveKey(z85: pair.secretKey.z85) == pair.secretKey)
        #expect(try CurveKeyPair(secretKey: pair.secretKey) == pair)
        #expect(try CurveKeyPair.generate() != pair)
    }

    @Test("a CURVE client with the right server key is admitted and its messages arrive")
    func curveSuccess() throws {
        let context = try Context()
        let serverKeys = try CurveKeyPair.generate()
        let clientKeys = try CurveKeyPair.generate()
        let authenticator = try Authenticator(context: context) { request in
            request.clientPublicKey == clientKeys.publicKey ? .allow(userID: "client") : .deny(reason: "unknown key")
        }
        defer { authenticator.stop() }
        let server = try Socket(.pull, context: context)
        try server.makeCurveServer(secretKey: serverKeys.secretKey)
        let address = try server.bindFresh(.tcp)
        let client = try Socket(.push, context: context)
        try client.makeCurveClient(serverKey: serverKeys.publicKey, keyPair: clientKeys)
        let monitor = try SocketMonitor(client)
        try client.connect(address)
        #expect(try monitor.waitFor(.handshakeSucceeded, timeout: .seconds(5)) != nil)
        try client.send(bytes("secret text"))
        #expect(try server.receive(timeout: .seconds(5)) == bytes("secret text"))
        #expect(authenticator.decisions.allowed == 1)
        #expect(authenticator.decisions.denied == 0)
    }

    @Test("a CURVE client with the wrong server key delivers nothing; the monitor sees the failure")
    func curveWrongServerKey() throws {
        let context = try Context()
        let serverKeys = try CurveKeyPair.generate()
        let impostorKeys = try CurveKeyPair.generate()
        let server = try Socket(.pull, context: context)
        try server.makeCurveServer(secretKey: serverKeys.secretKey)
        let serverMonitor = try SocketMonitor(server, events: .handshakeFailed)
        let address = try server.bindFresh(.tcp)
        let client = try Socket(.push, context: context)
        try client.makeCurveClient(serverKey: impostorKeys.publicKey, keyPair: try CurveKeyPair.generate())
        try client.connect(address)
        try client.send(bytes("must not arrive"), flags: .dontWait)
        let failure = try serverMonitor.waitFor(.handshakeFailed, timeout: .seconds(5))
        #expect(failure != nil, "the server's monitor reports the failed handshake")
        #expect(try server.receive(timeout: .milliseconds(300)) == nil)
    }

    @Test("ZAP rejects a client whose key is not on the list")
    func zapRejectsUnknownKey() throws {
        let context = try Context()
        let serverKeys = try CurveKeyPair.generate()
        let known = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let authenticator = try Authenticator(context: context) { request in
            guard request.mechanism == "CURVE", request.address == "127.0.0.1" else {
                return .deny(reason: "unexpected mechanism or address")
            }
            return request.clientPublicKey == known.publicKey ? .allow() : .deny(reason: "unknown key")
        }
        defer { authenticator.stop() }
        let server = try Socket(.pull, context: context)
        try server.makeCurveServer(secretKey: serverKeys.secretKey)
        let address = try server.bindFresh(.tcp)

        let strangerSocket = try Socket(.push, context: context)
        try strangerSocket.makeCurveClient(serverKey: serverKeys.publicKey, keyPair: stranger)
        let strangerMonitor = try SocketMonitor(strangerSocket)
        try strangerSocket.connect(address)
        try strangerSocket.send(bytes("from stranger"), flags: .dontWait)
        let rejected = try strangerMonitor.waitFor(.handshakeFailed, timeout: .seconds(5))
        #expect(rejected?.kind == .handshakeFailedAuth)

        let knownSocket = try Socket(.push, context: context)
        try knownSocket.makeCurveClient(serverKey: serverKeys.publicKey, keyPair: known)
        try knownSocket.connect(address)
        try knownSocket.send(bytes("from known"))
        #expect(try server.receive(timeout: .seconds(5)) == bytes("from known"))
        #expect(try server.receive(timeout: .milliseconds(200)) == nil)
        #expect(authenticator.decisions.denied >= 1)
        #expect(authenticator.decisions.allowed == 1)
    }

    @Test("only one authenticator may serve a context")
    func oneAuthenticatorPerContext() throws {
        let context = try Context()
        let first = try Authenticator(context: context) { _ in .allow() }
        defer { first.stop() }
        let error = #expect(throws: ZMQError.self) { try Authenticator(context: context) { _ in .allow() } }
        #expect(error?.code == .addressInUse)
    }

    @Test("the monitor reports connect, accept and disconnect")
    func monitorEvents() throws {
        let context = try Context()
        let server = try Socket(.pull, context: context)
        let serverMonitor = try SocketMonitor(server)
        let address = try server.bindFresh(.tcp)
        #expect(try serverMonitor.waitFor(.listening, timeout: .seconds(5))?.endpoint == address)
        let client = try Socket(.push, context: context)
        let clientMonitor = try SocketMonitor(client)
        try client.connect(address)
        #expect(try clientMonitor.waitFor(.connected, timeout: .seconds(5)) != nil)
        #expect(try serverMonitor.waitFor(.accepted, timeout: .seconds(5)) != nil)
        #expect(try serverMonitor.waitFor(.handshakeSucceeded, timeout: .seconds(5)) != nil)
        client.close()
        #expect(try serverMonitor.waitFor(.disconnected, timeout: .seconds(5)) != nil)
    }
}

/// A CURVE XPUB in manual mode, and one SUB per named client key subscribed to `D`; the ZAP
/// handler names each client (its `User-Id`) by its name.
final class ManualPublisher {
    let context: Context
    let authenticator: Authenticator
    let publisher: Socket
    var subscribers: [String: Socket] = [:]

    init(clients names: [String]) throws {
        context = try Context()
        let serverKeys = try CurveKeyPair.generate()
        var keys: [String: CurveKeyPair] = [:]
        for name in names { keys[name] = try CurveKeyPair.generate() }
        let byKey = Dictionary(uniqueKeysWithValues: keys.map { ($0.value.publicKey, $0.key) })
        authenticator = try Authenticator(context: context) { request in
            request.clientPublicKey.flatMap { byKey[$0] }.map { .allow(userID: $0) } ?? .deny(reason: "unknown key")
        }
        publisher = try Socket(.xpub, context: context)
        try publisher.makeCurveServer(secretKey: serverKeys.secretKey)
        try publisher.setOption(.xpubManual, true)
        let address = try publisher.bindFresh(.tcp)
        for name in names {
            let socket = try Socket(.sub, context: context)
            try socket.makeCurveClient(serverKey: serverKeys.publicKey, keyPair: keys[name] ?? serverKeys)
            try socket.setOption(.subscribe, bytes("D"))
            try socket.connect(address)
            subscribers[name] = socket
        }
    }

    deinit {
        for socket in subscribers.values { try? socket.setOption(.linger, .zero); socket.close() }
        publisher.close()
        authenticator.stop()
    }
}

/// What per-document permissions (docs/security.md, "Roles and documents") rest on: an XPUB in
/// manual mode sees which authenticated peer (`User-Id`, set by the ZAP handler) sent each
/// subscription and applies, to that peer's pipe alone, only the topics that peer may receive.
@Suite("per-subscriber filtering on an XPUB")
struct ManualSubscriptionTests {
    @Test("a peer asking for every document gets only what its key allows; another gets all")
    func perSubscriberTopics() throws {
        let fixture = try ManualPublisher(clients: ["member", "reader"])
        let publisher = fixture.publisher
        // Each subscription arrives with the peer ZAP admitted; apply what that peer may have.
        var seen: [String: [UInt8]] = [:]
        while seen.count < 2 {
            guard try publisher.poll(.readable, timeout: .seconds(5)).contains(.readable) else { break }
            let (frame, properties) = try publisher.receive(properties: ["User-Id"])
            guard frame.first == 1, let user = properties["User-Id"] else { continue }
            seen[user] = Array(frame.dropFirst())
            try publisher.setOption(.subscribe, user == "reader" ? bytes("Dpub") : Array(frame.dropFirst()))
        }
        #expect(seen == ["member": bytes("D"), "reader": bytes("D")])
        for topic in ["Dsecret\u{0}", "Dpub1\u{0}"] { try publisher.send(bytes(topic)) }
        #expect(try fixture.subscribers["member"]?.receive(timeout: .seconds(5)) == bytes("Dsecret\u{0}"))
        #expect(try fixture.subscribers["member"]?.receive(timeout: .seconds(5)) == bytes("Dpub1\u{0}"))
        #expect(try fixture.subscribers["reader"]?.receive(timeout: .seconds(5)) == bytes("Dpub1\u{0}"))
        // One pipe is first in, first out: had "Dsecret" reached the reader, it would be ahead of "Dpub1".
        #expect(try fixture.subscribers["reader"]?.receive(timeout: .zero) == nil, "the reader never receives a byte of secret")
    }

    /// What revocation (docs/security.md, "Revoking a certificate") rests on.
    @Test("a message names its sender and connection; shutting the connection down cuts that peer only")
    func cutOnePeer() throws {
        let fixture = try ManualPublisher(clients: ["keep", "cut"])
        let publisher = fixture.publisher
        var descriptors: [String: Int32] = [:]
        while descriptors.count < 2 {
            guard try publisher.poll(.readable, timeout: .seconds(5)).contains(.readable) else { break }
            var peer: Socket.Peer?
            let frame = try publisher.receive(peer: &peer)
            try publisher.setOption(.subscribe, Array(frame.dropFirst()))
            if let peer { descriptors[peer.userID] = peer.fileDescriptor }
        }
        let cutDescriptor = try #require(descriptors["cut"])
        #expect(cutDescriptor >= 0 && descriptors["keep"] != cutDescriptor)
        #expect(shutdown(cutDescriptor, Int32(SHUT_RDWR)) == 0)
        // The cut peer's pipe ends (its subscription is withdrawn); the other is untouched.
        let unsubscribed = try publisher.receive(timeout: .seconds(5))
        #expect(unsubscribed == [0] + bytes("D"))
        try publisher.send(bytes("Dnews\u{0}"))
        #expect(try fixture.subscribers["keep"]?.receive(timeout: .seconds(5)) == bytes("Dnews\u{0}"))
        #expect(try fixture.subscribers["cut"]?.receive(timeout: .milliseconds(300)) == nil)
    }
}
