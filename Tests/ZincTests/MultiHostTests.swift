import Foundation
import Glibc
import Testing
import Zinc

/// The deployment the seed describes: three hosts (network namespaces) on one LAN, two nodes
/// each, started with `--discover` and no `--join`. They find each other across the bridge,
/// survive a host cut off and a host that dies whole, and stay one tree around a one-way cut.
@Suite("multi-host clusters on a virtual LAN", .serialized, .timeLimit(.minutes(4)))
struct MultiHostTests {
    struct Node {
        let name: String
        let host: Int
        let admin: String
        let process: ZincProcess
    }

    static let cluster = ["--discover", "lan", "--discover-port", "7670"]

    /// Starts a node on `host`: with discovery by default, or with `seeds` (and no discovery).
    func start(_ name: String, host: Int, port: Int, on bridge: NamespaceBridge, directory: String, seeds: [String]? = nil, fanout: Int = 8) async throws -> Node {
        let admin = "ipc://\(directory)/\(name).admin"
        let finding = (seeds.map { $0.flatMap { ["--join", $0] } } ?? Self.cluster) + ["--fanout", "\(fanout)"]
        let arguments = ["node", "--id", name, "--bind", "tcp://\(bridge.address(host)):\(port)", "--admin", admin, "--log-level", "debug"] + finding
        let process = try ZincProcess(arguments, prefix: bridge.prefix(host))
        #expect(await eventually(.seconds(10)) { adminStatus(admin) != nil }, "\(name) did not start: \(process.output)")
        return Node(name: name, host: host, admin: admin, process: process)
    }

    /// Starts two nodes on each host.
    func startCluster(on bridge: NamespaceBridge, directory: String) async throws -> [Node] {
        var nodes: [Node] = []
        for host in 0..<bridge.count {
            for slot in 0..<2 { nodes.append(try await start("h\(host)n\(slot)", host: host, port: 7000 + 2 * slot, on: bridge, directory: directory)) }
        }
        return nodes
    }

    /// The statuses of `nodes` if they form exactly one tree (one root, everyone else joined, all
    /// naming it), else nil.
    func oneTree(_ nodes: [Node]) -> [EndpointStatus]? {
        let statuses = nodes.compactMap { adminStatus($0.admin) }
        guard statuses.count == nodes.count, statuses.filter({ $0.role == .root }).count == 1,
              Set(statuses.map(\.root)).count == 1, statuses.allSatisfy({ $0.role == .root || $0.link.isJoined })
        else { return nil }
        return statuses
    }

    /// True if no node of `statuses` (of `nodes`, in order) has its parent on the other of the
    /// two hosts: a link needs both directions, so none can cross a one-way cut between them.
    func avoids(_ statuses: [EndpointStatus], of nodes: [Node], hosts a: Int, _ b: Int) -> Bool {
        let hostOf = Dictionary(zip(statuses.map(\.id), nodes.map(\.host)), uniquingKeysWith: { first, _ in first })
        return zip(statuses, nodes).allSatisfy { status, node in
            guard let parent = status.parent, let parentHost = hostOf[parent] else { return true }
            return Set([node.host, parentHost]) != Set([a, b])
        }
    }

    func describe(_ nodes: [Node]) -> String {
        nodes.map { node in
            guard let status = adminStatus(node.admin) else { return "\(node.name): no answer" }
            return "\(node.name): \(status.role) root \(status.root.shortDescription) \(status.link)"
        }.joined(separator: "; ")
    }

    /// True once every node holds `text` somewhere in `document`.
    func everywhere(_ nodes: [Node], _ document: String, contains text: String) async -> Bool {
        await eventually(.seconds(15)) {
            nodes.allSatisfy { ((try? AdminClient(address: $0.admin, timeout: .milliseconds(500)).document(document).text) ?? "").contains(text) }
        }
    }

    func stop(_ nodes: [Node]) async {
        for node in nodes where node.process.process.isRunning { node.process.signal(SIGTERM) }
        for node in nodes { _ = await node.process.wait(timeout: .seconds(10)) }
    }

