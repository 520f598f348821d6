import Foundation
import Glibc
import Testing
@testable import Zinc
import ZeroMQ
import ZincCore
import ZincProtocol

/// Certified clusters of real `zinc` processes (issue #16, docs/security.md "Node
/// certificates"): roles, document permissions at every hop, refusals, revocation, rotation and
/// failover.
@Suite("certified zinc processes", .serialized, .timeLimit(.minutes(3)))
struct CertifiedProcessTests {
    @Test("a reader limited to pub* reads pub1, never receives a byte of secret as a member's child, and its edits reach no member")
    func readerLimitedToPublicDocuments() async throws {
        let setup = try CertifiedSetup()
        let ca = try await setup.authority("ca")
        let root = try await setup.node("root", certificate: try await setup.issue("root", authority: ca), trust: [ca.pub], bind: true)
        let mid = try await setup.node("mid", certificate: try await setup.issue("mid", authority: ca), trust: [ca.pub], bind: true, join: [root.publish])
        let kioskCertificate = try await setup.issue("kiosk", role: "reader", documents: "pub*", authority: ca)
        let kiosk = try await setup.node("kiosk", certificate: kioskCertificate, trust: [ca.pub], join: [mid.publish])
        let admin = try await setup.adminIdentity(ca)
        #expect(await eventually(.seconds(15)) { setup.status(kiosk, admin)?.parent == mid.id }, "the kiosk joined the member mid")

        // A second connection with the kiosk's certificate listens to everything mid's PUB
        // would give it while root edits both documents.
        let listener = try await setup.listener(on: mid, certificate: kioskCertificate, trust: [ca.pub], nodeTopic: kiosk.id)
        defer { listener.close() }
        // Subscriptions are applied in order: once the kiosk's own heartbeat copies (its node
        // topic, subscribed last) arrive, the document subscriptions before it are in force.
        // (The welcome beacon comes first, on attaching: wait for a node-topic message.)
        #expect(listener.drain(until: { $0.first == Topic.node(kiosk.id).bytes[0] }, for: .seconds(10)).last?.first == Topic.node(kiosk.id).bytes[0], "the listener hears mid")
        for index in 0..<5 {
            try setup.admin(root, admin).send(.insert("hello \(index) ", at: 0, in: "pub1"))
            try setup.admin(root, admin).send(.insert("classified \(index) ", at: 0, in: "secret"))
        }
        #expect(await eventually(.seconds(10)) { setup.status(kiosk, admin)?.documents.first { $0.id == "pub1" }?.length == 40 })
        let heard = listener.drain(for: .seconds(1.5))
        #expect(heard.contains { $0.containsBytes("hello 4") }, "the listener hears pub1")
        #expect(!heard.contains { $0.containsBytes("secret") || $0.containsBytes("classified") }, "not a byte of secret, not even its name")
        #expect(setup.status(kiosk, admin)?.documents.map(\.id) == ["pub1"])
        #expect(setup.status(mid, admin)?.documents.map(\.id).sorted() == ["pub1", "secret"])

        // The kiosk's own node refuses to edit; a hostile kiosk pushing a delta anyway is refused by mid.
        let adminArguments = try await setup.adminArguments(ca)
        let refused = try await runZinc(["edit", kiosk.admin, "pub1", "insert", "0", "X"] + adminArguments)
        #expect(refused.status != 0 && refused.output.contains("reader"), "\(refused.output)")
        try await listener.pushDelta(to: mid, sender: kiosk.id, document: "pub1", text: "EVIL ")
        // Refused at mid, its only way up: nothing of it can reach root after this.
        #expect(await eventually(.seconds(5)) { (setup.status(mid, admin)?.counters[.readerWritesRefused] ?? 0) >= 1 })
        #expect(try setup.admin(root, admin).document("pub1").text.hasPrefix("hello 4"), "the reader's operations reached no member")
        // An admin client holding the kiosk's certificate sees of mid what the kiosk may see.
        let kioskAdmin = try NodeIdentity(certificate: kioskCertificate, trusting: [ca.pub])
        let asKiosk = setup.status(mid, kioskAdmin)
        #expect(asKiosk?.documents.map(\.id) == ["pub1"] && asKiosk?.refusals.isEmpty == true, "\(String(describing: asKiosk))")
        #expect(asKiosk?.versionVector == asKiosk?.documents.first?.versionVector)
        let shown = try await runZinc(["status", mid.admin, "--json", "--cert", kioskCertificate, "--trust", ca.pub])
        #expect(shown.status == 0 && shown.output.contains("pub1") && !shown.output.contains("secret"), "\(shown.output)")
        let asked = try await runZinc(["doc", mid.admin, "secret", "--cert", kioskCertificate, "--trust", ca.pub])
        #expect(asked.status != 0 && asked.output.contains("does not cover"), "\(asked.output)")
        #expect(setup.status(kiosk, admin)?.certificate?.parent == "mid")
        #expect(setup.status(mid, admin)?.certificate?.children == [kiosk.id.description: "kiosk"], "each link knows the certified identity at its other end")
    }

