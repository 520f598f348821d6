import Synchronization
import Testing
@testable import Zinc

@Suite("Handler table: which handlers take each channel")
struct HandlerTableTests {
    /// A handler that counts how often its channels are read.
    final class Recorder: MessageHandler {
        let name: String
        private let wanted: Set<String>
        let reads = Atomic<Int>(0)

        init(_ name: String, _ channels: Set<String>) {
            self.name = name
            wanted = channels
        }

        var channels: Set<String> {
            reads.add(1, ordering: .relaxed)
            return wanted
        }

        func handle(_ message: Message, context: MessageContext) {}
    }

    static func names(_ handlers: [any MessageHandler]) -> [String] {
        handlers.compactMap { ($0 as? Recorder)?.name }
    }

    @Test("each channel gets its handlers in the order registered, and a channel nobody takes gets none")
    func lookup() {
        var table = HandlerTable()
        table.register(Recorder("chat", ["chat"]))
        table.register(Recorder("both", ["chat", "jobs"]))
        table.register(Recorder("jobs", ["jobs"]))
        #expect(Self.names(table.handlers(for: "chat")) == ["chat", "both"])
        #expect(Self.names(table.handlers(for: "jobs")) == ["both", "jobs"])
        #expect(table.handlers(for: "other").isEmpty)
        #expect(Self.names(table.all) == ["chat", "both", "jobs"])
    }

    @Test("a handler's channels are read once, at registration, however many messages follow")
    func channelsReadOnce() {
        var table = HandlerTable()
        let handler = Recorder("chat", ["chat", "jobs"])
        table.register(handler)
        for index in 0..<1000 { _ = table.handlers(for: index % 3 == 0 ? "chat" : "jobs") }
        #expect(handler.reads.load(ordering: .relaxed) == 1)
    }

    @Test("a handler registered after a channel's handlers were looked up receives that channel's next message")
    func registerAfterLookup() {
        var table = HandlerTable()
        table.register(Recorder("first", ["chat"]))
        #expect(Self.names(table.handlers(for: "chat")) == ["first"])
        table.register(Recorder("second", ["chat"]))
        #expect(Self.names(table.handlers(for: "chat")) == ["first", "second"], "the last channel's cached handlers are dropped on registration")
    }
}
