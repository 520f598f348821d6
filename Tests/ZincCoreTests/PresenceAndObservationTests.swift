import Testing
@testable import ZincCore

@Suite("Presence")
struct PresenceTests {
    let alice = ReplicaID(deterministicFrom: "alice")
    let bob = ReplicaID(deterministicFrom: "bob")

    @Test("newer clocks win, stale and duplicate updates are ignored, silence expires")
    func storeRules() {
        var store = PresenceStore(timeout: .seconds(30))
        let first = store.update(Presence(replica: alice, clock: 2, name: "Alice"), now: .seconds(0))
        let stale = store.update(Presence(replica: alice, clock: 1, name: "Old"), now: .seconds(1))
        let duplicate = store.update(Presence(replica: alice, clock: 2, name: "Dup"), now: .seconds(1))
        #expect(first && !stale && !duplicate)
        #expect(store[alice]?.name == "Alice")
        let bobArrives = store.update(Presence(replica: bob, clock: 1, name: "Bob"), now: .seconds(20))
        #expect(bobArrives)
        let early = store.expire(now: .seconds(29))
        let onTime = store.expire(now: .seconds(30))
        #expect(early.isEmpty && onTime == [alice])
        #expect(store.peers.map(\.name) == ["Bob"])
        let left = store.update(Presence(replica: bob, clock: 2, isLeaving: true), now: .seconds(31))
        #expect(left && store.count == 0)
    }

    @Test("presence round-trips through bytes; garbage throws")
    func encoding() throws {
        var document = Document(replica: alice)
        try document.insert("hello world", at: 0)
        let presence = Presence(
            replica: alice, clock: 7, name: "Alice 🎨", color: 0x3366FF,
            cursor: document.cursor(at: 5),
            selection: .init(anchor: document.cursor(at: 0), head: document.cursor(at: 5)),
            metadata: ["status": "typing"])
        let bytes = presence.encoded()
        #expect(try Presence(decoding: bytes) == presence)
        for length in 0..<bytes.count {
            #expect(throws: FormatError.self) { _ = try Presence(decoding: Array(bytes[0..<length])) }
        }
        #expect(throws: FormatError.self) { _ = try Presence(decoding: [9, 0]) }
    }
}

@Suite("Observation", .timeLimit(.minutes(1)))
struct ObservationTests {
    @Test("a view kept only from change events matches the document, local and remote edits alike")
    func incrementalView() async throws {
        for seed in testSeeds(20, base: 4000) {
            var random = SeededRandom(seed: seed)
            let local = LiveDocument(Document(replica: ReplicaID.random(using: &random)))
            var remote = Document(replica: ReplicaID.random(using: &random))
            let stream = local.changes()
            var view: [Unicode.Scalar] = []
            for _ in 0..<60 {
                if random.chance(0.5) {
                    let fragment = try local.edit { document in
                        let length = document.length()
                        if length > 0 && random.chance(0.3) {
                            let start = random.int(0..<length)
                            try document.delete(start..<min(length, start + random.int(1..<4)))
                        } else {
                            try document.insert(["a", "bc", "😀", "中"][random.int(0..<4)], at: random.int(0..<(length + 1)))
                        }
                    }
                    try remote.apply(fragment)
                } else {
                    let length = remote.length()
                    if length > 0 && random.chance(0.3) {
                        try remote.delete(0..<1)
                    } else {
                        try remote.insert("R", at: random.int(0..<(length + 1)))
                    }
                    try local.apply(remote.commitFragment())
                }
            }
            let finalVersion = local.read { $0.versionVector }
            for await batch in stream {
                for change in batch.changes {
                    switch change {
                    case .textInserted(_, let position, let text):
                        view.insert(contentsOf: text.unicodeScalars, at: position)
                    case .textDeleted(_, let position, let length):
                        view.removeSubrange(position..<position + length)
                    default:
                        break
                    }
                }
                if batch.version == finalVersion { break }
            }
            #expect(String(String.UnicodeScalarView(view)) == local.read { $0.text() }, "seed \(seed)")
            #expect(local.read { $0.text() } == remote.text(), "seed \(seed)")
        }
    }

    @Test("undo through a live document reports the change and the fragment to send")
    func liveUndo() throws {
        let live = LiveDocument(Document(replica: ReplicaID(deterministicFrom: "a")))
        var peer = Document(replica: ReplicaID(deterministicFrom: "b"))
        try peer.apply(try live.edit { try $0.insert("hello", at: 0) })
        let undone = try #require(try live.undo())
        try peer.apply(undone.fragment)
        #expect(live.read { $0.text() } == "")
        #expect(peer.text() == "")
        let nothing = try live.undo()
        #expect(nothing == nil)
    }
}