    @Test("a certificate from another authority, an expired one and a revoked one are refused and counted; their nodes read nothing")
    func refusedCertificates() async throws {
        let setup = try CertifiedSetup()
        let ca = try await setup.authority("ca"), other = try await setup.authority("other")
        let revokedCertificate = try await setup.issue("laptop", authority: ca)
        let list = setup.directory + "/revoked.txt"
        #expect(try await runZinc(["cert", "revoke", "--list", list, revokedCertificate]).status == 0)
        let root = try await setup.node("root", certificate: try await setup.issue("root", authority: ca), trust: [ca.pub], bind: true, revocations: list)
        let admin = try await setup.adminIdentity(ca)
        try setup.admin(root, admin).send(.insert("members only", at: 0, in: "notes"))
        // Valid for a few seconds: its node starts, then asks a host that appears after expiry.
        let expiring = try await setup.issue("expiring", authority: ca, expires: Date().addingTimeInterval(6))
        let latePort = try freePorts(3)
        let expired = try await setup.node("expired", certificate: expiring, trust: [ca.pub], join: ["tcp://127.0.0.1:\(latePort)"])
        let stranger = try await setup.node("stranger", certificate: try await setup.issue("stranger", authority: other), trust: [ca.pub, other.pub], join: [root.publish])
        let laptop = try await setup.node("laptop", certificate: revokedCertificate, trust: [ca.pub], join: [root.publish])
        try await Task.sleep(for: .seconds(6.5))
        let late = try await setup.node("late", certificate: try await setup.issue("late", authority: ca), trust: [ca.pub], bind: true, port: latePort, join: [root.publish])
        #expect(await eventually(.seconds(10)) { setup.status(late, admin)?.documents.first?.length == 12 })
        #expect(await eventually(.seconds(10)) {
            let refusals = (setup.status(root, admin)?.refusals ?? []) + (setup.status(late, admin)?.refusals ?? [])
            return refusals.contains { $0.contains("untrusted") || $0.contains("does not trust") } && refusals.contains { $0.contains("revoked") } && refusals.contains { $0.contains("expired") }
        }, "\(setup.status(root, admin)?.refusals ?? []) \(setup.status(late, admin)?.refusals ?? [])")
        #expect((setup.status(root, admin)?.counters[.certificatesRefused] ?? 0) >= 2)
        #expect((setup.status(late, admin)?.counters[.certificatesRefused] ?? 0) >= 1)
        let trustingBoth = try await setup.adminIdentity(ca, trusting: [ca.pub, other.pub])
        // The expired node's own admin lobby presents an expired certificate, which no client
        // accepts either: its hosts' view says it holds nothing.
        #expect(setup.status(late, admin)?.children.contains(expired.id) == false && setup.status(root, admin)?.children.contains(expired.id) == false)
        #expect(expired.process.output.contains("the host refused this node: expired"), "\(expired.process.output)")
        for node in [stranger, laptop] {
            let status = setup.status(node, trustingBoth)
            #expect(status?.link.isJoined == false && status?.documents.isEmpty == true, "\(node.name) reads nothing: \(String(describing: status)) \(node.process.output)")
        }
        let adminArguments = try await setup.adminArguments(ca)
        let shown = try await runZinc(["status", root.admin] + adminArguments)
        #expect(shown.output.contains("refused   laptop: certificate of laptop is revoked"), "zinc status shows the refusal: \(shown.output)")
        #expect(shown.output.contains("refused   stranger: issued by an authority this node does not trust"), "\(shown.output)")
    }

    @Test("a member that claims a sibling's replica is refused the claim, and its operations under that replica never land; its own do")
    func replicaBoundToFirstClaimer() async throws {
        let setup = try CertifiedSetup()
        let ca = try await setup.authority("ca")
        let root = try await setup.node("root", certificate: try await setup.issue("root", authority: ca), trust: [ca.pub], bind: true)
        let alice = try await setup.node("alice", certificate: try await setup.issue("alice", authority: ca), trust: [ca.pub], join: [root.publish])
        let admin = try await setup.adminIdentity(ca)
        #expect(await eventually(.seconds(15)) { setup.status(alice, admin)?.link.isJoined == true })
        try setup.admin(alice, admin).send(.insert("alice ", at: 0, in: "notes"))
        #expect(await eventually(.seconds(10)) { setup.status(root, admin)?.documents.first?.length == 6 })
        let aliceReplica = try #require(setup.status(alice, admin)?.documents.first?.versionVector.counters.keys.first)

        // Mallory: a member's certificate on raw sockets, joined to root as a child, whose
        // heartbeats claim alice's replica beside its own.
        let mallory = ReplicaID(deterministicFrom: "mallory"), malloryReplica = ReplicaID(deterministicFrom: "mallory-replica")
        let raw = try await setup.listener(on: root, certificate: try await setup.issue("mallory", authority: ca), trust: [ca.pub], nodeTopic: mallory)
        defer { raw.close() }
        #expect(try raw.join(as: mallory), "root welcomed mallory")
        let heartbeats = raw.keepAlive(root, as: mallory, claiming: [malloryReplica, aliceReplica])
        defer { heartbeats.cancel() }
        #expect(await eventually(.seconds(10)) { (setup.status(root, admin)?.counters[.claimsRefused] ?? 0) >= 1 }, "root refused the claim")
        #expect(await eventually(.seconds(5)) { root.process.output.contains("refused a replica claim") }, "and logged it: \(root.process.output.suffix(2000))")

        try raw.pushDelta(to: root, sender: mallory, document: "notes", text: "FORGED ", as: aliceReplica, after: 6)
        try raw.pushDelta(to: root, sender: mallory, document: "notes", text: "mallory ", as: malloryReplica, after: 0)
        #expect(await eventually(.seconds(10)) { setup.status(root, admin)?.documents.first?.length == 14 }, "mallory's own operations land")
        try setup.admin(alice, admin).send(.insert("again ", at: 0, in: "notes"))
        #expect(await eventually(.seconds(10)) { setup.status(root, admin)?.documents.first?.length == 20 }, "alice still writes under her replica")
        let text = try setup.admin(root, admin).document("notes").text
        // "mallory " and "alice " are concurrent inserts at the start: their order follows the replica IDs.
        #expect(!text.contains("FORGED") && text.hasPrefix("again ") && text.contains("mallory ") && text.contains("alice "), "\(text)")
        #expect((setup.status(root, admin)?.counters[.operationsRejected] ?? 0) >= 7, "the forged operations were refused")
        #expect(try setup.admin(alice, admin).document("notes").text == text, "alice and root agree")
    }

    @Test("revoking a joined node and sending SIGHUP cuts it and removes it at once; it receives nothing after")
    func revocationBySighup() async throws {
        let setup = try CertifiedSetup()
        let ca = try await setup.authority("ca")
        let list = setup.directory + "/revoked.txt"
        try "# none yet\n".write(toFile: list, atomically: true, encoding: .utf8)
        let root = try await setup.node("root", certificate: try await setup.issue("root", authority: ca), trust: [ca.pub], bind: true, revocations: list)
        let laptopCertificate = try await setup.issue("laptop", authority: ca)
        let laptop = try await setup.node("laptop", certificate: laptopCertificate, trust: [ca.pub], join: [root.publish])
        let admin = try await setup.adminIdentity(ca)
        try setup.admin(root, admin).send(.insert("before ", at: 0, in: "notes"))
        #expect(await eventually(.seconds(10)) { setup.status(laptop, admin)?.documents.first?.length == 7 })

        #expect(try await runZinc(["cert", "revoke", "--list", list, laptopCertificate]).status == 0)
        root.process.signal(SIGHUP)
        let cutAt = ContinuousClock.now
        #expect(await eventually(.seconds(2)) {
            guard let status = setup.status(root, admin) else { return false }
            return status.counters[.peersCut] == 1 && !status.children.contains(laptop.id)
        })
        let dropped = ContinuousClock.now - cutAt
        try setup.admin(root, admin).send(.insert("after ", at: 0, in: "notes"))
        // A check that something does not arrive needs time to pass: a second after root holds it.
        #expect(await eventually(.seconds(5)) { setup.status(root, admin)?.documents.first?.length == 13 })
        try await Task.sleep(for: .seconds(1))
        #expect(setup.status(laptop, admin)?.documents.first?.length == 7, "nothing reaches the revoked node")
        #expect(setup.status(laptop, admin)?.link.isJoined == false)
        #expect(dropped < .seconds(1), "dropped after \(dropped): at once, not after the failure detector")
    }

    @Test("rotation: nodes on authorities A and B and on B alone converge; then A is removed and its certificates are refused")
    func rotation() async throws {
        let setup = try CertifiedSetup()
        let a = try await setup.authority("a"), b = try await setup.authority("b")
        let store = setup.directory + "/trusted"
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        for authority in [a, b] { try FileManager.default.copyItem(atPath: authority.pub, toPath: "\(store)/\(authority.name).pub") }
        let root = try await setup.node("root", certificate: try await setup.issue("root", authority: b), trust: [store], bind: true)
        var onA = try await setup.node("old", certificate: try await setup.issue("old", authority: a), trust: [a.pub, b.pub], bind: true, join: [root.publish])
        let onB = try await setup.node("new", certificate: try await setup.issue("new", authority: b), trust: [b.pub], join: [root.publish])
        let admin = try await setup.adminIdentity(b, trusting: [a.pub, b.pub])
        for (index, node) in [root, onA, onB].enumerated() {
            #expect(await eventually(.seconds(10)) { index == 0 || setup.status(node, admin)?.link.isJoined == true }, "\(node.name) joined")
            try setup.admin(node, admin).send(.insert("\(node.name) ", at: 0, in: "shared"))
        }
        #expect(await eventually(.seconds(10)) { setup.converged([root, onA, onB], admin, length: 13) })

        // "old" moves to authority B; then the cluster stops trusting A.
        onA.process.signal(SIGTERM)
        _ = await onA.process.wait()
        // Re-certified under the same name: it keeps its node ID.
        onA = try await setup.node("old", certificate: try await setup.issue("old", authority: b), trust: [b.pub], bind: true, port: onA.port, join: [root.publish], dataDirectory: true)
        try FileManager.default.removeItem(atPath: "\(store)/a.pub")
        root.process.signal(SIGHUP)
        let straggler = try await setup.node("straggler", certificate: try await setup.issue("straggler", authority: a), trust: [a.pub, b.pub], join: [root.publish])
        #expect(await eventually(.seconds(10)) { setup.status(onA, admin)?.link.isJoined == true })
        try setup.admin(onB, admin).send(.insert("again ", at: 0, in: "shared"))
        #expect(await eventually(.seconds(10)) { setup.converged([root, onA, onB], admin, length: 19) })
        #expect(await eventually(.seconds(5)) { (setup.status(root, admin)?.refusals ?? []).contains { $0.contains("trust") } })
        #expect(setup.status(straggler, admin)?.link.isJoined == false, "a certificate of the removed authority is refused")
    }

    @Test("failover with mixed roles: the reader is never promoted, and no document leaks after the promotion")
    func failoverWithRoles() async throws {
        let setup = try CertifiedSetup()
        let ca = try await setup.authority("ca")
        let root = try await setup.node("root", certificate: try await setup.issue("root", authority: ca), trust: [ca.pub], bind: true)
        let host = try await setup.node("host", certificate: try await setup.issue("host", authority: ca), trust: [ca.pub], bind: true, join: [root.publish])
        let admin = try await setup.adminIdentity(ca)
        #expect(await eventually(.seconds(10)) { setup.status(host, admin)?.link.isJoined == true })
        let reader = try await setup.node("reader", certificate: try await setup.issue("reader", role: "reader", documents: "pub*", authority: ca), trust: [ca.pub], join: [host.publish])
        let member = try await setup.node("member", certificate: try await setup.issue("member", authority: ca), trust: [ca.pub], bind: true, join: [host.publish])
        #expect(await eventually(.seconds(10)) { setup.status(reader, admin)?.parent == host.id && setup.status(member, admin)?.parent == host.id })
        try setup.admin(root, admin).send(.insert("public ", at: 0, in: "pub1"))
        try setup.admin(root, admin).send(.insert("secret ", at: 0, in: "secret"))
        #expect(await eventually(.seconds(10)) { setup.status(reader, admin)?.documents.map(\.id) == ["pub1"] })

        host.process.signal(SIGKILL)
        #expect(await eventually(.seconds(15)) {
            guard let readerStatus = setup.status(reader, admin), let memberStatus = setup.status(member, admin) else { return false }
            return readerStatus.link.isJoined && memberStatus.link.isJoined && readerStatus.parent != host.id && memberStatus.parent != host.id
        }, "both healed")
        let readerStatus = setup.status(reader, admin)
        #expect(readerStatus?.role == .client && readerStatus?.children.isEmpty == true, "the reader hosts nobody")
        #expect(["root", "member"].contains(readerStatus?.certificate?.parent ?? ""), "the reader's new host is a member: \(String(describing: readerStatus?.certificate?.parent))")
        try setup.admin(root, admin).send(.insert("after ", at: 0, in: "secret"))
        try setup.admin(member, admin).send(.insert("after ", at: 0, in: "pub1"))
        #expect(await eventually(.seconds(10)) { setup.status(reader, admin)?.documents.first?.length == 13 })
        #expect(await eventually(.seconds(10)) { setup.status(member, admin)?.documents.first { $0.id == "secret" }?.length == 13 })
        #expect(setup.status(reader, admin)?.documents.map(\.id) == ["pub1"], "no document leaked after the promotion")
    }
}

