import Foundation
import Synchronization
import Testing
@testable import Zinc
import ZincCore

/// A node's timers run on time while a flood arrives: its I/O thread reads one socket for a
/// bounded time, then ticks (heartbeats above all). Before, it read up to 1,024 messages in a
/// row, and a node whose handling was slow went silent long enough for its parent to declare
/// it dead (a 1,000,000-delta fan-out lost children that way).
@Suite("Punctual timers", .timeLimit(.minutes(2)))
struct PunctualTimersTests {
    /// Takes `delay` over every message, on the endpoint's I/O thread.
    final class SlowHandler: MessageHandler {
        let channels: Set<String> = ["slow"]
        let delay: TimeInterval
        let handled = Atomic<Int>(0)
        init(delay: TimeInterval) { self.delay = delay }
        func handle(_ message: Message, context: MessageContext) {
            Thread.sleep(forTimeInterval: delay)
            handled.add(1, ordering: .relaxed)
        }
    }

    @Test(
        "a child that needs 2 s to handle a burst of messages keeps heartbeating, and keeps its parent: neither declares the other dead, whether the burst came as 400 messages or as one packed frame",
        arguments: [false, true])
    func slowHandlingStillHeartbeats(batching: Bool) async throws {
        let tree = TestTree()
        let configure: (inout EndpointConfiguration) -> Void = { $0.batchesMessages = batching }
        let host = try tree.host(name: "busy-host", configure: configure)
        let child = try tree.host(join: [try #require(host.addresses?.publish)], name: "busy-child", configure: configure)
        #expect(try await eventually { try await host.status().children.count == 1 })
        let handler = SlowHandler(delay: 0.005)
        try await child.register(handler)
        let before = try await host.status().counters
        // 400 × 5 ms: four times the silence after which the default detector declares death.
        try await host.send(channel: "slow", routing: .down, bodies: Array(repeating: [1], count: 400))
        #expect(await eventually(.seconds(30)) { handler.handled.load(ordering: .relaxed) == 400 })
        let status = try await host.status()
        #expect(status.counters[.childFailures] == 0)
        #expect(status.children.count == 1)
        let frames = status.counters[.framesOut] - before[.framesOut], messages = status.counters[.messagesOut] - before[.messagesOut]
        #expect(batching ? frames < messages / 10 : frames == messages, "\(frames) frames for \(messages) messages")
        #expect(try await child.status().counters[.parentFailures] == 0)
        await tree.shutdown()
    }
}
