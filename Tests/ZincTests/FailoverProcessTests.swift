import Foundation
import Glibc
import Synchronization
import Testing
import Zinc

/// Edits random live nodes through their admin sockets until stopped, remembering what each
/// replica had acknowledged (so a test can tell whether anything was lost).
final class ContinuousEditor: Sendable {
    struct State {
        var admins: [String] = []
        var acknowledged: [String: UInt64] = [:]   // replica → highest counter acknowledged
        var replicaOfAdmin: [String: String] = [:]
        var edits = 0
        var failures = 0
        var stopped = false
    }
    let state = Mutex(State())
    let document: String
    let pause: UInt32

    init(document: String, admins: [String], pause: UInt32 = 15_000) {
        self.document = document
        self.pause = pause
        state.withLock { $0.admins = admins }
    }

    func remove(_ admin: String) { state.withLock { $0.admins.removeAll { $0 == admin } } }
    func stop() { state.withLock { $0.stopped = true } }

    /// Runs on its own thread (admin calls block for a few milliseconds).
    func start() -> Thread {
        let thread = Thread { [self] in
            var number = 0
            while true {
                let admin: String? = state.withLock { $0.stopped ? nil : $0.admins.randomElement() }
                guard let admin else { return }
                number += 1
                let reply = try? AdminClient(address: admin, timeout: .milliseconds(500)).send(.insert("e\(number) ", at: 0, in: document))
                state.withLock { state in
                    guard let edit = reply?.edit else { state.failures += 1; return }
                    state.edits += 1
                    state.replicaOfAdmin[admin] = edit.replica
                    state.acknowledged[edit.replica] = max(state.acknowledged[edit.replica] ?? 0, edit.versionVector[edit.replica] ?? 0)
                }
                if pause > 0 { usleep(pause) }
            }
        }
        thread.start()
        return thread
    }

    /// Operations acknowledged by `survivors` (every replica seen, if nil) that `version` lacks.
    func missing(from version: [String: UInt64], survivors: [String]?) -> UInt64 {
        state.withLock { state in
            let replicas = survivors.map { $0.compactMap { state.replicaOfAdmin[$0] } } ?? Array(state.acknowledged.keys)
            return replicas.reduce(0) { total, replica in
                let acknowledged = state.acknowledged[replica] ?? 0
                return total + (acknowledged > (version[replica] ?? 0) ? acknowledged - (version[replica] ?? 0) : 0)
            }
        }
    }
}

@Suite("failover with real processes", .serialized, .timeLimit(.minutes(3)))
struct FailoverProcessTests {
    let helper = ProcessTests()

    /// Waits until every survivor answers, there is one root, and all hold the same version.
    func converged(_ admins: [String], document: String) async -> (Bool, [String: UInt64]) {
        var version: [String: UInt64] = [:]
        let ok = await eventually(.seconds(20)) {
            let statuses = admins.compactMap(adminStatus)
            guard statuses.count == admins.count, statuses.filter({ $0.role == .root }).count == 1 else { return false }
            let documents = statuses.compactMap { $0.documents.first { $0.id == document } }
            guard documents.count == admins.count, let first = documents.first else { return false }
            version = first.versionVector.stringKeyed
            return documents.allSatisfy { $0.versionVector == first.versionVector && $0.sha256 == first.sha256 && $0.pending == 0 }
        }
        return (ok, version)
    }

