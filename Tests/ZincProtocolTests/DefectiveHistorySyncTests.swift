import Testing
@testable import ZincCore
@testable import ZincProtocol

/// A snapshot's logs are decoded when first read, not at load. What that means between nodes:
/// a snapshot whose history fails its check never lands, and a node whose own history failed
/// still brings others up to date.
@Suite("Sync with a history that fails its check when first read")
struct DefectiveHistorySyncTests {
    let hostID = ReplicaID(deterministicFrom: "host")
    let childID = ReplicaID(deterministicFrom: "child")

    func context(_ node: ReplicaID) -> RouteContext {
        node == hostID
            ? RouteContext(node: hostID, term: 0, hasParent: false, hasChildren: true, isRoot: true, now: .zero, trust: TrustTable(), children: [childID])
            : RouteContext(node: childID, term: 0, hasParent: true, hasChildren: false, isRoot: false, now: .zero, trust: TrustTable(), children: [])
    }

    /// Three authors' text. The last replica (carol, who loaded the others' snapshot) made one
    /// transaction of one operation, so the snapshot ends with her log's transaction sizes as
    /// they are (size 1, not deflated, the byte 1), her payload count (0) and an empty history
    /// base (0).
    static func document() throws -> Document {
        var alice = Document(replica: ReplicaID(deterministicFrom: "alice"))
        try alice.insert("Hello", at: 0)
        alice.commit()
        var bob = Document(replica: ReplicaID(deterministicFrom: "bob"))
        try bob.merge(alice)
        try bob.insert(", world", at: 5)
        bob.commit()
        var carol = try Document(snapshot: bob.encodedSnapshot(), replica: ReplicaID(deterministicFrom: "carol"))
        try carol.insert("!", at: 12)
        carol.commit()
        #expect(carol.encodedSnapshot().suffix(5) == [1, 0, 1, 0, 0])
        return carol
    }

    /// `snapshot` with the last log's one transaction size raised past the log's end: the
    /// framing holds (a one-byte varint still), the meaning does not.
    static func corrupted(_ snapshot: [UInt8]) -> [UInt8] {
        var bytes = snapshot
        bytes[bytes.count - 3] = 0x7F
        return bytes
    }

    /// Runs a join of the child to the host to the end, passing every host message through
    /// `tamper`.
    func join(_ host: inout DocumentSync, _ child: inout DocumentSync, tamper: (WireMessage) -> WireMessage = { $0 }) {
        var toChild: [WireMessage] = []
        var toHost = child.parentJoined(context(childID)).map(\.message)
        while !toHost.isEmpty || !toChild.isEmpty {
            for message in toHost { toChild += host.receive(message, from: .child(childID), context(hostID)).map { tamper($0.message) } }
            toHost = []
            for message in toChild { toHost += child.receive(message, from: .parent, context(childID)).map(\.message) }
            toChild = []
        }
    }

    @Test("a joiner refuses and counts a snapshot whose history fails its check")
    func refused() throws {
        let original = try Self.document()
        let snapshot = original.encodedSnapshot()
        #expect(try !Document(snapshot: Self.corrupted(snapshot), replica: .random()).lacksHistory(since: original.versionVector))
        var settings = SyncSettings()
        settings.inlineReplyLimit = 0
        var host = DocumentSync(id: "d", document: original, settings: settings)
        var child = DocumentSync(id: "d", document: Document(replica: childID), settings: settings)
        var tampered = 0
        join(&host, &child) { message in
            guard message.header.type == .transferChunk, var chunk = try? TransferChunk(decoding: message.payload) else { return message }
            #expect(chunk.bytes == snapshot, "one chunk holds the whole snapshot")
            chunk.bytes = Self.corrupted(chunk.bytes)
            tampered += 1
            return WireMessage(topic: message.topic, header: message.header, payload: chunk.encoded)
        }
        #expect(tampered == 1)
        #expect(child.counters.badMessages == 1)
        #expect(child.counters.lastProblem?.contains("history fails its check") == true)
        #expect(child.counters.transfersCompleted == 0)
        #expect(child.document.versionVector.isEmpty, "nothing of it landed")
    }

    @Test("a host whose loaded history fails its check sends the state with its history trimmed, and the joiner converges")
    func hostWithDefect() throws {
        let original = try Self.document()
        let loaded = try Document(snapshot: Self.corrupted(original.encodedSnapshot()), replica: hostID)
        var settings = SyncSettings()
        settings.inlineReplyLimit = 0
        var host = DocumentSync(id: "d", document: loaded, settings: settings)
        var child = DocumentSync(id: "d", document: Document(replica: childID), settings: settings)
        join(&host, &child)
        #expect(host.document.historyFailedCheck)
        #expect(host.counters.transfersStarted == 1)
        #expect(child.counters.badMessages == 0)
        #expect(child.counters.transfersCompleted == 1)
        #expect(child.counters.statesMerged == 1, "taken in as a state: its history starts where the host's now does")
        #expect(child.document.text() == "Hello, world!")
        #expect(child.document.versionVector == original.versionVector)
    }
}
