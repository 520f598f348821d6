import Foundation
import Testing
@testable import Zinc
import ZeroMQ
import ZincCore
import ZincProtocol

@Suite("Endpoints over real sockets", .timeLimit(.minutes(2)))
struct EndpointTests {
    @Test("a client joins a host over inproc and edits flow both ways")
    func twoNodesInproc() async throws {
        let tree = TestTree()
        let host = try tree.host("inproc://zinc-two-nodes", name: "host")
        let client = try tree.host("inproc://zinc-two-nodes-client", join: ["inproc://zinc-two-nodes"], name: "client")
        let events = client.events()
        let hostNotes = try await host.document("notes")
        let clientNotes = try await client.document("notes")
        for await event in events {
            if case .joined = event { break }
        }
        try await hostNotes.edit { try $0.insert("from the host. ", at: 0) }
        try await clientNotes.edit { try $0.insert("from the client.", at: 0) }
        #expect(try await eventually { try await tree.converged("notes", expectedOperations: 31) })
        let text = try await hostNotes.text()
        #expect(text.contains("from the host.") && text.contains("from the client."))
        let status = try await client.status()
        #expect(status.role == .client && status.parent == host.id && status.depth == 1)
        #expect(try await host.status().children == [client.id])
        await tree.shutdown()
    }