    @Test("continuous edits while the root and then a mid-level host are SIGKILLed: promotions, one tree, nothing lost",
          arguments: ["root", "mid-level host"])
    func killWhileEditing(victim: String) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // 1 + 2 + 4: fan-out 2 makes a three-level tree.
        let root = try await helper.startNode("root", fanout: 2, directory: directory, port: helper.freePort())
        var nodes = [root]
        for index in 0..<6 {
            nodes.append(try await helper.startNode("n\(index)", join: [root.publish], fanout: 2, directory: directory, port: helper.freePort()))
        }
        #expect(await eventually(.seconds(15)) {
            nodes.dropFirst().allSatisfy { adminStatus($0.admin)?.link.isJoined == true }
        })
        let editor = ContinuousEditor(document: "live", admins: nodes.map(\.admin))
        let thread = editor.start()
        try await Task.sleep(for: .seconds(1))

        // The victim: the root, or a host at depth 1 with children of its own.
        let statuses = Dictionary(uniqueKeysWithValues: nodes.compactMap { node in adminStatus(node.admin).map { (node.name, $0) } })
        let target = try #require(victim == "root" ? root : nodes.first { statuses[$0.name]?.depth == 1 && !(statuses[$0.name]?.children.isEmpty ?? true) })
        let orphans = statuses[target.name]?.children ?? []
        editor.remove(target.admin)
        target.process.signal(SIGKILL)
        _ = await target.process.wait()
        try await Task.sleep(for: .seconds(2))
        editor.stop()
        thread.cancel()
        while !thread.isFinished { try await Task.sleep(for: .milliseconds(10)) }

        let survivors = nodes.filter { $0.name != target.name }.map(\.admin)
        let (ok, version) = await converged(survivors, document: "live")
        #expect(ok, "the survivors converge under one root")
        #expect(editor.missing(from: version, survivors: survivors) == 0, "no edit acknowledged by a survivor is lost")
        let edits = editor.state.withLock { $0.edits }
        #expect(edits > 50, "edits kept flowing (\(edits))")
        let after = survivors.compactMap(adminStatus)
        if victim == "root" {
            #expect(after.contains { $0.role == .root && $0.term == 1 }, "a successor was promoted under term 1")
        } else {
            // The dead host's children are attached again, to someone alive.
            for orphan in orphans {
                let status = after.first { $0.id == orphan }
                #expect(status?.link.isJoined == true && status?.parent != statuses[target.name]?.id)
            }
            #expect(after.filter { $0.role == .root }.count == 1 && after.allSatisfy { $0.term <= 1 })
        }
        for node in nodes where node.name != target.name { node.process.signal(SIGTERM) }
        for node in nodes where node.name != target.name { _ = await node.process.wait() }
    }

    @Test("no false promotions while every CPU is saturated by other work")
    func noFalsePromotionsUnderLoad() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let root = try await helper.startNode("root", fanout: 2, directory: directory, port: helper.freePort())
        var nodes = [root]
        for index in 0..<4 {
            nodes.append(try await helper.startNode("n\(index)", join: [root.publish], fanout: 2, directory: directory, port: helper.freePort()))
        }
        #expect(await eventually(.seconds(15)) {
            nodes.dropFirst().allSatisfy { adminStatus($0.admin)?.link.isJoined == true }
        })
        // Two busy loops per core, at the nodes' own priority.
        let cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var burners: [Process] = []
        for _ in 0..<(2 * cores) {
            let burner = Process()
            burner.executableURL = URL(fileURLWithPath: "/bin/sh")
            burner.arguments = ["-c", "while :; do :; done"]
            try burner.run()
            burners.append(burner)
        }
        defer { for burner in burners where burner.isRunning { kill(burner.processIdentifier, SIGKILL) } }
        let editor = ContinuousEditor(document: "busy", admins: nodes.map(\.admin))
        let thread = editor.start()
        try await Task.sleep(for: .seconds(8))
        editor.stop()
        while !thread.isFinished { try await Task.sleep(for: .milliseconds(10)) }
        for burner in burners { kill(burner.processIdentifier, SIGKILL) }

        let (ok, _) = await converged(nodes.map(\.admin), document: "busy")
        #expect(ok)
        let statuses = nodes.compactMap { adminStatus($0.admin) }
        let promotions = statuses.reduce(0) { $0 + ($1.counters[.promotions]) }
        let parentFailures = statuses.reduce(0) { $0 + ($1.counters[.parentFailures]) }
        let edits = editor.state.withLock { $0.edits }
        #expect(promotions == 0 && parentFailures == 0, "no host was suspected dead: \(promotions) promotions, \(parentFailures) parent failures")
        #expect(statuses.allSatisfy { $0.term == 0 })
        #expect(edits > 50, "edits kept flowing (\(edits))")
        for node in nodes { node.process.signal(SIGTERM) }
        for node in nodes { _ = await node.process.wait() }
    }
}
