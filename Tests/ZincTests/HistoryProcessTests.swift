import Foundation
import Testing
@testable import Zinc

/// `zinc history` and `zinc doc --at` against real nodes: a past version read at a node other
/// than the one that made the edits, after later inserts and deletes.
@Suite("history through the CLI", .serialized, .timeLimit(.minutes(2)))
struct HistoryProcessTests {
    let helper = ProcessTests()

    @Test("zinc doc --at returns the exact past text at another node, after later inserts and deletes; zinc history lists the versions")
    func pastTextThroughTheCLI() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let root = try await helper.startNode("history-root", directory: directory, port: helper.freePort())
        let leaf = try await helper.startNode("history-leaf", join: [root.publish], directory: directory, port: helper.freePort())
        #expect(await eventually(.seconds(10)) { adminStatus(leaf.admin)?.link.isJoined == true })
        let editor = AdminClient(address: root.admin)
        _ = try editor.send(.insert("The quick brown fox", at: 0, in: "notes"))
        #expect(await eventually(.seconds(10)) { (try? AdminClient(address: leaf.admin).document("notes").text) == "The quick brown fox" })
        let past = try #require(adminStatus(root.admin)?.documents.first { $0.id == "notes" }?.versionVector)
        _ = try editor.send(.delete(at: 4, length: 6, in: "notes"))
        _ = try editor.send(.insert("slow ", at: 4, in: "notes"))
        _ = try editor.send(.insert("!", at: 18, in: "notes"))
        #expect(await eventually(.seconds(10)) { (try? AdminClient(address: leaf.admin).document("notes").text) == "The slow brown fox!" })

        let version = String(decoding: try JSONEncoder().encode(past), as: UTF8.self)
        let at = try await runZinc(["doc", leaf.admin, "notes", "--at", version])
        #expect(at.status == 0 && at.output == "The quick brown fox", "\(at.output)")

        let listed = try await runZinc(["history", leaf.admin, "notes", "--json"])
        #expect(listed.status == 0)
        let history = try JSONDecoder().decode([HistoryLine].self, from: Data(listed.output.utf8))
        #expect(history.count == 4, "one entry per delta as it arrived: \(listed.output)")
        var texts: [String] = []
        for line in history { texts.append(try AdminClient(address: leaf.admin).document("notes", at: line.version).text) }
        #expect(texts == ["The quick brown fox", "The brown fox", "The slow brown fox", "The slow brown fox!"])
        let refused = try await runZinc(["doc", leaf.admin, "notes", "--at", "{\"\(ReplicaID.random())\": 3}"])
        #expect(refused.status != 0 && refused.output.contains("historyUnavailable"))
        for node in [leaf, root] { node.process.signal(SIGTERM) }
        for node in [leaf, root] { _ = await node.process.wait() }
    }

    @Test("zinc trim drops the history every member holds: versions below it are refused, the text and later versions are not, and a node that joins later gets everything")
    func trimThroughTheCLI() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let root = try await helper.startNode("trim-root", directory: directory, port: helper.freePort(), extra: ["--history-trimming", "manual"])
        let leaf = try await helper.startNode("trim-leaf", join: [root.publish], directory: directory, port: helper.freePort())
        #expect(await eventually(.seconds(10)) { adminStatus(leaf.admin)?.link.isJoined == true })
        let editor = AdminClient(address: root.admin)
        _ = try editor.send(.insert("one ", at: 0, in: "notes"))
        let early = try #require(adminStatus(root.admin)?.documents.first { $0.id == "notes" }?.versionVector)
        _ = try editor.send(.insert("two ", at: 4, in: "notes"))
        _ = try editor.send(.delete(at: 0, length: 4, in: "notes"))
        #expect(await eventually(.seconds(10)) { (try? AdminClient(address: leaf.admin).document("notes").text) == "two " })

        // Once the leaf's held version covers the delete (its reports come about once a second),
        // everything can go; a trim before that drops only what the last report covered.
        var output = ""
        #expect(await eventually(.seconds(15)) {
            output = (try? await runZinc(["trim", root.admin, "notes", "--json"]).output) ?? ""
            let history = try? JSONDecoder().decode([HistoryLine].self, from: Data(((try? await runZinc(["history", root.admin, "notes", "--json"]))?.output ?? "").utf8))
            return history?.isEmpty == true
        }, "\(output)")
        let refused = try await runZinc(["doc", root.admin, "notes", "--at", String(decoding: try JSONEncoder().encode(early), as: UTF8.self)])
        #expect(refused.status != 0 && refused.output.contains("historyUnavailable"), "\(refused.output)")
        #expect(try await runZinc(["doc", root.admin, "notes"]).output == "two ")
        let emptied = try JSONDecoder().decode([HistoryLine].self, from: Data(try await runZinc(["history", root.admin, "notes", "--json"]).output.utf8))
        #expect(emptied.isEmpty, "no transaction above the floor yet")
        _ = try editor.send(.insert("three", at: 4, in: "notes"))
        let later = try JSONDecoder().decode([HistoryLine].self, from: Data(try await runZinc(["history", root.admin, "notes", "--json"]).output.utf8))
        #expect(later.count == 1)
        #expect(try await runZinc(["doc", root.admin, "notes", "--at", String(decoding: try JSONEncoder().encode(later[0].version), as: UTF8.self)]).output == "two three")

        // A node that joins now is below the floor: it gets the state, and its edits still count.
        let late = try await helper.startNode("trim-late", join: [root.publish], directory: directory, port: helper.freePort(), extra: ["--history-trimming", "never"])
        #expect(await eventually(.seconds(10)) { (try? AdminClient(address: late.admin).document("notes").text) == "two three" })
        _ = try AdminClient(address: late.admin).send(.insert("!", at: 9, in: "notes"))
        #expect(await eventually(.seconds(10)) { (try? AdminClient(address: leaf.admin).document("notes").text) == "two three!" })
        let off = try await runZinc(["trim", late.admin, "notes"])
        #expect(off.status != 0 && off.output.contains("history trimming is off"), "\(off.output)")
        for node in [late, leaf, root] { node.process.signal(SIGTERM) }
        for node in [late, leaf, root] { _ = await node.process.wait() }
    }

    @Test("zinc bench crdt replays a concurrent trace and reports that every agent matches endContent")
    func concurrentTraceThroughTheBenchmark() async throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ZincCoreTests/Fixtures/concurrent-traces.json.gz").path
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // One case as its own file, in the format of josephg/editing-traces' concurrent traces.
        let gunzip = system("/bin/sh", ["-c", "gzip -dc '\(fixtures)'"])
        let cases = try #require(try JSONSerialization.jsonObject(with: Data(gunzip.output.utf8)) as? [[String: Any]])
        let path = "\(directory)/concurrent.json"
        try JSONSerialization.data(withJSONObject: cases[42]).write(to: URL(fileURLWithPath: path))
        let run = try await runZinc(["bench", "crdt", "--trace", path, "--rounds", "1", "--json"])
        #expect(run.status == 0, "\(run.output)")
        let json = try #require(run.output.range(of: "{").map { String(run.output[$0.lowerBound...]) })
        let result = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(result["matchesEndContent"] as? Bool == true)
        #expect((result["transactions"] as? Int ?? 0) > 0 && result["replayMs"] != nil && result["applyRemoteMs"] != nil)
    }
}