    @Test("one host and five clients edit concurrently over TCP and end identical; nothing is applied twice")
    func hostAndFiveClients() async throws {
        let tree = TestTree()
        let host = try tree.host()
        let address = try #require(host.addresses?.publish)
        for index in 0..<5 { _ = try tree.host(join: [address], name: "client-\(index)") }
        var handles: [DocumentHandle] = []
        for node in tree.nodes { handles.append(try await node.document("shared")) }
        #expect(try await eventually { try await host.status().children.count == 5 })
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, handle) in handles.enumerated() {
                group.addTask {
                    for edit in 0..<40 {
                        try await handle.edit { document in
                            try document.insert("\(index):\(edit) ", at: (edit * 7 + index) % (document.length() + 1))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await eventually { try await tree.converged("shared") })
        for handle in handles {
            let counters = try await handle.counters()
            let total = try await handle.snapshot().versionVector.totalOperations
            #expect(counters.operationsApplied + counters.localOperations == total, "every operation applied exactly once")
        }
        await tree.shutdown()
    }

    @Test("a three-level tree (1 + 3 + 9) forms by redirects and converges when the leaves edit")
    func threeLevels() async throws {
        let tree = TestTree()
        let root = try tree.host(fanout: 3)
        let address = try #require(root.addresses?.publish)
        // Everyone joins the root's address; the fan-out pushes them down.
        for index in 0..<12 {
            _ = try tree.host(join: [address], fanout: 3, name: "node-\(index)")
            #expect(try await eventually { try await tree.nodes.last!.status().parent != nil })
        }
        var depths: [UInt32] = []
        for node in tree.nodes { depths.append(try await node.status().depth) }
        #expect(depths.filter { $0 == 1 }.count == 3 && depths.filter { $0 == 2 }.count == 9)
        let leaves = tree.nodes.suffix(9)
        for (index, leaf) in leaves.enumerated() {
            let handle = try await leaf.document("tree")
            try await handle.edit { try $0.insert("leaf \(index) ", at: 0) }
        }
        #expect(try await eventually { try await tree.converged("tree", expectedOperations: UInt64(leaves.indices.map { "leaf \($0 - leaves.startIndex) ".count }.reduce(0, +))) })
        await tree.shutdown()
    }

    @Test("a node joining after 10,000 edits gets the identical state")
    func lateJoiner() async throws {
        let tree = TestTree()
        let host = try tree.host()
        let writer = try tree.host(join: [try #require(host.addresses?.publish)], name: "writer")
        let handle = try await writer.document("big")
        _ = try await host.document("big")
        for batch in 0..<100 {
            try await handle.edit { document in
                for edit in 0..<100 {
                    let length = document.length()
                    if edit % 5 == 4 && length > 2 {
                        try document.delete((batch + edit) % (length - 1)..<(batch + edit) % (length - 1) + 1)
                    } else {
                        try document.insert("\(edit % 10)", at: (batch * 31 + edit * 17) % (length + 1))
                    }
                }
            }
        }
        #expect(try await eventually { try await tree.converged("big", expectedOperations: 10_000) })
        let late = try tree.host(join: [try #require(host.addresses?.publish)], name: "late")
        _ = try await late.document("big")
        #expect(try await eventually { try await tree.converged("big", expectedOperations: 10_000) })
        #expect(try await DocumentHandle(id: "big", endpoint: late).text() == handle.text())
        await tree.shutdown()
    }

    @Test("with high-water marks so small that libzmq drops messages, every node still converges")
    func tinyHighWaterMarks() async throws {
        let tree = TestTree()
        let tiny: (inout EndpointConfiguration) -> Void = { configuration in
            configuration.highWaterMark = 10
            configuration.backlogLimit = 20
            // One libzmq message per Zinc message, so the burst overflows queues this small
            // (packed, it would fit).
            configuration.batchesMessages = false
        }
        let host = try tree.host(configure: tiny)
        let address = try #require(host.addresses?.publish)
        for index in 0..<3 { _ = try tree.host(join: [address], name: "small-\(index)", configure: tiny) }
        #expect(try await eventually { try await host.status().children.count == 3 })
        var handles: [DocumentHandle] = []
        for node in tree.nodes { handles.append(try await node.document("lossy")) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, handle) in handles.enumerated() {
                group.addTask {
                    for edit in 0..<150 { try await handle.edit { try $0.insert("\(index)\(edit % 10)", at: 0) } }
                }
            }
            try await group.waitForAll()
        }
        let converged = try await eventually(.seconds(40)) { try await tree.converged("lossy", expectedOperations: 4 * 150 * 2) }
        #expect(converged)
        if !converged {
            let first = try await host.status().counters
            try await Task.sleep(for: .seconds(1))
            let second = try await host.status().counters
            print("host in \(first[.messagesIn]) → \(second[.messagesIn]), out \(first[.messagesOut]) → \(second[.messagesOut])")
            for node in tree.nodes {
                let status = try await node.status()
                print(status.role, status.link, status.children.count, status.documents.first.map { "\($0.operations) ops pending \($0.pending)" } ?? "-", status.counters)
            }
        }
        // PUB drops silently at its high-water mark, so loss shows up as repairs, not as counted drops.
        let repairs = try await tree.nodes.asyncMap { try await $0.status().counters[.repairs] }.reduce(0, +)
        #expect(repairs > 0, "the burst must overflow the queues and digests must repair the gaps")
        await tree.shutdown()
    }

    @Test("application messages reach handlers down, up and to one node")
    func applicationMessages() async throws {
        let tree = TestTree()
        let host = try tree.host(name: "app-host")
        let client = try tree.host(join: [try #require(host.addresses?.publish)], name: "app-client")
        #expect(try await eventually { try await host.status().children.count == 1 })
        let inbox = Inbox()
        try await client.register(inbox)
        try await host.register(inbox)
        try await host.send(channel: "jobs", routing: .down, body: Array("to children".utf8))
        try await client.send(channel: "jobs", routing: .up, body: Array("to parent".utf8))
        try await host.send(channel: "jobs", routing: .node(client.id), body: Array("just you".utf8))
        #expect(await eventually { inbox.bodies.count == 3 })
        #expect(Set(inbox.bodies) == ["to children", "to parent", "just you"])
        await tree.shutdown()
    }

    @Test("a node restarted under the same ID is heard at once: its new application messages are not taken for the ones it sent before")
    func restartedSenderIsHeard() async throws {
        let tree = TestTree()
        let host = try tree.host(name: "app-host")
        let address = try #require(host.addresses?.publish)
        let inbox = Inbox()
        try await host.register(inbox)
        let before = try tree.host(join: [address], name: "restarter")
        #expect(try await eventually { try await before.status().parent != nil })
        for index in 0..<3 { try await before.send(channel: "jobs", routing: .up, body: Array("before-\(index)".utf8)) }
        #expect(await eventually { inbox.bodies.count == 3 })
        await before.shutdown()
        let after = try tree.host(join: [address], name: "restarter")
        #expect(after.id == before.id)
        #expect(try await eventually { try await after.status().parent != nil })
        for index in 0..<3 { try await after.send(channel: "jobs", routing: .up, body: Array("after-\(index)".utf8)) }
        #expect(await eventually { inbox.bodies.count == 6 })
        #expect(inbox.bodies == ["before-0", "before-1", "before-2", "after-0", "after-1", "after-2"])
        await tree.shutdown()
    }

    @Test("remote edits arrive as change batches a view can apply")
    func observation() async throws {
        let tree = TestTree()
        let host = try tree.host()
        let client = try tree.host(join: [try #require(host.addresses?.publish)])
        let hostDocument = try await host.document("view")
        let clientDocument = try await client.document("view")
        #expect(try await eventually { try await host.status().children.count == 1 })
        let changes = try await clientDocument.changes()
        try await hostDocument.edit { try $0.insert("hello", at: 0) }
        try await hostDocument.edit { try $0.delete(0..<1) }
        var view: [Unicode.Scalar] = []
        for await batch in changes {
            #expect(batch.origin == .remote)
            for change in batch.changes {
                if case .textInserted(_, let position, let text) = change { view.insert(contentsOf: text.unicodeScalars, at: position) }
                if case .textDeleted(_, let position, let length) = change { view.removeSubrange(position..<position + length) }
            }
            if String(String.UnicodeScalarView(view)) == "ello" { break }
        }
        #expect(try await clientDocument.text() == "ello")
        await tree.shutdown()
    }

    @Test("a taken port or a malformed address is a clear error")
    func bindErrors() throws {
        let tree = TestTree()
        let first = try tree.host()
        let taken = try #require(first.addresses?.publish)
        var configuration = EndpointConfiguration()
        configuration.bind = taken
        #expect { try Endpoint(configuration) } throws: { "\($0)".contains("already in use") }
        configuration.bind = "tcp://127.0.0.1"
        #expect { try Endpoint(configuration) } throws: { "\($0)".contains("needs a port") }
        configuration.bind = "udp://127.0.0.1:7"
        #expect(throws: (any Error).self) { try Endpoint(configuration) }
    }
}

/// Collects application messages.
final class Inbox: MessageHandler, @unchecked Sendable {
    // @unchecked: the state is behind a lock.
    private let lock = NSLock()
    private var received: [String] = []
    var channels: Set<String> { ["jobs"] }

    func handle(_ message: Message, context: MessageContext) {
        lock.withLock { received.append(String(decoding: message.body, as: UTF8.self)) }
    }

    var bodies: [String] { lock.withLock { received } }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
