import Foundation
import Glibc
import Synchronization
import Testing
import Zinc
import ZincCore
import ZincStore

@Suite("crash safety of the document store", .serialized, .timeLimit(.minutes(4)))
struct CrashTests {
    let helper = ProcessTests()

    @Test("20 SIGKILLs at random points of a write-heavy load: the store always opens intact, keeps every acknowledged edit, and the tree converges")
    func killRepeatedly() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = "\(directory)/victim.data"
        let root = try await helper.startNode("root", directory: directory, port: helper.freePort())
        let victimPort = helper.freePort()
        func startVictim() async throws -> ProcessTests.Node {
            let admin = "ipc://\(directory)/victim.admin"
            let process = try ZincProcess([
                "node", "--id", "victim", "--bind", "tcp://127.0.0.1:\(victimPort)", "--join", root.publish,
                "--admin", admin, "--data-dir", data, "--log-level", "warning",
            ])
            #expect(await eventually(.seconds(10)) { adminStatus(admin) != nil }, "the victim restarts: \(process.output)")
            return ProcessTests.Node(name: "victim", publish: "tcp://127.0.0.1:\(victimPort)", admin: admin, process: process)
        }
        var victim = try await startVictim()
        let editor = ContinuousEditor(document: "crash", admins: [victim.admin], pause: 0)
        let thread = editor.start()
        var checks = 0
        for round in 0..<20 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 100...600)))
            victim.process.signal(SIGKILL)
            _ = await victim.process.wait()
            // The store opens cleanly and holds every edit the node acknowledged. (Closed again
            // before the restart: it holds the directory's lock.)
            do {
                let store = try DocumentStore(directory: data)
                #expect(try store.integrityCheck() == "ok", "round \(round)")
                let loaded = try store.loadAll(editingAs: .random())
                let version = loaded["crash"]?.versionVector ?? VersionVector()
                let missing = editor.missing(from: Dictionary(uniqueKeysWithValues: version.counters.map { ($0.key.description, $0.value) }), survivors: nil)
                #expect(missing == 0, "round \(round): \(missing) acknowledged operations are not in the store")
                checks += 1
            }
            victim = try await startVictim()
        }
        try await Task.sleep(for: .milliseconds(300))
        editor.stop()
        while !thread.isFinished { try await Task.sleep(for: .milliseconds(10)) }
        let edits = editor.state.withLock { $0.edits }
        #expect(checks == 20 && edits > 200, "\(edits) edits acknowledged across 20 crashes")
        print("crash test: \(edits) edits acknowledged across \(checks) SIGKILLs, \(editor.state.withLock { $0.failures }) refused while the node was down")
        // The root ends with everything the victim ever acknowledged, and so does the victim.
        var version: [String: UInt64] = [:]
        let converged = await eventually(.seconds(20)) {
            guard let a = adminStatus(root.admin)?.documents.first(where: { $0.id == "crash" }),
                  let b = adminStatus(victim.admin)?.documents.first(where: { $0.id == "crash" }) else { return false }
            version = a.versionVector.stringKeyed
            return a.sha256 == b.sha256 && a.versionVector == b.versionVector
        }
        #expect(converged)
        #expect(editor.missing(from: version, survivors: nil) == 0, "no acknowledged edit was lost")
        for node in [victim, root] { node.process.signal(SIGTERM) }
        for node in [victim, root] { _ = await node.process.wait() }
    }

    @Test("edits made at a node the tree never heard from survive its crash and reach the tree when it restarts")
    func unsentEditsComeBack() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = "\(directory)/lonely.data"
        let port = helper.freePort()
        let admin = "ipc://\(directory)/lonely.admin"
        // Alone (its own root): nobody receives these edits.
        var lonely = try ZincProcess(["node", "--id", "lonely", "--bind", "tcp://127.0.0.1:\(port)", "--admin", admin, "--data-dir", data])
        #expect(await eventually(.seconds(10)) { adminStatus(admin) != nil })
        for index in 0..<50 { _ = try AdminClient(address: admin).send(.insert("unsent \(index) ", at: 0, in: "memo")) }
        lonely.signal(SIGKILL)
        _ = await lonely.wait()

        let root = try await helper.startNode("root", directory: directory, port: helper.freePort())
        lonely = try ZincProcess(["node", "--id", "lonely", "--bind", "tcp://127.0.0.1:\(port)", "--join", root.publish, "--admin", admin, "--data-dir", data])
        let arrived = await eventually(.seconds(15)) {
            (try? AdminClient(address: root.admin).document("memo").text).map { text in (0..<50).allSatisfy { text.contains("unsent \($0) ") } } ?? false
        }
        #expect(arrived, "the restarted node pushed its stored edits to its new parent")
        lonely.signal(SIGTERM)
        root.process.signal(SIGTERM)
        _ = await lonely.wait()
        _ = await root.process.wait()
    }
}
