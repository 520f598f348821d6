import Foundation
import Glibc
import Testing
import Zinc
@testable import ZincStore

@Suite("zinc processes", .serialized, .timeLimit(.minutes(3)))
struct ProcessTests {
    struct Node {
        let name: String
        let publish: String
        let admin: String
        let process: ZincProcess
    }

    /// Starts `zinc node` on a wildcard port with an ipc admin socket and waits until it answers.
    func startNode(_ name: String, join: [String] = [], fanout: Int = 8, directory: String, port: Int, dataDirectory: String? = nil, extra: [String] = []) async throws -> Node {
        let admin = "ipc://\(directory)/\(name).admin"
        let publish = "tcp://127.0.0.1:\(port)"
        var arguments = ["node", "--id", name, "--bind", publish, "--admin", admin, "--fanout", "\(fanout)", "--log-level", "debug"]
        for address in join { arguments += ["--join", address] }
        if let dataDirectory { arguments += ["--data-dir", dataDirectory] }
        let process = try ZincProcess(arguments + extra)
        let up = await eventually(.seconds(10)) { adminStatus(admin) != nil }
        #expect(up, "\(name) did not start: \(process.output)")
        return Node(name: name, publish: publish, admin: admin, process: process)
    }

    func freePort() -> Int {
        // Two consecutive free ports (PUB and PULL), chosen at random to avoid collisions.
        for _ in 0..<100 {
            let port = Int.random(in: 20_000..<32_000) & ~1
            if isFree(port) && isFree(port + 1) { return port }
        }
        return 20_000
    }

    func isFree(_ port: Int, type: __socket_type = SOCK_STREAM) -> Bool { portIsFree(port, type: type) }

    /// The peer addresses a running node has stored (SQLite lets a reader in beside it).
    func storedPeers(_ dataDirectory: String) -> [String] {
        guard let database = try? SQLiteDatabase(path: dataDirectory + "/" + DocumentStore.fileName) else { return [] }
        defer { database.close() }
        var peers: [String] = []
        try? database.query("SELECT address FROM peers ORDER BY position") { row in
            if let address = row.value(0).text { peers.append(address) }
        }
        return peers
    }

    func digests(_ nodes: [Node], document: String) -> [String?] {
        nodes.map { node in adminStatus(node.admin)?.documents.first { $0.id == document }?.sha256 }
    }

