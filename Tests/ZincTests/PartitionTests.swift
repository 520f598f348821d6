import Foundation
import Glibc
import Testing
import Zinc

/// Two network namespaces joined by a veth pair: a real (if virtual) network between two halves
/// of a tree, cut and healed with nftables rules inside the namespaces. The addresses are
/// private to namespaces this test creates and removes; nothing leaves the machine.
final class NamespacePair: @unchecked Sendable {
    // @unchecked: used by one test task.
    let suffix = String(UUID().uuidString.prefix(6)).lowercased()
    var a: String { "zinc-a-\(suffix)" }
    var b: String { "zinc-b-\(suffix)" }
    let addressA = "10.231.0.1"
    let addressB = "10.231.0.2"
    private(set) var ready = false
    private(set) var problem = ""

    init() {
        let steps: [[String]] = [
            ["netns", "add", a], ["netns", "add", b],
            ["link", "add", "za\(suffix)", "type", "veth", "peer", "name", "zb\(suffix)"],
            ["link", "set", "za\(suffix)", "netns", a], ["link", "set", "zb\(suffix)", "netns", b],
            ["-n", a, "addr", "add", "\(addressA)/24", "dev", "za\(suffix)"],
            ["-n", b, "addr", "add", "\(addressB)/24", "dev", "zb\(suffix)"],
            ["-n", a, "link", "set", "za\(suffix)", "up"], ["-n", b, "link", "set", "zb\(suffix)", "up"],
            ["-n", a, "link", "set", "lo", "up"], ["-n", b, "link", "set", "lo", "up"],
        ]
        if let failed = runIP(steps) {
            problem = failed
            return
        }
        ready = system("/usr/sbin/nft", ["--version"]).status == 0
        if !ready { problem = "nft is not installed" }
    }

    deinit {
        for namespace in [a, b] { system("/usr/sbin/ip", ["netns", "del", namespace]) }
    }

    func prefix(_ namespace: String) -> [String] { ["/usr/sbin/ip", "netns", "exec", namespace] }

    /// True where a pair can be made: checked once, by making one.
    static let available: Bool = NamespacePair().ready

    /// Drops every packet on B's side of the link, both ways (a cut, not a reset: connections
    /// stay open and simply go silent, as with a pulled cable).
    func cut() -> Bool {
        let rules = """
        table inet zinccut {
          chain input { type filter hook input priority 0; policy accept; iifname "zb\(suffix)" drop; }
          chain output { type filter hook output priority 0; policy accept; oifname "zb\(suffix)" drop; }
        }
        """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zinc-cut-\(suffix).nft").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(rules.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return system("/usr/sbin/ip", ["netns", "exec", b, "/usr/sbin/nft", "-f", path]).status == 0
    }

    func heal() -> Bool {
        system("/usr/sbin/ip", ["netns", "exec", b, "/usr/sbin/nft", "delete", "table", "inet", "zinccut"]).status == 0
    }
}

@Suite("partitions between network namespaces", .serialized, .timeLimit(.minutes(3)))
struct PartitionTests {
    struct Node {
        let name: String
        let publish: String
        let admin: String
        let process: ZincProcess
    }

    func start(_ name: String, in namespace: String, address: String, port: Int, join: String?, fanout: Int, pair: NamespacePair, directory: String) async throws -> Node {
        let admin = "ipc://\(directory)/\(name).admin"
        let publish = "tcp://\(address):\(port)"
        var arguments = ["node", "--id", name, "--bind", publish, "--admin", admin, "--fanout", "\(fanout)", "--log-level", "debug"]
        if let join { arguments += ["--join", join] }
        let process = try ZincProcess(arguments, prefix: pair.prefix(namespace))
        #expect(await eventually(.seconds(10)) { adminStatus(admin) != nil }, "\(name) did not start: \(process.output)")
        return Node(name: name, publish: publish, admin: admin, process: process)
    }

    @Test("cut the link between two halves of the tree, edit on both sides, heal: one root, identical documents, nothing lost",
          .enabled(if: NamespacePair.available, "needs network namespaces (ip netns, as root) and nftables"))
    func cutAndHeal() async throws {
        let pair = NamespacePair()
        try #require(pair.ready, "network namespaces: \(pair.problem)")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Side A: the root and two clients. Side B: a host under the root, with two clients.
        let root = try await start("root", in: pair.a, address: pair.addressA, port: 7100, join: nil, fanout: 3, pair: pair, directory: directory)
        let a1 = try await start("a1", in: pair.a, address: pair.addressA, port: 7102, join: root.publish, fanout: 3, pair: pair, directory: directory)
        let a2 = try await start("a2", in: pair.a, address: pair.addressA, port: 7104, join: root.publish, fanout: 3, pair: pair, directory: directory)
        #expect(await eventually(.seconds(10)) { adminStatus(root.admin)?.children.count == 2 })
        let hostB = try await start("hostB", in: pair.b, address: pair.addressB, port: 7100, join: root.publish, fanout: 3, pair: pair, directory: directory)
        #expect(await eventually(.seconds(10)) { adminStatus(hostB.admin)?.link.isJoined == true })
        let b1 = try await start("b1", in: pair.b, address: pair.addressB, port: 7102, join: hostB.publish, fanout: 3, pair: pair, directory: directory)
        let b2 = try await start("b2", in: pair.b, address: pair.addressB, port: 7104, join: hostB.publish, fanout: 3, pair: pair, directory: directory)
        let all = [root, a1, a2, hostB, b1, b2]
        #expect(await eventually(.seconds(10)) { all.dropFirst().allSatisfy { adminStatus($0.admin)?.link.isJoined == true } })
        for node in all { _ = try AdminClient(address: node.admin).send(.insert("before-\(node.name) ", at: 0, in: "split")) }

        #expect(pair.cut(), "nftables rules installed")
        // Side B loses its parent: hostB takes over as the root of a new term.
        #expect(await eventually(.seconds(15)) { adminStatus(hostB.admin)?.role == .root }, "side B heals into its own tree")
        for round in 0..<5 {
            for node in all { _ = try? AdminClient(address: node.admin).send(.insert("during-\(node.name)-\(round) ", at: 0, in: "split")) }
        }
        let sideA = [root, a1, a2].compactMap { adminStatus($0.admin) }
        #expect(sideA.filter { $0.role == .root }.count == 1, "side A keeps its root")

        #expect(pair.heal())
        var version: [String: UInt64] = [:]
        let merged = await eventually(.seconds(30)) {
            let statuses = all.compactMap { adminStatus($0.admin) }
            guard statuses.count == all.count, statuses.filter({ $0.role == .root }).count == 1 else { return false }
            let documents = statuses.compactMap { $0.documents.first { $0.id == "split" } }
            guard documents.count == all.count, let first = documents.first else { return false }
            version = first.versionVector.stringKeyed
            return documents.allSatisfy { $0.sha256 == first.sha256 && $0.versionVector == first.versionVector }
        }
        #expect(merged, "after the heal the trees merge: one root, identical documents")
        #expect(version.values.reduce(0, +) > 0)
        let text = try AdminClient(address: root.admin).document("split").text
        for node in all {
            #expect(text.contains("before-\(node.name) "))
            for round in 0..<5 { #expect(text.contains("during-\(node.name)-\(round) "), "an edit made on side \(node.name) during the cut survived") }
        }
        for node in all { node.process.signal(SIGTERM) }
        for node in all { _ = await node.process.wait(timeout: .seconds(10)) }
    }
}
