import Foundation
import Synchronization
import Testing
@testable import Zinc

/// Text bindings: a view kept in step by deltas, edits at the caret resolved against the live
/// text, selections that follow remote edits.
@Suite("Text bindings", .timeLimit(.minutes(2)))
struct TextBindingTests {
    /// A host and a client, joined, each with the document open.
    func pair(_ name: String) async throws -> (TestTree, DocumentHandle, DocumentHandle) {
        let tree = TestTree()
        let host = try tree.host("inproc://binding-\(name)-host", name: "\(name)-host")
        let client = try tree.host("inproc://binding-\(name)-client", join: ["inproc://binding-\(name)-host"], name: "\(name)-client")
        let hostNotes = try await host.document("notes")
        let clientNotes = try await client.document("notes")
        #expect(try await eventually { try await client.status().link.isJoined })
        return (tree, hostNotes, clientNotes)
    }

    @Test("the view follows local and remote edits; its scalar and UTF-16 deltas rebuild the text")
    func deltasRebuildTheText() async throws {
        let (tree, hostNotes, clientNotes) = try await pair("deltas")
        let binding = try await clientNotes.textBinding()
        let updates = binding.updates()
        let collector = Task {
            var scalars = "", utf16: [UInt16] = []
            for await update in updates {
                scalars = update.delta.applied(to: scalars)
                utf16 = apply(update.utf16Delta, to: utf16)
                if update.view.count == 12 { return (scalars, utf16, update.view) }
            }
            return (scalars, utf16, binding.view)
        }
        try await hostNotes.edit { try $0.insert("héllo 🌍", at: 0) }
        #expect(await eventually { binding.view.count == 7 })
        try await binding.select(TextSelection(caret: 7))
        try await binding.type("!")
        try await hostNotes.edit { try $0.insert(">> ", at: 0) }
        try await binding.type("?")
        let (scalars, utf16, view) = await collector.value
        #expect(scalars == ">> héllo 🌍!?")
        #expect(String(decoding: utf16, as: UTF16.self) == ">> héllo 🌍!?")
        #expect(view.string == ">> héllo 🌍!?" && view.selection == TextSelection(caret: 12))
        #expect(view.utf16Count == 13 && view.utf16Offset(ofScalar: 10) == 11 && view.scalarOffset(ofUTF16: 10) == 9)
        #expect(try await eventually { try await hostNotes.text() == ">> héllo 🌍!?" })
        await tree.shutdown()
    }

    @Test("two users typing at the start and at the end at the same time: each burst lands contiguous and in order")
    func concurrentTypingStaysContiguous() async throws {
        let (tree, hostNotes, clientNotes) = try await pair("contiguous")
        try await hostNotes.edit { try $0.insert("[middle]", at: 0) }
        let start = try await hostNotes.textBinding()
        let end = try await clientNotes.textBinding()
        #expect(await eventually { end.view.count == 8 })
        try await end.select(TextSelection(caret: end.view.count))
        let first = "0123456789 abcdefghij", second = "ABCDEFGHIJ klmnopqrst"
        async let typingAtStart: Void = {
            for character in first { try await start.type(String(character)) }
        }()
        async let typingAtEnd: Void = {
            for character in second { try await end.type(String(character)) }
        }()
        _ = try await (typingAtStart, typingAtEnd)
        let expected = first + "[middle]" + second
        #expect(try await eventually { try await hostNotes.text() == expected })
        #expect(try await eventually { try await clientNotes.text() == expected })
        #expect(start.view.string == expected && end.view.string == expected)
        #expect(start.view.selection == TextSelection(caret: first.count))
        #expect(end.view.selection == TextSelection(caret: expected.count))
        await tree.shutdown()
    }

    @Test("an edit computed against an older view is rebased onto the live text")
    func replaceRebases() async throws {
        let (tree, hostNotes, clientNotes) = try await pair("rebase")
        try await hostNotes.edit { try $0.insert("the quick fox", at: 0) }
        let binding = try await clientNotes.textBinding()
        #expect(await eventually { binding.view.count == 13 })
        let seen = binding.view
        try await hostNotes.edit { try $0.insert("See ", at: 0) }
        #expect(await eventually { binding.view.count == 17 })
        // "quick" in the view the user saw is 4..<9; the live text has moved by four.
        try await binding.replace(4..<9, with: "brown", in: seen)
        #expect(binding.view.string == "See the brown fox")
        #expect(binding.view.selection == TextSelection(caret: 13))
        await tree.shutdown()
    }