    @Test("six nodes on three hosts find each other by name; a host cut off forms one tree of its own during the cut; after the heal, one tree and nothing lost",
          .enabled(if: NamespaceBridge.available, "needs network namespaces (ip netns, as root), a bridge and nftables"))
    func discoverCutAndHeal() async throws {
        let bridge = NamespaceBridge(hosts: 3)
        try #require(bridge.ready, "namespaces: \(bridge.problem)")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let started = ContinuousClock.now
        let nodes = try await startCluster(on: bridge, directory: directory)
        #expect(await eventually(.seconds(15)) { oneTree(nodes) != nil }, "one tree across the bridge: \(describe(nodes))")
        print("multi-host: six nodes on three hosts were one tree \(ContinuousClock.now - started) after the first started")
        for node in nodes { _ = try AdminClient(address: node.admin).send(.insert("[\(node.name) before]", at: 0, in: "lan")) }
        #expect(await everywhere(nodes, "lan", contains: "[h2n1 before]"))

        // Host 2 loses the LAN: its two nodes form one tree of their own, the others another.
        let cutOff = nodes.filter { $0.host == 2 }
        let rest = nodes.filter { $0.host != 2 }
        let cutAt = ContinuousClock.now
        #expect(bridge.cutOff(2))
        let split = await eventually(.seconds(20)) {
            guard let inside = oneTree(cutOff), let outside = oneTree(rest) else { return false }
            return inside[0].root != outside[0].root
        }
        #expect(split, "during the cut each side is one tree: \(describe(nodes))")
        print("multi-host: host 2 cut off (discovery); each side one tree \(ContinuousClock.now - cutAt) after the cut")
        for node in nodes { _ = try? AdminClient(address: node.admin).send(.insert("[\(node.name) during]", at: 0, in: "lan")) }
        for node in cutOff {
            #expect(await everywhere(cutOff, "lan", contains: "[\(node.name) during]"), "the cut-off host's nodes see each other's edits")
        }

        #expect(bridge.heal(2))
        #expect(await eventually(.seconds(30)) { oneTree(nodes) != nil }, "one tree after the heal: \(describe(nodes))")
        for node in nodes {
            #expect(await everywhere(nodes, "lan", contains: "[\(node.name) during]"), "\(node.name)'s edit during the cut reached everyone")
        }
        await stop(nodes)
    }

    @Test("a host that dies whole, without closing a connection: the nodes left form one tree again within 1.5 s, and keep editing",
          .enabled(if: NamespaceBridge.available, "needs network namespaces (ip netns, as root), a bridge and nftables"))
    func deadHostHeals() async throws {
        let bridge = NamespaceBridge(hosts: 3)
        try #require(bridge.ready, "namespaces: \(bridge.problem)")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let nodes = try await startCluster(on: bridge, directory: directory)
        #expect(await eventually(.seconds(15)) { oneTree(nodes) != nil }, "one tree: \(describe(nodes))")
        // Running a while first: a failure detector with no history of a link waits longer
        // (docs/protocol.md §13), and hosts rarely die seconds after they joined.
        try await Task.sleep(for: .seconds(3))
        // Kill the host whose nodes have the most below them: the root's host, if the root has
        // children elsewhere, is the hardest case (every other node loses its way up).
        let statuses = nodes.compactMap { adminStatus($0.admin) }
        let rootName = statuses.first { $0.role == .root }?.name ?? "h0n0"
        let victim = nodes.first { $0.name == rootName }?.host ?? 0
        let survivors = nodes.filter { $0.host != victim }
        let started = ContinuousClock.now
        bridge.kill(victim, processes: nodes.filter { $0.host == victim }.map(\.process))
        #expect(await eventually(.seconds(15)) { oneTree(survivors) != nil }, "one tree after host \(victim) died: \(describe(survivors))")
        let healed = ContinuousClock.now - started
        print("multi-host: host \(victim) (the root's) died; the four nodes left were one tree again after \(healed)")
        #expect(healed < .milliseconds(1500), "healed in \(healed)")
        if ProcessInfo.processInfo.environment["ZINC_DUMP"] != nil { for node in survivors { print("=== \(node.name)\n\(node.process.output)") } }
        _ = try AdminClient(address: survivors[0].admin).send(.insert("[after]", at: 0, in: "lan"))
        #expect(await everywhere(survivors, "lan", contains: "[after]"))
        await stop(survivors)
    }

