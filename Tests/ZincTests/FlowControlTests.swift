import Foundation
import Synchronization
import Testing
@testable import Zinc
import ZincCore
import ZincProtocol

/// Per-child flow control (docs/protocol.md, "Flow control"): local edits wait for a child
/// that is a window behind, instead of running ahead until the publisher drops and digest
/// repair catches the child up again and again; a child that stays behind for the pacing limit
/// no longer holds the source back.
@Suite("Flow control", .timeLimit(.minutes(2)))
struct FlowControlTests {
    /// A host and one client on loopback TCP, tolerant of a paused client (`.wan`), with the
    /// given window and pacing limit at the host.
    func pair(window: Int, pacingLimit: Duration) async throws -> (tree: TestTree, host: Endpoint, client: Endpoint, handle: DocumentHandle) {
        let tree = TestTree()
        let host = try tree.host(name: "host") { configuration in
            configuration.flowWindow = window
            configuration.pacingLimit = pacingLimit
            configuration.failureDetection = .wan
        }
        let address = try #require(host.addresses?.publish)
        let client = try tree.host(join: [address], name: "client") { $0.failureDetection = .wan }
        let handle = try await host.document("stream")
        _ = try await client.document("stream")
        try await handle.edit { try $0.insert("start ", at: 0) }
        #expect(try await eventually { try await tree.converged("stream", expectedOperations: 6) })
        // The host has heard the client's digest for the document: it now counts as a reporter.
        #expect(try await eventually { try await host.perform { $0.machine.documents["stream"]?.flow.reportingChildren } == 1 })
        return (tree, host, client, handle)
    }

    /// Keeps the client's I/O thread busy for `pause`: it applies and reports nothing meanwhile.
    /// `resumed` turns true as the pause ends.
    func pause(_ client: Endpoint, for pause: Duration, resumed: Flag) -> Task<Void, any Error> {
        Task {
            try await client.perform { _ in
                Thread.sleep(forTimeInterval: Double(pause.components.seconds) + Double(pause.components.attoseconds) / 1e18)
                resumed.set()
            }
        }
    }

    /// Makes `count` one-character deltas in batches of 50.
    func produce(_ count: Int, into handle: DocumentHandle) async throws {
        for _ in 0..<count / 50 {
            try await handle.editBatch(50) { document, _ in try document.insert("x", at: 0) }
        }
    }

    @Test("the source waits for a paused child a window behind, then goes on: every delta arrives, nothing dropped, no repair")
    func sourceWaitsForSlowChild() async throws {
        let (tree, host, client, handle) = try await pair(window: 100, pacingLimit: .seconds(10))
        let resumed = Flag()
        let paused = pause(client, for: .milliseconds(800), resumed: resumed)
        try await produce(2_000, into: handle)
        #expect(resumed.isSet, "2,000 deltas against a window of 100 could not all go before the paused child resumed")
        try await paused.value
        #expect(try await eventually { try await tree.converged("stream", expectedOperations: 2_006) })
        let hostCounters = try await host.status().counters
        #expect(hostCounters[.editsHeldBack] > 0)
        #expect(hostCounters[.slowChildrenReleased] == 0)
        #expect(hostCounters[.backpressureDrops] == 0)
        #expect(try await client.status().counters[.repairs] == 0, "the child never fell behind what the publisher holds")
        await tree.shutdown()
    }

    @Test("a child that stays a window behind for the pacing limit no longer holds the source back, and is repaired after")
    func slowChildReleased() async throws {
        let (tree, host, client, handle) = try await pair(window: 100, pacingLimit: .milliseconds(200))
        let resumed = Flag()
        let paused = pause(client, for: .milliseconds(1_500), resumed: resumed)
        try await produce(2_000, into: handle)
        #expect(!resumed.isSet, "the source went on without the paused child")
        try await paused.value
        #expect(try await host.status().counters[.slowChildrenReleased] == 1)
        #expect(try await eventually { try await tree.converged("stream", expectedOperations: 2_006) })
        await tree.shutdown()
    }

    @Test("an endpoint stopping with edits held back fails them instead of leaving them waiting")
    func heldEditsFailOnShutdown() async throws {
        let (tree, host, client, handle) = try await pair(window: 10, pacingLimit: .seconds(30))
        let paused = pause(client, for: .milliseconds(1_000), resumed: Flag())
        try await handle.editBatch(20) { document, _ in try document.insert("x", at: 0) }
        let held = Task { try await handle.edit { try $0.insert("held", at: 0) } }
        #expect(try await eventually { try await host.status().counters[.editsHeldBack] == 1 })
        await host.shutdown()
        await #expect(throws: EndpointError.self) { try await held.value }
        try await paused.value
        await tree.shutdown()
    }
}

/// A flag one thread sets and another reads.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