/// An authority made with `zinc authority init`.
struct TestAuthority {
    let name: String
    let directory: String
    var pub: String { directory + "/authority.pub" }
}

/// A certified `zinc node` with a TCP admin port.
struct CertifiedNode {
    let name: String
    let id: ReplicaID
    let port: Int
    let admin: String
    let process: ZincProcess
    var publish: String { "tcp://127.0.0.1:\(port)" }
}

/// Files and processes of one certified test, removed at the end.
final class CertifiedSetup: @unchecked Sendable {
    // @unchecked: used from one test task.
    let directory: String

    init() throws { directory = try temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func authority(_ name: String) async throws -> TestAuthority {
        let authority = TestAuthority(name: name, directory: "\(directory)/\(name)")
        let made = try await runZinc(["authority", "init", "--out", authority.directory])
        #expect(made.status == 0, "\(made.output)")
        return authority
    }

    func issue(_ name: String, role: String = "member", documents: String = "*", authority: TestAuthority, expires: Date? = nil) async throws -> String {
        let path = "\(directory)/\(name)-\(UUID().uuidString.prefix(4)).cert"
        var arguments = ["cert", "issue", "--authority", authority.directory, "--name", name, "--role", role, "--documents", documents, "--out", path]
        if let expires { arguments += ["--expires", expires.formatted(.iso8601)] }
        let issued = try await runZinc(arguments)
        #expect(issued.status == 0, "\(issued.output)")
        return path
    }

    /// Operator certificates (members of every document), by authority directory.
    private var operators: [String: String] = [:]

    /// An admin client identity: an operator certificate from `authority`.
    func adminIdentity(_ authority: TestAuthority, trusting: [String]? = nil) async throws -> NodeIdentity {
        try NodeIdentity(certificate: try await operatorCertificate(authority), trusting: trusting ?? [authority.pub])
    }

    /// `--cert` and `--trust` for `zinc` admin commands.
    func adminArguments(_ authority: TestAuthority) async throws -> [String] {
        ["--cert", try await operatorCertificate(authority), "--trust", authority.pub]
    }

    private func operatorCertificate(_ authority: TestAuthority) async throws -> String {
        if let path = operators[authority.directory] { return path }
        let path = try await issue("operator", authority: authority)
        operators[authority.directory] = path
        return path
    }

    func node(
        _ name: String, certificate: String, trust: [String], bind: Bool = false, port: Int? = nil, join: [String] = [],
        revocations: String? = nil, dataDirectory: Bool = false
    ) async throws -> CertifiedNode {
        let port = try port ?? freePorts(3)
        let adminPort = try freePorts(2)
        let admin = "tcp://127.0.0.1:\(adminPort)"
        var arguments = ["node", "--id", name, "--admin", admin, "--cert", certificate, "--fanout", "2", "--log-level", "debug"]
        for authority in trust { arguments += ["--trust", authority] }
        if bind { arguments += ["--bind", "tcp://127.0.0.1:\(port)"] }
        for address in join { arguments += ["--join", address] }
        if let revocations { arguments += ["--revocations", revocations] }
        if dataDirectory { arguments += ["--data-dir", "\(directory)/\(name)-data"] }
        let process = try ZincProcess(arguments)
        let node = CertifiedNode(name: name, id: ReplicaID(deterministicFrom: name), port: port, admin: admin, process: process)
        // The line `zinc node` prints once its sockets are bound.
        #expect(await eventually(.seconds(10)) { process.output.contains("certified as") || !process.process.isRunning }, "\(name) did not start: \(process.output)")
        return node
    }

    func admin(_ node: CertifiedNode, _ identity: NodeIdentity) -> AdminClient {
        var client = AdminClient(address: node.admin, timeout: .milliseconds(800))
        client.identity = identity
        return client
    }

    func status(_ node: CertifiedNode, _ identity: NodeIdentity) -> EndpointStatus? {
        try? admin(node, identity).status()
    }

    func converged(_ nodes: [CertifiedNode], _ identity: NodeIdentity, length: Int) -> Bool {
        let documents = nodes.map { status($0, identity)?.documents.first { $0.id == "shared" } }
        return documents.allSatisfy { $0?.length == length } && Set(documents.map { $0?.sha256 }).count == 1
    }

    /// A SUB (and a PUSH) with `certificate` on `host`: what that certificate may hear.
    func listener(on host: CertifiedNode, certificate: String, trust: [String], nodeTopic: ReplicaID) async throws -> CertifiedListener {
        let identity = try NodeIdentity(certificate: certificate, trusting: trust)
        return try CertifiedListener(host: host, identity: identity, nodeTopic: nodeTopic)
    }
}

/// Raw sockets holding a node's certificate, beside that node.
final class CertifiedListener: @unchecked Sendable {
    // @unchecked: used from one test task.
    let context: Context
    let subscriber: Socket
    let pusher: Socket
    let identity: NodeIdentity

