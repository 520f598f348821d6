import Testing
@testable import ZincCore

/// Stable positions: which side a cursor keeps to, and edits resolved at cursors.
@Suite("Cursors")
struct CursorTests {
    @Test("a left cursor stays before text inserted at it; a right cursor moves after it")
    func sides() throws {
        var document = Document(replica: ReplicaID(deterministicFrom: "sides"))
        try document.insert("abcd", at: 0)
        let left = document.cursor(at: 2)
        let right = document.cursor(at: 2, side: .right)
        try document.insert("XY", at: 2)
        #expect(document.position(of: left) == 2)
        #expect(document.position(of: right) == 4)
        try document.insert(">", at: 0)
        #expect(document.position(of: left) == 3 && document.position(of: right) == 5)
        try document.delete(1..<7)
        #expect(document.position(of: left) == 1 && document.position(of: right) == 1)
        #expect(document.position(of: .start(of: TextRef.main.id)) == 0)
        #expect(document.position(of: .end(of: TextRef.main.id)) == document.length())
    }

    @Test("an insert at a cursor made before a concurrent remote edit lands where the cursor is now")
    func insertAtCursorAfterRemoteEdits() throws {
        var alice = Document(replica: ReplicaID(deterministicFrom: "alice"))
        try alice.insert("Hello world", at: 0)
        var bob = Document(replica: ReplicaID(deterministicFrom: "bob"))
        try bob.merge(alice)
        let cursor = bob.cursor(at: 5)  // after "Hello"
        try alice.insert("Oh, ", at: 0)
        try bob.merge(alice)
        let caret = try bob.insert(",", at: cursor)
        #expect(bob.text() == "Oh, Hello, world")
        #expect(bob.position(of: caret) == 10)
    }

    @Test("replacing a selection resolves both ends now and returns the caret after the new text")
    func replaceSelection() throws {
        var document = Document(replica: ReplicaID(deterministicFrom: "select"))
        try document.insert("the quick fox", at: 0)
        let selection = document.selection(from: 4, to: 9)
        try document.insert("See ", at: 0)
        let caret = try document.replace(selection, with: "slow")
        #expect(document.text() == "See the slow fox")
        #expect(caret.head == caret.anchor && document.position(of: caret.head) == 12)
        #expect(throws: DocumentError.self) { try document.insert("x", at: Cursor.start(of: ListRef("list").id)) }
    }

    @Test("a cursor anchored to an item this replica does not hold yet resolves to nil")
    func unknownAnchor() throws {
        var alice = Document(replica: ReplicaID(deterministicFrom: "alice-2"))
        try alice.insert("abc", at: 0)
        let cursor = alice.cursor(at: 2)
        let bob = Document(replica: ReplicaID(deterministicFrom: "bob-2"))
        #expect(bob.position(of: cursor) == nil)
    }

    @Test("presence carries a cursor's side across the wire")
    func sideRoundTrip() throws {
        var document = Document(replica: ReplicaID(deterministicFrom: "wire"))
        try document.insert("abcdef", at: 0)
        let presence = Presence(
            replica: document.replica, name: "a", cursor: document.cursor(at: 3, side: .right),
            selection: Selection(anchor: .start(of: TextRef.main.id), head: .end(of: TextRef.main.id)))
        let decoded = try Presence(decoding: presence.encoded())
        #expect(decoded == presence)
        #expect(decoded.cursor?.side == .right)
    }
}

/// Undo steps formed by a capture window: typing in one burst is one step.
@Suite("Undo grouping")
struct UndoGroupingTests {
    @Test("transactions within the window with no caret jump are one step; a pause or a jump starts another")
    func window() throws {
        var document = Document(replica: ReplicaID(deterministicFrom: "undo"))
        var time = Duration.zero
        func type(_ text: String, at position: Int) throws {
            time += .milliseconds(100)
            _ = try document.transact(at: time) { try $0.insert(text, at: position) }
        }
        for (offset, character) in "hello".enumerated() { try type(String(character), at: offset) }
        time += .seconds(1)
        for (offset, character) in " world".enumerated() { try type(String(character), at: 5 + offset) }
        try type("!", at: 0)   // a jump to the start
        try document.undo()
        #expect(document.text() == "hello world")
        try document.undo()
        #expect(document.text() == "hello")
        try document.undo()
        #expect(document.text() == "")
        try document.redo()
        #expect(document.text() == "hello")
    }

    @Test("backspacing right after typing joins the step; stopUndoCapture ends it")
    func backspaceAndStop() throws {
        var document = Document(replica: ReplicaID(deterministicFrom: "undo-2"))
        var time = Duration.zero
        func edit(_ body: (inout Document) throws -> Void) throws {
            time += .milliseconds(50)
            _ = try document.transact(at: time, body)
        }
        try edit { try $0.insert("abc", at: 0) }
        try edit { try $0.delete(2..<3) }
        try edit { try $0.insert("d", at: 2) }
        document.stopUndoCapture()
        try edit { try $0.insert("e", at: 3) }
        try document.undo()
        #expect(document.text() == "abd")
        try document.undo()
        #expect(document.text() == "")
        document.undoCaptureWindow = .zero
        try edit { try $0.insert("x", at: 0) }
        try edit { try $0.insert("y", at: 1) }
        try document.undo()
        #expect(document.text() == "x")
    }
}
