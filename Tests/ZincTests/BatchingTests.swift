import Foundation
import Testing
@testable import Zinc
import ZeroMQ
import ZincCore
import ZincProtocol

/// Nodes that batch (``EndpointConfiguration/batchesMessages``, the default): what leaves a
/// socket in one turn of the I/O loop goes as packed frames (docs/protocol.md §4) to peers that
/// accept them.
@Suite("batching", .serialized, .timeLimit(.minutes(2)))
struct BatchingTests {
    static func batching(_ configuration: inout EndpointConfiguration) { configuration.batchesMessages = true }
    static func notBatching(_ configuration: inout EndpointConfiguration) { configuration.batchesMessages = false }

    @Test("a batching host sends a burst as packed frames, in order, to a node that does not batch; that node's unbatched messages reach it in order; documents converge both ways")
    func mixedPair() async throws {
        let tree = TestTree()
        let host = try tree.host(name: "batcher", configure: Self.batching)
        let endpoints = try #require(host.addresses)
        let client = try tree.host(join: [endpoints.publish], name: "plain", configure: Self.notBatching)
        #expect(try await eventually { try await host.status().children.count == 1 })
        let down = Inbox(), up = Inbox()
        try await client.register(down)
        try await host.register(up)

        // A raw subscriber on the host's PUB sees the bytes on the wire.
        let context = try #require(host.configuration.context ?? SharedContext.context as Context?)
        let wire = try Socket(.sub, context: context)
        defer { wire.close() }
        try wire.subscribe(Topic.application("jobs").bytes)
        try wire.connect(endpoints.publish)
        var heard = false
        for attempt in 0..<100 where !heard {
            try await host.send(channel: "jobs", routing: .down, body: Array("warm-\(attempt)".utf8))
            heard = try wire.receiveMessage(timeout: .milliseconds(50)) != nil
        }
        #expect(heard, "the raw subscriber's subscription took")
        while try wire.receiveMessage(timeout: .milliseconds(200)) != nil {}

        let burst = (0..<100).map { "down-\($0)" }
        _ = try await host.send(channel: "jobs", routing: .down, bodies: burst.map { Array($0.utf8) })
        var frames: [[[UInt8]]] = []
        var unpacked: [String] = []
        while unpacked.count < burst.count, let message = try wire.receiveMessage(timeout: .seconds(5)) {
            frames.append(message)
            let messages = try #require(message.count == 1 ? try WireMessage.unpacking(message[0], maxPayload: 1 << 20) : nil, "one frame, packed")
            unpacked += try messages.map { String(decoding: try ApplicationMessage(decoding: $0.payload).body, as: UTF8.self) }
        }
        #expect(unpacked == burst, "every message once, in order")
        #expect(frames.count <= 3, "\(frames.count) libzmq messages carried a burst of \(burst.count)")

        #expect(await eventually { down.bodies.filter { $0.hasPrefix("down-") } == burst })
        let replies = (0..<100).map { "up-\($0)" }
        _ = try await client.send(channel: "jobs", routing: .up, bodies: replies.map { Array($0.utf8) })
        #expect(await eventually { up.bodies == replies })

        let hostDocument = try await host.document("mixed")
        let clientDocument = try await client.document("mixed")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, handle) in [hostDocument, clientDocument].enumerated() {
                group.addTask { for edit in 0..<50 { try await handle.edit { try $0.insert("\(index)\(edit % 10)", at: 0) } } }
            }
            try await group.waitForAll()
        }
        #expect(try await eventually { try await tree.converged("mixed", expectedOperations: 2 * 50 * 2) })
        let counters = try await host.status().counters
        #expect(counters[.badMessages] == 0)
        #expect(counters[.framesOut] < counters[.messagesOut], "bursts went out packed: \(counters[.framesOut]) frames for \(counters[.messagesOut]) messages")
        let plain = try await client.status().counters
        #expect(plain[.framesOut] == plain[.messagesOut], "a node that does not batch sends a frame per message")
        #expect(try await client.status().packing == EndpointStatus.Packing(), "batching off: packs nowhere")
        await tree.shutdown()
    }

    @Test("a host sends three frames to all its children while one of them has not said it reads packed frames (an earlier version), and packs again once it has left")
    func legacyChild() async throws {
        let tree = TestTree()
        let host = try tree.host(name: "host")
        let endpoints = try #require(host.addresses)
        let modern = try tree.host(join: [endpoints.publish], name: "modern")
        #expect(try await eventually { try await host.status().children.count == 1 })
        let inbox = Inbox()
        try await modern.register(inbox)
        let context = try #require(host.configuration.context ?? SharedContext.context as Context?)

        // A raw child whose join and heartbeats carry no flags, as a node before 0.3.0 sends them.
        let legacy = ReplicaID(deterministicFrom: "legacy child")
        let (subscriber, pusher, welcomed) = try HostileInputTests.joinAsRawChild(legacy, publish: endpoints.publish, pull: endpoints.pull, context: context)
        defer { subscriber.close(); pusher.close() }
        #expect(welcomed, "the legacy child is a child")
        let beating = HostileInputTests.keepAlive(legacy, root: host.id, pull: endpoints.pull, context: context)
        try subscriber.subscribe(Topic.application("jobs").bytes)
        #expect(try await eventually { try await host.status().children.count == 2 })
        #expect(try await host.status().packing == EndpointStatus.Packing(toChildren: false, toParent: false), "zinc status shows why")
        #expect(try await modern.status().packing == EndpointStatus.Packing(toChildren: true, toParent: true))

        var heard = false
        for attempt in 0..<100 where !heard {
            try await host.send(channel: "jobs", routing: .down, body: Array("warm-\(attempt)".utf8))
            while let frames = try subscriber.receiveMessage(timeout: .milliseconds(50)) {
                heard = heard || (frames.count == 3 && frames[0] == Topic.application("jobs").bytes)
            }
        }
        #expect(heard, "the legacy child's subscription took")
        #expect(await eventually { inbox.bodies.contains { $0.hasPrefix("warm-") } })

        let before = try await host.status().counters
        let burst = (0..<100).map { "legacy-\($0)" }
        _ = try await host.send(channel: "jobs", routing: .down, bodies: burst.map { Array($0.utf8) })
        var received: [String] = []
        var packed = 0
        while received.count < burst.count, let frames = try subscriber.receiveMessage(timeout: .seconds(5)) {
            guard frames.count == 3 else {
                packed += 1
                continue
            }
            let message = try WireMessage(frames: frames, maxPayload: 1 << 20)
            if message.header.type == .application { received.append(String(decoding: try ApplicationMessage(decoding: message.payload).body, as: UTF8.self)) }
        }
        #expect(packed == 0, "\(packed) packed frames reached a child that never said it reads them")
        #expect(received == burst, "every message, as three frames, in order")
        #expect(await eventually { inbox.bodies.filter { $0.hasPrefix("legacy-") } == burst }, "the other child hears the burst too")
        let during = try await host.status().counters
        #expect(during[.framesOut] - before[.framesOut] == during[.messagesOut] - before[.messagesOut], "one frame per message while the legacy child is there")

        // It leaves: the host packs again.
        beating.cancel()
        let leave = WireMessage(topic: .node(legacy), header: MessageHeader(type: .leave, origin: legacy, sender: legacy, lamport: 0, term: 0), payload: Leave(successor: nil).encoded)
        try pusher.send(message: leave.frames)
        #expect(try await eventually { try await host.status().children.count == 1 })
        #expect(try await host.status().packing.toChildren)
        let again = try await host.status().counters
        let second = (0..<100).map { "modern-\($0)" }
        _ = try await host.send(channel: "jobs", routing: .down, bodies: second.map { Array($0.utf8) })
        #expect(await eventually { inbox.bodies.filter { $0.hasPrefix("modern-") } == second })
        let after = try await host.status().counters
        #expect(after[.framesOut] - again[.framesOut] < after[.messagesOut] - again[.messagesOut], "packed again: \(after[.framesOut] - again[.framesOut]) frames for \(after[.messagesOut] - again[.messagesOut]) messages")
        #expect(after[.badMessages] == 0)
        await tree.shutdown()
    }

    @Test("a three-level tree of batching nodes (1 + 3 + 9) converges when every leaf edits at once; nothing is applied twice")
    func batchingTree() async throws {
        let tree = TestTree()
        let root = try tree.host(fanout: 3, configure: Self.batching)
        let address = try #require(root.addresses?.publish)
        for index in 0..<12 {
            let node = try tree.host(join: [address], fanout: 3, name: "batching-\(index)", configure: Self.batching)
            #expect(try await eventually { try await node.status().parent != nil })
        }
        var handles: [DocumentHandle] = []
        for node in tree.nodes { handles.append(try await node.document("packed")) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, handle) in handles.enumerated() {
                group.addTask {
                    for edit in 0..<30 { try await handle.edit { try $0.insert("\(index % 10)", at: (edit * 7) % ($0.length() + 1)) } }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await eventually { try await tree.converged("packed", expectedOperations: UInt64(handles.count * 30)) })
        for handle in handles {
            let counters = try await handle.counters()
            let total = try await handle.snapshot().versionVector.totalOperations
            #expect(counters.operationsApplied + counters.localOperations == total, "every operation applied exactly once")
        }
        await tree.shutdown()
    }
}