    /// The host's certificate, from its lobby.
    let server: NodeCertificate

    init(host: CertifiedNode, identity: NodeIdentity, nodeTopic: ReplicaID) throws {
        context = try Context()
        self.identity = identity
        let server = try identity.askLobby(try #require(LobbyAddress.ofHost(publish: host.publish)), context: context, timeout: .seconds(3))
        self.server = server
        subscriber = try Socket(.sub, context: context)
        pusher = try Socket(.push, context: context)
        for socket in [subscriber, pusher] {
            try socket.setOption(.linger, .zero)
            try identity.configureClient(socket, server: server)
        }
        for topic in [Topic.allDocuments, Topic.tree.bytes, Topic.welcome.bytes, Topic.allApplications, Topic.node(nodeTopic).bytes, []] {
            try subscriber.subscribe(topic)
        }
        try subscriber.connect(host.publish)
        try pusher.connect("tcp://127.0.0.1:\(host.port + 1)")
    }

    /// Every message heard within `duration` (or until one satisfies `stop`), each as its
    /// frames joined.
    func drain(until stop: ([UInt8]) -> Bool = { _ in false }, for duration: Duration) -> [[UInt8]] {
        let deadline = ContinuousClock.now + duration
        var heard: [[UInt8]] = []
        while ContinuousClock.now < deadline {
            guard let frames = try? subscriber.receiveMessage(timeout: .milliseconds(50)) else { continue }
            heard.append(frames.flatMap { $0 })
            if let last = heard.last, stop(last) { break }
        }
        return heard
    }

    /// Sends a real delta inserting `text`, as `sender` (the certificate's own node), authored
    /// by `replica` after its first `held` operations.
    func pushDelta(to host: CertifiedNode, sender: ReplicaID, document: String, text: String, as replica: ReplicaID? = nil, after held: UInt64 = 0) throws {
        var edit = Document(replica: replica ?? ReplicaID(deterministicFrom: "\(sender)-replica"))
        try edit.insert(String(repeating: "x", count: Int(held)) + text, at: 0)
        let fragment = edit.fragment(of: edit.replica, counters: held..<held + UInt64(text.unicodeScalars.count))
        let header = MessageHeader(type: .delta, origin: edit.replica, sender: sender, lamport: 1, term: 0)
        let message = WireMessage(topic: .document(document), header: header, payload: fragment.encoded(omittingAuthor: edit.replica))
        try pusher.send(message: message.frames)
    }

    /// Joins the host as the child `node` (the certificate's own); true once welcomed.
    func join(as node: ReplicaID) throws -> Bool {
        try HostileInputTests.sendJoins(as: node, pusher: pusher, subscriber: subscriber)
    }

    /// Heartbeats as `node` from a PUSH socket of its own with this certificate, claiming
    /// `replicas` (``HostileInputTests/keepAlive(_:root:pull:context:claiming:configure:)``).
    func keepAlive(_ host: CertifiedNode, as node: ReplicaID, claiming replicas: [ReplicaID]) -> Task<Void, any Error> {
        let (identity, server) = (self.identity, self.server)
        return HostileInputTests.keepAlive(node, root: host.id, pull: "tcp://127.0.0.1:\(host.port + 1)", context: context, claiming: replicas) {
            try identity.configureClient($0, server: server)
        }
    }

    func close() {
        subscriber.close()
        pusher.close()
    }
}

extension Array where Element == UInt8 {
    func containsBytes(_ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}
