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