    @Test("real nodes form a tree, converge, and heal after SIGKILL of the root; the successor reports itself root under a new term")
    func killTheRoot() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let root = try await startNode("root", fanout: 2, directory: directory, port: freePort())
        var nodes = [root]
        for index in 0..<4 {
            nodes.append(try await startNode("c\(index)", join: [root.publish], fanout: 2, directory: directory, port: freePort()))
        }
        #expect(await eventually(.seconds(15)) {
            nodes.dropFirst().allSatisfy { adminStatus($0.admin)?.link.isJoined == true }
        })
        for (index, node) in nodes.enumerated() {
            _ = try AdminClient(address: node.admin).send(.insert("edit \(index) ", at: 0, in: "shared"))
        }
        #expect(await eventually(.seconds(15)) {
            let all = digests(nodes, document: "shared")
            return all.allSatisfy { $0 != nil && $0 == all[0] }
        }, "five processes converge")
        let rootStatus = try #require(adminStatus(root.admin))
        #expect(rootStatus.role == .root && rootStatus.parent == nil && rootStatus.term == 0)

        root.process.signal(SIGKILL)
        _ = await root.process.wait()
        let survivors = Array(nodes.dropFirst())
        var newRoot: EndpointStatus?
        let promoted = await eventually(.seconds(10)) {
            let statuses = survivors.compactMap { adminStatus($0.admin) }
            newRoot = statuses.first { $0.role == .root }
            return statuses.count == survivors.count && statuses.filter { $0.role == .root }.count == 1
                && statuses.allSatisfy { $0.role == .root || $0.link.isJoined }
        }
        #expect(promoted, "one survivor is promoted and the others re-attach")
        let logs = Comment(rawValue: nodes.map { "--- \($0.admin)\n\($0.process.output)" }.joined(separator: "\n"))
        #expect(newRoot?.term == 1 && newRoot?.parent == nil, logs)
        #expect((newRoot?.counters[.promotions]) == 1, logs)
        // Edits after the failover reach everyone; nothing made at a survivor is lost.
        for (index, node) in survivors.enumerated() {
            _ = try AdminClient(address: node.admin).send(.insert("after \(index) ", at: 0, in: "shared"))
        }
        #expect(await eventually(.seconds(15)) {
            let statuses = survivors.compactMap { adminStatus($0.admin)?.documents.first { $0.id == "shared" } }
            return statuses.count == survivors.count && Set(statuses.map(\.sha256)).count == 1
                && statuses[0].versionVector.counters.count == nodes.count
        })
        let text = try AdminClient(address: survivors[0].admin).document("shared").text
        for index in 0..<nodes.count { #expect(text.contains("edit \(index) ")) }
        for index in 0..<survivors.count { #expect(text.contains("after \(index) ")) }
        for node in survivors { node.process.signal(SIGTERM) }
        for node in survivors { #expect(await node.process.wait() == 0, "SIGTERM ends a node cleanly") }
    }

    @Test("a node restarted with its data directory finds its tree through remembered peers when its only seed is dead")
    func rememberedPeers() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = directory + "/c-data"
        // Fan-out 1: the root takes one child; the second joiner is redirected below it.
        let root = try await startNode("root", fanout: 1, directory: directory, port: freePort())
        let middle = try await startNode("middle", join: [root.publish], fanout: 1, directory: directory, port: freePort())
        #expect(await eventually(.seconds(10)) { adminStatus(middle.admin)?.link.isJoined == true })
        let leafPort = freePort()
        let leaf = try await startNode("leaf", join: [root.publish], fanout: 1, directory: directory, port: leafPort, dataDirectory: data)
        #expect(await eventually(.seconds(10)) { adminStatus(leaf.admin)?.parent == adminStatus(middle.admin)?.id })
        _ = try AdminClient(address: leaf.admin).send(.insert("from the leaf ", at: 0, in: "shared"))
        #expect(await eventually(.seconds(10)) { adminStatus(root.admin)?.documents.first { $0.id == "shared" } != nil })
        // The peers are written once a second; wait until the store has the middle node.
        #expect(await eventually(.seconds(10)) { storedPeers(data).contains(middle.publish) })
        leaf.process.signal(SIGKILL)
        _ = await leaf.process.wait()
        root.process.signal(SIGKILL)
        _ = await root.process.wait()
        #expect(await eventually(.seconds(10)) { adminStatus(middle.admin)?.role == .root }, "the middle node takes over as root")
        _ = try AdminClient(address: middle.admin).send(.insert("while the leaf was down ", at: 0, in: "shared"))

        // Its only configured seed is the dead root; its data directory remembers the middle node.
        let again = try await startNode("leaf-again", join: [root.publish], fanout: 1, directory: directory, port: leafPort, dataDirectory: data)
        let logs = Comment(rawValue: "--- middle\n\(middle.process.output)\n--- leaf again\n\(again.process.output)")
        #expect(await eventually(.seconds(15)) { adminStatus(again.admin)?.link.isJoined == true }, logs)
        #expect(again.process.output.contains("remembered from the last run"), logs)
        _ = try AdminClient(address: again.admin).send(.insert("back ", at: 0, in: "shared"))
        #expect(await eventually(.seconds(10)) {
            let both = digests([middle, again], document: "shared")
            return both[0] != nil && both[0] == both[1]
        }, logs)
        let text = try AdminClient(address: middle.admin).document("shared").text
        #expect(text.contains("from the leaf ") && text.contains("while the leaf was down ") && text.contains("back "))
        for node in [middle, again] { node.process.signal(SIGTERM) }
        for node in [middle, again] { #expect(await node.process.wait() == 0) }
    }

    @Test("SIGTERM makes a node leave: its host drops it at once, not by failure detection")
    func cleanLeave() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let host = try await startNode("host", directory: directory, port: freePort())
        let client = try await startNode("client", join: [host.publish], directory: directory, port: freePort())
        #expect(await eventually(.seconds(10)) { adminStatus(host.admin)?.children.count == 1 })
        client.process.signal(SIGTERM)
        #expect(await client.process.wait(timeout: .seconds(10)) == 0)
        #expect(await eventually(.seconds(2)) { adminStatus(host.admin)?.children.isEmpty == true })
        #expect(adminStatus(host.admin)?.counters[.childFailures] == 0, "a goodbye, not a suspicion: --- host\n\(host.process.output)\n--- client\n\(client.process.output)")
        #expect(client.process.output.contains("leaving the tree"))
        host.process.signal(SIGINT)
        #expect(await host.process.wait(timeout: .seconds(10)) == 0)
    }

    @Test("status, doc, edit and tap drive a node from the command line")
    func commands() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The host batches (the default; the flag still parses), so what the tap overhears comes
        // in packed frames (protocol §4).
        let node = try await startNode("solo", directory: directory, port: freePort(), extra: ["--batch"])
        // A child, so the host has someone to publish deltas to (and the tap overhears them). It
        // does not batch, and still reads packed frames.
        let child = try await startNode("child", join: [node.publish], directory: directory, port: freePort(), extra: ["--no-batch"])
        #expect(await eventually(.seconds(10)) { adminStatus(node.admin)?.children.count == 1 })
        let tap = try ZincProcess(["tap", node.publish, "--doc", "notes", "--seconds", "8"])
        // Its first line (the welcome beacon or a heartbeat) proves the subscription is live.
        #expect(await eventually(.seconds(5)) { !tap.output.isEmpty })
        var result = try await runZinc(["edit", node.admin, "notes", "insert", "0", "Hello, 世界 🌍"])
        #expect(result.status == 0 && result.output.contains("ok: 11 operations"), "\(result.output)")
        result = try await runZinc(["edit", node.admin, "notes", "set", "title", #""Minutes""#])
        #expect(result.status == 0, "\(result.output)")
        result = try await runZinc(["doc", node.admin, "notes"])
        #expect(result.status == 0 && result.output == "Hello, 世界 🌍")
        result = try await runZinc(["status", node.admin, "--json"])
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        for key in ["id", "role", "parent", "children", "term", "lamport", "versionVector", "documents", "counters"] {
            #expect(json[key] != nil, "status JSON has \(key)")
        }
        #expect(json["role"] as? String == "root" && json["parent"] is NSNull)
        let packing = try #require(json["packing"] as? [String: Bool])
        #expect(packing == ["toChildren": true, "toParent": false], "the child said it reads packed frames")
        result = try await runZinc(["status", child.admin])
        #expect(result.status == 0 && result.output.contains("packing   to children no, to parent no"), "\(result.output)")
        let documents = try #require(json["documents"] as? [[String: Any]])
        #expect(documents.first?["id"] as? String == "notes" && documents.first?["length"] as? Int == 11)
        #expect((documents.first?["sha256"] as? String)?.count == 64)
        // Mistakes give one clear line and a non-zero exit.
        result = try await runZinc(["doc", node.admin, "missing"])
        #expect(result.status != 0 && result.output.contains("holds no document \"missing\"") && result.output.split(separator: "\n").count == 1)
        result = try await runZinc(["edit", node.admin, "notes", "delete", "50", "3"])
        #expect(result.status != 0 && result.output.contains("length 11"))
        result = try await runZinc(["status", "ipc://\(directory)/nobody", "--timeout", "0.3"])
        #expect(result.status != 0 && result.output.contains("no answer"))
        result = try await runZinc(["node", "--bind", node.publish])
        #expect(result.status != 0 && result.output.contains("already in use") && !result.output.contains("Fatal"))
        result = try await runZinc(["node", "--bind", "tcp://127.0.0.1:1", "--admin", "tcp://0.0.0.0:7999"])
        #expect(result.status != 0 && result.output.contains("loopback"))
        // The tap saw the edit go out, decoded.
        #expect(await tap.wait(timeout: .seconds(15)) == 0)
        #expect(tap.output.contains("type=delta") && tap.output.contains("operations=11"), "\(tap.output)")
        #expect(tap.output.contains("packed=1/") && !tap.output.contains("malformed"), "\(tap.output)")
        #expect(await eventually(.seconds(5)) { adminStatus(child.admin)?.documents.first?.length == 11 })
        for process in [child.process, node.process] { process.signal(SIGTERM) }
        for process in [child.process, node.process] { _ = await process.wait() }
    }

    @Test("zinc cluster: a tree forms, the host is killed, a successor is promoted, the old host rejoins as a client, all converge")
    func cluster() async throws {
        let result = try await runZinc([
            "cluster", "--nodes", "5", "--fanout", "2", "--edits", "120", "--duration", "4",
            "--kill-host-after", "1.5", "--restart-after", "1", "--json",
        ], timeout: .seconds(90))
        #expect(result.status == 0, "\(result.output)")
        let start = try #require(result.output.firstIndex(of: "{"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output[start...].utf8)) as? [String: Any])
        #expect(json["converged"] as? Bool == true)
        #expect(json["lostOperations"] as? Int == 0)
        #expect(json["acknowledgedEdits"] as? Int == 120)
        #expect(json["promotions"] as? Int == 1)
        #expect(json["restartedAsClient"] as? Bool == true)
        #expect((json["promotionSeconds"] as? Double ?? 99) < 2.0, "promoted within 2 s of the kill")
        // The successor adopted its sibling beyond the fan-out of 2, then moved one child down.
        #expect(json["balanced"] as? Bool == true, "\(result.output)")
        #expect(json["maxChildren"] as? Int ?? 99 <= 2)
    }

    @Test("keygen writes a key file once, with mode 0600")
    func keygen() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/cluster.key"
        var result = try await runZinc(["keygen", "--out", path])
        #expect(result.status == 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("public-key = ") && text.contains("secret-key = "))
        result = try await runZinc(["keygen", "--out", path])
        #expect(result.status != 0 && result.output.contains("refusing to overwrite"))
    }
}
