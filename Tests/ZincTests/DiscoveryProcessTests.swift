import Foundation
import Glibc
import Testing
@testable import Zinc
import ZincCore
import ZincProtocol

/// `zinc node --discover NAME` and `zinc discover`, with real processes on one machine: trees
/// that find themselves by name over UDP broadcast on loopback.
@Suite("Discovery processes", .serialized, .timeLimit(.minutes(3)))
struct DiscoveryProcessTests {
    let helper = ProcessTests()

    /// A UDP port below 32768 that nothing has bound.
    func freeDatagramPort() -> UInt16 {
        for _ in 0..<100 {
            let port = UInt16.random(in: 20_000..<32_000)
            if helper.isFree(Int(port), type: SOCK_DGRAM) { return port }
        }
        return 20_999
    }

    func status(_ node: ProcessTests.Node, key: ClusterKey? = nil) -> EndpointStatus? {
        try? AdminClient(address: node.admin, timeout: .milliseconds(500), key: key).status()
    }

    /// Starts a keyed node (`startNode` waits on an unkeyed admin call).
    func startKeyed(_ name: String, key: ClusterKey, keyPath: String, directory: String, extra: [String]) async throws -> ProcessTests.Node {
        let admin = "ipc://\(directory)/\(name).admin"
        let publish = "tcp://127.0.0.1:\(helper.freePort())"
        let process = try ZincProcess(["node", "--id", name, "--bind", publish, "--admin", admin, "--key", keyPath, "--log-level", "debug"] + extra)
        let node = ProcessTests.Node(name: name, publish: publish, admin: admin, process: process)
        #expect(await eventually(.seconds(10)) { status(node, key: key) != nil }, "\(name) did not start: \(process.output)")
        return node
    }

    func census(_ arguments: [String]) async throws -> [[String: Any]] {
        // --local: the survey stays on loopback, like every other packet of the tests.
        let result = try await runZinc(["discover"] + arguments + ["--local", "--json"])
        #expect(result.status == 0, "\(result.output)")
        let start = result.output.firstIndex(of: "[") ?? result.output.startIndex
        return (try JSONSerialization.jsonObject(with: Data(result.output[start...].utf8)) as? [[String: Any]]) ?? []
    }

    @Test("five nodes started with --discover and no --join form one tree within 10 s, an edit reaches all, another cluster stays out, and zinc discover lists them")
    func fiveNodesFindEachOther() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let udp = freeDatagramPort()
        let discover = ["--discover", "team", "--discover-port", "\(udp)"]
        let started = ContinuousClock.now
        var nodes: [ProcessTests.Node] = []
        for index in 0..<5 {
            nodes.append(try await helper.startNode("team-\(index)", directory: directory, port: helper.freePort(), extra: discover))
        }
        let stranger = try await helper.startNode("stranger", directory: directory, port: helper.freePort(), extra: ["--discover", "others", "--discover-port", "\(udp)"])

        var statuses: [EndpointStatus] = []
        let formed = await eventually(.seconds(10)) {
            statuses = nodes.compactMap { status($0) }
            return statuses.count == 5 && Set(statuses.map(\.root)).count == 1 && statuses.filter { $0.role == .root }.count == 1
                && statuses.allSatisfy { $0.role == .root || $0.link.isJoined }
        }
        #expect(formed, "one tree: \(statuses.map { "\($0.name ?? "") \($0.role) root \($0.root.shortDescription) \($0.link)" })")
        let formedIn = ContinuousClock.now - started
        print("discovery: five nodes on loopback were one tree \(formedIn) after the first started")
        #expect(formedIn < .seconds(12), "formed in \(formedIn) (five starts included)")

        _ = try AdminClient(address: nodes[4].admin).send(.insert("found by name", at: 0, in: "plans"))
        for node in nodes {
            #expect(await eventually(.seconds(10)) { (try? AdminClient(address: node.admin, timeout: .milliseconds(500)).document("plans").text) == "found by name" }, "\(node.name)")
        }
        let outsider = try #require(status(stranger))
        #expect(outsider.role == .root && outsider.children.isEmpty && outsider.root == outsider.id && outsider.documents.isEmpty)
        #expect(outsider.counters[.discoveryIgnored] > 0, "it heard the team and ignored it")
        #expect(statuses.allSatisfy { $0.counters[.discoveryHeard] > 0 && $0.counters[.discoveryAnnounced] > 0 })

        // The census: the five of "team" when asked by name, six in all.
        let team = try await census(["team", "--port", "\(udp)", "--timeout", "1"])
        #expect(Set(team.compactMap { $0["id"] as? String }) == Set(statuses.map(\.id.description)))
        #expect(team.allSatisfy { $0["cluster"] as? String == "team" && ($0["documents"] as? [String]) == ["plans"] })
        #expect(team.filter { $0["role"] as? String == "root" }.count == 1)
        let everyone = try await census(["--port", "\(udp)", "--timeout", "1"])
        #expect(everyone.count == 6)