    @Test("a caret keeps its place: remote text before it moves it, text typed exactly at it stays behind it")
    func selectionFollowsRemoteEdits() async throws {
        let (tree, hostNotes, clientNotes) = try await pair("selection")
        try await hostNotes.edit { try $0.insert("abcdef", at: 0) }
        let binding = try await clientNotes.textBinding()
        #expect(await eventually { binding.view.count == 6 })
        try await binding.select(TextSelection(anchor: 2, head: 4))
        try await hostNotes.edit { try $0.insert("XY", at: 0) }
        #expect(await eventually { binding.view.selection == TextSelection(anchor: 4, head: 6) })
        try await hostNotes.edit { try $0.insert("--", at: 8) }
        #expect(await eventually { binding.view.count == 10 })
        #expect(binding.view.selection == TextSelection(anchor: 4, head: 6), "text typed after the selection leaves it alone")
        try await hostNotes.edit { try $0.delete(3..<5) }
        #expect(await eventually { binding.view.selection == TextSelection(anchor: 3, head: 4) })
        await tree.shutdown()
    }

    @Test("delete backward and forward take a whole grapheme cluster")
    func graphemeDeletes() async throws {
        let (tree, hostNotes, _) = try await pair("graphemes")
        let binding = try await hostNotes.textBinding()
        try await binding.type("a👩🏽‍💻e\u{301}b")
        #expect(binding.view.count == 8)
        try await binding.select(TextSelection(caret: 7))
        try await binding.deleteBackward()
        #expect(binding.view.string == "a👩🏽‍💻b")
        try await binding.select(TextSelection(caret: 1))
        try await binding.deleteForward()
        #expect(binding.view.string == "ab")
        try await binding.deleteBackward(by: .scalar)
        #expect(binding.view.string == "b" && binding.view.selection == TextSelection(caret: 0))
        await tree.shutdown()
    }

    @Test("other users' carets and selections appear in the view, at their place in the text")
    func peersInTheView() async throws {
        let (tree, hostNotes, clientNotes) = try await pair("peers")
        try await hostNotes.edit { try $0.insert("hello world", at: 0) }
        let mine = try await hostNotes.textBinding()
        let theirs = try await clientNotes.textBinding()
        try await clientNotes.updatePresence { $0.name = "bob"; $0.color = 0x3366FF }
        #expect(await eventually { theirs.view.count == 11 })
        try await theirs.select(TextSelection(anchor: 6, head: 11))
        #expect(await eventually { mine.view.peers.first?.selection == TextSelection(anchor: 6, head: 11) })
        #expect(mine.view.peers.first?.name == "bob" && mine.view.peers.first?.color == 0x3366FF)
        try await mine.type(">> ")
        #expect(await eventually { mine.view.peers.first?.selection == TextSelection(anchor: 9, head: 14) })
        await tree.shutdown()
    }

    @Test("one undo takes back a word typed quickly; a pause or a caret jump starts a new undo step")
    func undoGrouping() async throws {
        // The pauses are explicit (stopUndoCapture, as after the capture window): a wall-clock
        // pause would make the test depend on how busy the machine is. UndoGroupingTests
        // covers the window itself, in injected time.
        let tree = TestTree()
        let host = try tree.host("inproc://binding-undo-host", name: "undo-host") { $0.undoCaptureWindow = .seconds(3600) }
        let hostNotes = try await host.document("notes")
        let binding = try await hostNotes.textBinding()
        for character in "hello" { try await binding.type(String(character)) }
        try await hostNotes.stopUndoCapture()
        for character in " world" { try await binding.type(String(character)) }
        #expect(try await binding.undo())
        #expect(binding.view.string == "hello")
        #expect(binding.view.selection == TextSelection(caret: 5))
        try await hostNotes.stopUndoCapture()
        try await binding.type("!")
        try await binding.select(TextSelection(caret: 0))
        try await binding.type(">")
        #expect(try await binding.undo())
        #expect(binding.view.string == "hello!", "the jump made the second insert a step of its own")
        #expect(try await binding.undo())
        #expect(binding.view.string == "hello")
        #expect(try await binding.redo())
        #expect(binding.view.string == "hello!")
        await tree.shutdown()
    }

    @Test("the endpoint's undo window reaches its documents: zero makes every keystroke a step of its own")
    func undoWindowFromTheEndpoint() async throws {
        let tree = TestTree()
        let host = try tree.host("inproc://binding-window-host", name: "window-host") { $0.undoCaptureWindow = .zero }
        let binding = try await host.document("notes").textBinding()
        for character in "abc" { try await binding.type(String(character)) }
        #expect(try await binding.undo())
        #expect(binding.view.string == "ab")
        await tree.shutdown()
    }

    func apply(_ delta: TextDelta, to units: [UInt16]) -> [UInt16] {
        var units = units
        var position = 0
        for operation in delta.operations {
            switch operation {
            case .retain(let count): position += count
            case .insert(let string):
                units.insert(contentsOf: string.utf16, at: position)
                position += string.utf16.count
            case .delete(let count): units.removeSubrange(position..<position + count)
            }
        }
        return units
    }
}