    @Test("a one-way cut between two hosts: the tree routes around it through the third host and stays whole",
          .enabled(if: NamespaceBridge.available, "needs network namespaces (ip netns, as root), a bridge and nftables"))
    func oneWayCut() async throws {
        let bridge = NamespaceBridge(hosts: 3)
        try #require(bridge.ready, "namespaces: \(bridge.problem)")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let nodes = try await startCluster(on: bridge, directory: directory)
        #expect(await eventually(.seconds(15)) { oneTree(nodes) != nil }, "one tree: \(describe(nodes))")
        // Running a while first, as in the dead-host test: detectors with heartbeat history.
        try await Task.sleep(for: .seconds(2))
        // Host 0 can no longer send to host 1; host 1 still reaches host 0, and host 2 both.
        #expect(bridge.cutOneWay(from: 0, to: 1))
        // Settling: links across the cut die and are routed around it. The tree right after the
        // cut still counts as one until its detectors notice (~0.6 s), so "one tree" alone would
        // let the sampling start during the re-forming.
        #expect(await eventually(.seconds(20)) { oneTree(nodes).map { avoids($0, of: nodes, hosts: 0, 1) } ?? false }, "one tree around the cut: \(describe(nodes))")
        var whole = 0
        var samples = 0
        let clock = ContinuousClock()
        let end = clock.now + .seconds(10)
        while clock.now < end {
            samples += 1
            if oneTree(nodes) != nil { whole += 1 }
            try await Task.sleep(for: .milliseconds(250))
        }
        print("multi-host: one-way cut, one tree in \(whole) of \(samples) samples over 10 s")
        #expect(Double(whole) >= Double(samples) * 0.9, "one tree in \(whole) of \(samples) samples: \(describe(nodes))")
        for node in nodes { _ = try? AdminClient(address: node.admin).send(.insert("[\(node.name) around]", at: 0, in: "lan")) }
        for node in nodes { #expect(await everywhere(nodes, "lan", contains: "[\(node.name) around]"), "\(node.name)'s edit reached everyone") }
        if ProcessInfo.processInfo.environment["ZINC_DUMP"] != nil { for node in nodes { print("=== \(node.name)\n\(node.process.output)") } }
        await stop(nodes)
    }

    @Test("with seeds only, every one of them on another host: a host cut off still forms one tree of its own, through gossip",
          .enabled(if: NamespaceBridge.available, "needs network namespaces (ip netns, as root), a bridge and nftables"))
    func cutOffWithSeedsElsewhere() async throws {
        let bridge = NamespaceBridge(hosts: 3)
        try #require(bridge.ready, "namespaces: \(bridge.problem)")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Every node's seeds are the nodes of the other hosts (the first node of host 0 starts the
        // tree). A fan-out of 1 makes a chain, so the cut-off host's two nodes are neither parent
        // and child nor siblings: they know each other only through gossip.
        func seeds(for host: Int) -> [String] {
            (0..<bridge.count).filter { $0 != host }.flatMap { other in [7000, 7002].map { "tcp://\(bridge.address(other)):\($0)" } }
        }
        var nodes: [Node] = [try await start("h0n0", host: 0, port: 7000, on: bridge, directory: directory, seeds: [], fanout: 1)]
        for (host, slot) in [(2, 0), (0, 1), (1, 0), (1, 1), (2, 1)] {
            let node = try await start("h\(host)n\(slot)", host: host, port: 7000 + 2 * slot, on: bridge, directory: directory, seeds: seeds(for: host), fanout: 1)
            // Joined before the next starts: the chain's order is the start order.
            #expect(await eventually(.seconds(10)) { adminStatus(node.admin)?.link.isJoined == true })
            nodes.append(node)
        }
        #expect(await eventually(.seconds(15)) { oneTree(nodes) != nil }, "one tree: \(describe(nodes))")
        // Long enough for gossip to spread every address (a rumor per heartbeat, four at a time).
        try await Task.sleep(for: .seconds(3))
        let cutOff = nodes.filter { $0.host == 2 }
        let rest = nodes.filter { $0.host != 2 }
        let cutAt = ContinuousClock.now
        #expect(bridge.cutOff(2))
        let split = await eventually(.seconds(25)) {
            guard let inside = oneTree(cutOff), let outside = oneTree(rest) else { return false }
            return inside[0].root != outside[0].root
        }
        #expect(split, "during the cut each side is one tree: \(describe(nodes))")
        print("multi-host: host 2 cut off (seeds elsewhere only); each side one tree \(ContinuousClock.now - cutAt) after the cut")
        for node in cutOff { _ = try? AdminClient(address: node.admin).send(.insert("[\(node.name) alone]", at: 0, in: "lan")) }
        for node in cutOff { #expect(await everywhere(cutOff, "lan", contains: "[\(node.name) alone]")) }
        #expect(bridge.heal(2))
        #expect(await eventually(.seconds(30)) { oneTree(nodes) != nil }, "one tree after the heal: \(describe(nodes))")
        for node in cutOff { #expect(await everywhere(nodes, "lan", contains: "[\(node.name) alone]")) }
        await stop(nodes)
    }
}
