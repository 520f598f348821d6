import Testing
@testable import ZincCore

@Suite("Document basics")
struct DocumentBasicsTests {
    let alice = ReplicaID(deterministicFrom: "alice")
    let bob = ReplicaID(deterministicFrom: "bob")

    @Test("a local edit travels as a fragment, through bytes, to another replica")
    func textRoundTrip() throws {
        var a = Document(replica: alice)
        let fragment = try a.transact(at: nil) { doc in
            try doc.insert("Hello, world", at: 0)
            try doc.delete(5..<12)
            try doc.insert("!", at: 5)
        }
        #expect(a.text() == "Hello!")
        let bytes = fragment.encoded(omittingAuthor: alice)
        let decoded = try DocumentFragment(decoding: bytes, author: alice, limits: .default)
        #expect(decoded == fragment)
        var b = Document(replica: bob)
        let report = try b.apply(decoded, trusting: nil)
        #expect(b.text() == "Hello!")
        #expect(report.applied == fragment.operationCount)
        #expect(b.versionVector == a.versionVector)
        // Applying it again changes nothing: every unit is a duplicate.
        let again = try b.apply(decoded, trusting: nil)
        #expect(again.applied == 0 && again.duplicates == fragment.operationCount)
        #expect(b.text() == "Hello!")
    }

    @Test("a keystroke fragment is a dozen bytes")
    func keystrokeSize() throws {
        var a = Document(replica: alice)
        try a.insert(String(repeating: "x", count: 5000), at: 0)
        a.commit()
        try a.insert("y", at: 2500)
        let fragment = a.commitFragment()
        let size = fragment.encoded(omittingAuthor: alice).count
        #expect(size <= 16, "keystroke encoded in \(size) bytes")
    }

    @Test("the item census counts each replica's inserted characters, deleted ones too, and a repeated fragment adds none")
    func insertedItemCensus() throws {
        var a = Document(replica: alice)
        var b = Document(replica: bob)
        try a.insert("héllo", at: 0)
        try a.delete(1..<3)
        try b.insert("😀", at: 0)
        let fromA = a.fragment(since: VersionVector())
        try b.apply(fromA)
        try b.apply(fromA)
        try a.apply(b.fragment(since: a.versionVector))
        #expect(a.insertedItemsByReplica == [alice: 5, bob: 1])
        #expect(b.insertedItemsByReplica == a.insertedItemsByReplica)
    }

    @Test("fragment(since:) brings a replica exactly what it lacks")
    func syncSince() throws {
        var a = Document(replica: alice)
        var b = Document(replica: bob)
        try a.insert("abc", at: 0)
        try b.apply(a.fragment(since: b.versionVector))
        try b.insert("XYZ", at: 1)
        try a.insert("123", at: 3)
        let toA = b.fragment(since: a.versionVector)
        let toB = a.fragment(since: b.versionVector)
        #expect(toA.operationCount == 3 && toB.operationCount == 3)
        try a.apply(toA)
        try b.apply(toB)
        #expect(a.text() == b.text())
        #expect(a.text().count == 9)
        #expect(a.fragment(since: b.versionVector).isEmpty)
    }

    @Test("out-of-order fragments are held until their dependencies arrive")
    func heldUntilReady() throws {
        var a = Document(replica: alice)
        var fragments: [DocumentFragment] = []
        for word in ["one ", "two ", "three "] {
            try a.insert(word, at: a.length())
            fragments.append(a.commitFragment())
        }
        try a.delete(0..<4)
        fragments.append(a.commitFragment())
        var b = Document(replica: bob)
        let first = try b.apply(fragments[3], trusting: nil)
        #expect(first.held == 4 && b.text().isEmpty)
        try b.apply(fragments[2])
        try b.apply(fragments[1])
        #expect(b.text().isEmpty && b.pendingOperationCount == 3)
        let last = try b.apply(fragments[0], trusting: nil)
        #expect(last.applied == a.localOperationCount)
        #expect(b.text() == "two three ")
        #expect(b.pendingOperationCount == 0)
    }

    @Test("two replicas creating the same nested container get one container")
    func nestedContainerIdentity() throws {
        let root = MapRef("root")
        var a = Document(replica: alice)
        var b = Document(replica: bob)
        let notesA = TextRef(try a.setContainer("notes", .text, in: root))!
        try a.insert("from alice", at: 0, in: notesA)
        let notesB = TextRef(try b.setContainer("notes", .text, in: root))!
        try b.insert("from bob", at: 0, in: notesB)
        #expect(notesA == notesB)
        try a.apply(b.fragment(since: a.versionVector))
        try b.apply(a.fragment(since: b.versionVector))
        #expect(a.text(notesA) == b.text(notesB))
        #expect(a.text(notesA).contains("from alice") && a.text(notesA).contains("from bob"))
        #expect(a.canonicalContent() == b.canonicalContent())
    }

