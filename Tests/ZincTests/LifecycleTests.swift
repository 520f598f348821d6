import Foundation
import Synchronization
import Testing
@testable import Zinc
import ZeroMQ

/// Every awaited call completes or throws a typed error: after shutdown, racing it, after the
/// I/O loop fails, and when an endpoint is dropped without shutdown.
@Suite("Endpoint lifecycle", .timeLimit(.minutes(2)))
struct LifecycleTests {
    @Test("after shutdown every call throws shutDown at once, and the streams end")
    func callsAfterShutdown() async throws {
        let tree = TestTree()
        let endpoint = try tree.host("inproc://lifecycle-after")
        let notes = try await endpoint.document("notes")
        let changes = try await notes.changes()
        let events = endpoint.events()
        let binding = try await notes.textBinding()
        let updates = binding.updates()
        await endpoint.shutdown()
        await endpoint.shutdown()  // idempotent
        await #expect(throws: EndpointError.shutDown) { _ = try await endpoint.document("other") }
        await #expect(throws: EndpointError.shutDown) { try await notes.edit { try $0.insert("x", at: 0) } }
        await #expect(throws: EndpointError.shutDown) { _ = try await endpoint.status() }
        await #expect(throws: EndpointError.shutDown) { try await endpoint.send(channel: "c", body: [1]) }
        await #expect(throws: EndpointError.shutDown) { try await binding.type("x") }
        for await _ in changes {}
        for await _ in events {}
        for await _ in updates {}
    }

    @Test("calls racing shutdown all return: each completes or throws shutDown")
    func callsRacingShutdown() async throws {
        let tree = TestTree()
        let endpoint = try tree.host("inproc://lifecycle-race")
        let notes = try await endpoint.document("notes")
        let outcomes = Outcomes()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    do {
                        try await notes.edit { try $0.insert("\(index % 10)", at: 0) }
                        outcomes.state.withLock { $0.done += 1 }
                    } catch let error as EndpointError where error.code == .shutDown {
                        outcomes.state.withLock { $0.refused += 1 }
                    } catch {
                        outcomes.state.withLock { $0.other.append("\(error)") }
                    }
                }
                if index == 100 { group.addTask { await endpoint.shutdown() } }
            }
            try await group.waitForAll()
        }
        let (done, refused, other) = outcomes.state.withLock { $0 }
        #expect(other.isEmpty)
        #expect(done + refused == 200)
    }

    @Test("when the I/O loop fails, queued and later calls throw stopped with the reason")
    func loopFailure() async throws {
        let context = try Context()
        var configuration = EndpointConfiguration()
        configuration.bind = "inproc://lifecycle-failure"
        configuration.context = context
        let endpoint = try Endpoint(configuration)
        let notes = try await endpoint.document("notes")
        let events = endpoint.events()
        // Terminating the context makes every poll fail: the loop ends on an error.
        context.shutdown()
        for await _ in events {}
        let error = await #expect(throws: EndpointError.self) { try await notes.edit { try $0.insert("x", at: 0) } }
        #expect(error?.code == .stopped)
        #expect(error?.message.contains("context was terminated") == true)
        await endpoint.shutdown()
    }

    @Test("an endpoint released without shutdown stops its loop and ends its streams; nothing crashes")
    func releasedWithoutShutdown() async throws {
        var events: AsyncStream<MembershipEvent>?
        var handled: (any MessageHandler)?
        do {
            var configuration = EndpointConfiguration()
            configuration.bind = "inproc://lifecycle-released"
            let endpoint = try Endpoint(configuration)
            events = endpoint.events()
            let handler = Recorder()
            try await endpoint.register(handler)
            handled = handler
            try await endpoint.send(channel: "c", routing: .node(endpoint.id), body: [1])
        }
        // The endpoint is gone; its loop stops and the stream ends.
        if let events { for await _ in events {} }
        #expect(handled != nil)
        // Its address is free again once the loop has closed the sockets.
        #expect(await eventually(.seconds(5)) {
            var configuration = EndpointConfiguration()
            configuration.bind = "inproc://lifecycle-released"
            guard let again = try? Endpoint(configuration) else { return false }
            await again.shutdown()
            return true
        })
    }

    @Test("an edit closure that throws leaves the replica as it was and sends nothing")
    func failedEditSendsNothing() async throws {
        let tree = TestTree()
        let host = try tree.host("inproc://lifecycle-atomic-host")
        let client = try tree.host("inproc://lifecycle-atomic-client", join: ["inproc://lifecycle-atomic-host"])
        let hostNotes = try await host.document("notes")
        let clientNotes = try await client.document("notes")
        #expect(try await eventually { try await client.status().link.isJoined })
        try await clientNotes.edit { try $0.insert("kept ", at: 0) }
        #expect(try await eventually { try await hostNotes.text() == "kept " })
        let before = try await clientNotes.snapshot()
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await clientNotes.edit { document in
                try document.insert("lost ", at: 0)
                try document.set("k", to: 1, in: MapRef("meta"))
                throw Abort()
            }
        }
        let after = try await clientNotes.snapshot()
        #expect(after.canonicalContent() == before.canonicalContent() && after.versionVector == before.versionVector)
        try await clientNotes.edit { try $0.insert("next ", at: 0) }
        #expect(try await eventually { try await hostNotes.text() == "next kept " })
        #expect(try await hostNotes.read { $0.value(forKey: "k", in: MapRef("meta")) } == nil)
        await tree.shutdown()
    }
}

/// Replies to what it receives (a handler still registered when its endpoint is released).
struct Recorder: MessageHandler {
    var channels: Set<String> { ["c"] }
    func handle(_ message: Message, context: MessageContext) {
        context.send(channel: "c", routing: .up, body: message.body)
    }
}

final class Outcomes: Sendable {
    let state = Mutex<(done: Int, refused: Int, other: [String])>((0, 0, []))
}