        for node in nodes + [stranger] { node.process.signal(SIGTERM) }
        for node in nodes + [stranger] { _ = await node.process.wait() }
    }

    @Test("--join and --discover combine: a node with both joins its seed, and a node with discovery only finds the same tree")
    func joinAndDiscoverCombine() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let udp = freeDatagramPort()
        let discover = ["--discover", "mixed", "--discover-port", "\(udp)"]
        let first = try await helper.startNode("mixed-0", directory: directory, port: helper.freePort(), extra: discover)
        let seeded = try await helper.startNode("mixed-1", join: [first.publish], directory: directory, port: helper.freePort(), extra: discover)
        #expect(await eventually(.seconds(10)) { status(seeded)?.parent == status(first)?.id })
        let found = try await helper.startNode("mixed-2", directory: directory, port: helper.freePort(), extra: discover)
        var statuses: [EndpointStatus] = []
        #expect(await eventually(.seconds(10)) {
            statuses = [first, seeded, found].compactMap { status($0) }
            return statuses.count == 3 && Set(statuses.map(\.root)).count == 1 && statuses.filter { $0.role == .root }.count == 1
        }, "\(statuses.map { "\($0.name ?? "") \($0.role) \($0.link)" })")
        for node in [found, seeded, first] { node.process.signal(SIGTERM) }
        for node in [found, seeded, first] { _ = await node.process.wait() }
    }

    @Test("in a keyed cluster a forged announcement costs one refused connection: the node is not drawn in, and still finds its real tree")
    func forgedAnnouncementInKeyedCluster() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keyPath = "\(directory)/cluster.key"
        #expect(try await runZinc(["keygen", "--out", keyPath]).status == 0)
        let key = try ClusterKey(contentsOf: keyPath)
        let udp = freeDatagramPort()
        let discover = ["--discover", "vault", "--discover-port", "\(udp)"]

        // A rogue node without the key, holding bait, and forged announcements that name it as
        // a busy, high-term tree of the cluster "vault".
        let roguePort = helper.freePort()
        let rogue = try await helper.startNode("rogue", directory: directory, port: roguePort)
        _ = try AdminClient(address: rogue.admin).send(.insert("bait", at: 0, in: "bait"))
        let forged = DiscoveryDatagram.announcement(Announcement(
            cluster: "vault", node: ReplicaID(deterministicFrom: "forged"), root: ReplicaID(deterministicFrom: "forged root"), term: 1_000, depth: 1,
            children: 3, fanout: 8, endpoints: Endpoints(publish: rogue.publish, pull: "tcp://127.0.0.1:\(roguePort + 1)"))).encoded
        let sender = try DatagramSocket(port: nil)
        let forging = Task {
            while !Task.isCancelled {
                sender.send(forged, to: DatagramSource(host: "127.255.255.255", port: udp))
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        defer { forging.cancel() }

        let first = try await startKeyed("vault-0", key: key, keyPath: keyPath, directory: directory, extra: discover)
        // It tries the forged host once, the handshake fails, and it passes it over.
        #expect(await eventually(.seconds(10)) { (status(first, key: key)?.counters[.handshakeFailures] ?? 0) > 0 })
        let second = try await startKeyed("vault-1", key: key, keyPath: keyPath, directory: directory, extra: discover)
        var pair: [EndpointStatus] = []
        let joined = await eventually(.seconds(15)) {
            pair = [first, second].compactMap { status($0, key: key) }
            return pair.count == 2 && pair[0].root == pair[1].root && pair.contains { $0.link.isJoined }
        }
        #expect(joined, "\(pair.map { "\($0.name ?? "") \($0.role) \($0.link)" })")
        _ = try AdminClient(address: first.admin, timeout: .seconds(1), key: key).send(.insert("kept", at: 0, in: "vault-doc"))
        #expect(await eventually(.seconds(10)) { (try? AdminClient(address: second.admin, timeout: .milliseconds(500), key: key).document("vault-doc").text) == "kept" })
        // Nothing crossed to or from the rogue.
        let rogueStatus = try #require(adminStatus(rogue.admin))
        #expect(rogueStatus.children.isEmpty && rogueStatus.documents.map(\.id) == ["bait"])
        for node in [first, second] {
            let documents = status(node, key: key)?.documents.map(\.id) ?? []
            #expect(!documents.contains("bait"), "\(node.name) holds \(documents)")
        }
        // The forgeries are heard, but they drew at most a few connection attempts in all.
        let failures = status(first, key: key)?.counters[.handshakeFailures] ?? 0
        #expect(failures < 20, "\(failures) handshake failures")

        forging.cancel()
        for node in [first, second, rogue] { node.process.signal(SIGTERM) }
        for node in [first, second, rogue] { _ = await node.process.wait() }
    }
}
