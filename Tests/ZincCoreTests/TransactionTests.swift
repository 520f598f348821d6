import Testing
@testable import ZincCore

/// Transactions are atomic: a body that throws halfway leaves the document exactly as it was.
@Suite("Atomic transactions")
struct TransactionTests {
    struct Abort: Error {}

    /// Everything a document shows and sends, for comparing two documents exactly.
    static func fingerprint(_ document: Document) -> [String] {
        [
            document.canonicalContent(),
            document.versionVector.description,
            "lamport \(document.lamport)",
            document.fragment(since: VersionVector()).encoded().description,
            document.containerIDs.map(\.description).sorted().joined(separator: ","),
            "undo \(document.canUndo) redo \(document.canRedo)",
        ]
    }

    /// A document with history from two replicas: tombstones, foreign items, every container.
    static func history(seed: UInt64) -> Document {
        var random = SeededRandom(seed: seed)
        var a = Document(replica: ReplicaID(deterministicFrom: "a-\(seed)"))
        var b = Document(replica: ReplicaID(deterministicFrom: "b-\(seed)"))
        for round in 0..<random.int(3..<30) {
            RandomEditing.edit(&a, choice: random.int(0..<1000), random: &random)
            a.commit()
            RandomEditing.edit(&b, choice: random.int(0..<1000), random: &random)
            b.commit()
            if round % 4 == 3 {
                try? a.merge(b)
                try? b.merge(a)
            }
        }
        try? a.merge(b)
        return a
    }

    @Test("a transaction that throws after edits of every kind leaves the document exactly as it was", arguments: testSeeds(400))
    func rollbackIsExact(seed: UInt64) throws {
        var document = Self.history(seed: seed)
        let before = document
        var random = SeededRandom(seed: seed &* 31)
        let operations = random.int(1..<25)
        #expect(throws: Abort.self) {
            _ = try document.transact { document in
                for _ in 0..<operations {
                    if random.chance(0.1) {
                        // A paste large enough to split leaves.
                        let text = String(repeating: "paste ", count: random.int(50..<400))
                        try document.insert(text, at: random.int(0..<(document.length() + 1)))
                    } else if random.chance(0.1) {
                        _ = try document.insertContainer(.map, at: 0, in: ListRef("fresh-\(random.int(0..<3))"))
                    } else {
                        RandomEditing.edit(&document, choice: random.int(0..<1000), random: &random)
                    }
                }
                throw Abort()
            }
        }
        #expect(Self.fingerprint(document) == Self.fingerprint(before), "seed \(seed)")
        for slot in document.sequences.indices { document.sequences[slot].checkInvariants() }
        // What happens next is what would have happened without the failed transaction.
        var untouched = before
        var next = SeededRandom(seed: seed &+ 99)
        var same = next
        for _ in 0..<10 {
            let choice = next.int(0..<1000)
            _ = same.int(0..<1000)
            RandomEditing.edit(&document, choice: choice, random: &next)
            RandomEditing.edit(&untouched, choice: choice, random: &same)
            document.commit()
            untouched.commit()
        }
        #expect(Self.fingerprint(document) == Self.fingerprint(untouched), "seed \(seed)")
        // And a replica that merges it sees the same as one merging the untouched document.
        var peer = Document(replica: ReplicaID(deterministicFrom: "peer"))
        var other = peer
        try peer.merge(document)
        try other.merge(untouched)
        #expect(peer.canonicalContent() == other.canonicalContent())
    }

    @Test("a transaction that succeeds commits every edit as one fragment")
    func commitIsWhole() throws {
        var document = Document(replica: ReplicaID(deterministicFrom: "solo"))
        let fragment = try document.transact(at: nil) { document in
            try document.insert("hello", at: 0)
            try document.set("k", to: 1, in: MapRef("meta"))
            try document.delete(0..<1)
        }
        #expect(document.text() == "ello" && fragment.operationCount == 7)
        var peer = Document()
        try peer.apply(fragment)
        #expect(peer.canonicalContent() == document.canonicalContent())
    }

    @Test("an edit that is refused inside a transaction rolls back the edits before it")
    func refusedEditRollsBack() {
        var document = Document(replica: ReplicaID(deterministicFrom: "refused"))
        try? document.insert("abc", at: 0)
        document.commit()
        let before = Self.fingerprint(document)
        #expect(throws: DocumentError.self) {
            _ = try document.transact { document in
                try document.insert("xyz", at: 3)
                try document.delete(0..<2)
                try document.insert("!", at: 99)
            }
        }
        #expect(Self.fingerprint(document) == before)
        #expect(document.text() == "abc")
    }
}