    @Test("maps: last writer wins by Lamport time, then by replica")
    func mapLastWriterWins() throws {
        let map = MapRef("m")
        var a = Document(replica: alice)
        var b = Document(replica: bob)
        try a.set("k", to: "a", in: map)
        try b.set("k", to: "b", in: map)
        try a.apply(b.fragment(since: a.versionVector))
        try b.apply(a.fragment(since: b.versionVector))
        // Same Lamport time: the higher replica ID wins, on both sides.
        let expected: Value = alice > bob ? "a" : "b"
        #expect(a.value(forKey: "k", in: map) == .value(expected))
        #expect(b.value(forKey: "k", in: map) == .value(expected))
        // A write made after seeing the other wins whatever the IDs.
        try b.set("k", to: "later", in: map)
        try a.apply(b.fragment(since: a.versionVector))
        #expect(a.value(forKey: "k", in: map) == .value("later"))
        try a.remove("k", in: map)
        #expect(a.value(forKey: "k", in: map) == nil)
        #expect(a.keys(in: map).isEmpty)
    }

    @Test("registers, counters and sets merge by their rules")
    func otherContainers() throws {
        var a = Document(replica: alice)
        var b = Document(replica: bob)
        let hits = CounterRef("hits")
        let tags = SetRef("tags")
        let title = MultiValueRegisterRef("title")
        try a.increment(hits, by: 5)
        try b.increment(hits, by: -2)
        try a.add("red", to: tags)
        try b.apply(a.fragment(since: b.versionVector))
        try b.remove("red", from: tags)
        try a.add("red", to: tags)  // concurrent re-add: add wins
        try a.set("A", in: title)
        try b.set("B", in: title)
        try a.apply(b.fragment(since: a.versionVector))
        try b.apply(a.fragment(since: b.versionVector))
        #expect(a.value(of: hits) == 3 && b.value(of: hits) == 3)
        #expect(a.elements(of: tags) == ["red"] && b.elements(of: tags) == ["red"])
        #expect(Set(a.values(of: title)) == ["A", "B"])
        #expect(a.values(of: title) == b.values(of: title))
        try a.set("C", in: title)
        try b.apply(a.fragment(since: b.versionVector))
        #expect(b.values(of: title) == ["C"])
    }

    @Test("undo reverses only this replica's changes and redo restores them")
    func undoRedo() throws {
        var a = Document(replica: alice)
        var b = Document(replica: bob)
        try a.insert("hello", at: 0)
        a.commit()
        try b.apply(a.fragment(since: b.versionVector))
        try b.insert("BOB ", at: 0)
        try a.apply(b.fragment(since: a.versionVector))
        try a.insert(" world", at: a.length())
        a.commit()
        try a.delete(0..<4)  // deletes "BOB " — bob's text, but alice's change
        a.commit()
        #expect(a.text() == "hello world")
        let undone = try #require(try a.undo())
        #expect(a.text() == "BOB hello world")
        #expect(undone.cursor.map(a.position(of:)) == 4)
        try a.undo()
        #expect(a.text() == "BOB hello")
        try a.undo()
        #expect(a.text() == "BOB ", "alice's own insert is undone; bob's text stays")
        #expect(try a.undo() == nil)
        try a.redo()
        try a.redo()
        #expect(a.text() == "BOB hello world")
        // Undo and redo are ordinary operations: another replica converges on them.
        try b.apply(a.fragment(since: b.versionVector))
        #expect(b.text() == a.text())
    }

    @Test("positions: scalars inside, UTF-16 and graphemes at the edge")
    func unicodePositions() throws {
        var a = Document(replica: alice)
        try a.insert("a👩‍👩‍👧b中文", at: 0)
        #expect(a.length() == 9)  // a, 5 scalars of the family emoji, b, 中, 文
        #expect(a.utf16Length() == "a👩‍👩‍👧b中文".utf16.count)
        #expect(a.utf16Offset(ofScalar: 6) == 9)
        #expect(a.scalarOffset(ofUTF16: 9) == 6)
        #expect(a.scalarOffset(ofGrapheme: 2) == 6)
        #expect(a.graphemeOffset(ofScalar: 6) == 2)
        #expect(a.graphemeOffset(ofScalar: 3) == 1, "inside the emoji cluster rounds down")
        try a.insert("🎉", atUTF16: 9)
        #expect(a.text() == "a👩‍👩‍👧🎉b中文")
        try a.delete(utf16: 9..<11)
        #expect(a.text() == "a👩‍👩‍👧b中文")
        var b = Document(replica: bob)
        try b.apply(a.fragment(since: b.versionVector))
        #expect(b.text() == "a👩‍👩‍👧b中文")
    }

    @Test("cursors stay with their text while others edit")
    func stableCursors() throws {
        var a = Document(replica: alice)
        var b = Document(replica: bob)
        try a.insert("hello world", at: 0)
        try b.apply(a.fragment(since: b.versionVector))
        let cursor = a.cursor(at: 6)  // before "world"
        try b.insert(">> ", at: 0)
        try b.delete(9..<14)  // "world" gone... (after the prefix: positions shifted by 3)
        try a.apply(b.fragment(since: a.versionVector))
        #expect(a.text() == ">> hello ")
        #expect(a.position(of: cursor) == 9)
        #expect(a.position(of: a.cursor(at: 0)) == 0)
    }

    @Test("bad positions throw instead of trapping")
    func rangeErrors() {
        var a = Document(replica: alice)
        #expect(throws: DocumentError.self) { try a.insert("x", at: 1) }
        #expect(throws: DocumentError.self) { try a.delete(0..<1) }
        #expect(throws: DocumentError.self) { try a.insert("x", at: -1) }
    }
}

@Suite("SHA-256")
struct SHA256Tests {
    @Test("FIPS 180-4 test vectors")
    func vectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(Array(repeating: UInt8(ascii: "a"), count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
