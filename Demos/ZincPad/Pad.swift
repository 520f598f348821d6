import Foundation
import Synchronization
import Zinc
import ZincCore
import ZincProtocol

/// The editor: a local view of one document (text, cursor, scroll), kept in step with the
/// endpoint's replica. Every key becomes a local edit applied at once (so typing never waits
/// for the network, connected or not); remote changes and presence are pulled in between keys.
final class Pad {
    let endpoint: Endpoint
    let handle: DocumentHandle
    let name: String
    let color: UInt32
    let terminal: Terminal

    private var document: Document
    private var layout: TextLayout
    /// The cursor as a scalar offset, and as a stable anchor that survives remote edits.
    private var cursor = 0
    private var anchor: Cursor
    private var wantedColumn: Int?
    private var top = 0
    private var peers: [Presence] = []
    private var status: EndpointStatus?
    private var message = "Ctrl-Q quit · Ctrl-Z undo · Ctrl-Y redo"
    private let changed = ChangeFlag()
    private var lastStatus = ContinuousClock.now - .seconds(1)
    private var lastPresence = ContinuousClock.now - .seconds(1)
    private var presenceDirty = true

    init(endpoint: Endpoint, handle: DocumentHandle, name: String, terminal: Terminal) async throws {
        self.endpoint = endpoint
        self.handle = handle
        self.name = name
        self.terminal = terminal
        color = UInt32(truncatingIfNeeded: name.unicodeScalars.reduce(5381) { ($0 << 5) &+ $0 &+ Int($1.value) })
        document = try await handle.snapshot()
        layout = TextLayout(text: document.text(), columns: terminal.columns)
        anchor = document.cursor(at: 0)
    }

    func run() async throws {
        let changes = try await handle.changes()
        let flag = changed
        let watcher = Task { for await _ in changes { flag.set(true) } }
        defer { watcher.cancel() }
        draw()
        while true {
            if let key = terminal.readKey() {
                if try await handle(key) == false { break }
                draw()
                continue
            }
            if try await refresh() { draw() }
        }
        try? await handle.updatePresence { $0.isLeaving = true }
    }

    // MARK: - Keys

    /// Applies a key; false to quit.
    private func handle(_ key: Terminal.Key) async throws -> Bool {
        switch key {
        case .control(17), .control(3): return false                       // Ctrl-Q, Ctrl-C
        case .control(26): try await undo(redo: false)                      // Ctrl-Z
        case .control(25): try await undo(redo: true)                       // Ctrl-Y
        case .character(let character): try await insert(String(character))
        case .enter: try await insert("\n")
        case .backspace:
            guard cursor > 0 else { break }
            let start = layout.previous(cursor)
            try await delete(start..<cursor, cursorAfter: start)
        case .delete:
            guard cursor < layout.scalarCount else { break }
            try await delete(cursor..<layout.next(cursor), cursorAfter: cursor)
        case .left: move(to: layout.previous(cursor))
        case .right: move(to: layout.next(cursor))
        case .up, .down, .pageUp, .pageDown:
            let cell = layout.cell(at: cursor)
            let column = wantedColumn ?? cell.column
            let page = max(textRows - 1, 1)
            let delta = key == .up ? -1 : key == .down ? 1 : key == .pageUp ? -page : page
            move(to: layout.offset(row: cell.row + delta, column: column), keepColumn: column)
        case .home: move(to: layout.rowBounds(layout.cell(at: cursor).row).start)
        case .end: move(to: layout.rowBounds(layout.cell(at: cursor).row).end)
        case .documentStart: move(to: 0)
        case .documentEnd: move(to: layout.scalarCount)
        case .resize: layout = TextLayout(text: document.text(), columns: terminal.columns)
        case .control: break
        }
        return true
    }

    private func insert(_ text: String) async throws {
        let position = cursor
        try await edit { try $0.insert(text, at: position) }
        cursor = position + text.unicodeScalars.count
        settle()
    }

    private func delete(_ range: Range<Int>, cursorAfter: Int) async throws {
        try await edit { try $0.delete(range) }
        cursor = cursorAfter
        settle()
    }

    private func edit(_ body: @escaping @Sendable (inout Document) throws -> Void) async throws {
        do {
            try await handle.edit(body)
        } catch {
            message = "edit refused: \(error)"
        }
        try await reload()
    }

    private func undo(redo: Bool) async throws {
        let result = redo ? try await handle.redo() : try await handle.undo()
        try await reload()
        if let target = result?.cursor { cursor = document.position(of: target) ?? cursor }
        message = result == nil ? (redo ? "nothing to redo" : "nothing to undo") : (redo ? "redone" : "undone")
        settle()
    }

    private func move(to offset: Int, keepColumn: Int? = nil) {
        cursor = min(max(offset, 0), layout.scalarCount)
        settle(keepColumn: keepColumn)
    }

    /// After a cursor change: new anchor, scroll to show it, share it.
    private func settle(keepColumn: Int? = nil) {
        wantedColumn = keepColumn
        anchor = document.cursor(at: cursor)
        presenceDirty = true
    }

    // MARK: - Remote state

    private func reload() async throws {
        changed.set(false)
        document = try await handle.snapshot()
        layout = TextLayout(text: document.text(), columns: terminal.columns)
        cursor = min(document.position(of: anchor) ?? cursor, layout.scalarCount)
    }

    /// Pulls remote changes, presence and status; true if anything on screen changed.
    private func refresh() async throws -> Bool {
        var dirty = false
        if changed.isSet {
            try await reload()
            dirty = true
        }
        let now = ContinuousClock.now
        if presenceDirty || now - lastPresence > .seconds(5) {
            presenceDirty = false
            lastPresence = now
            let cursorAnchor = anchor, name = self.name, color = self.color
            try await handle.updatePresence { presence in
                presence.name = name
                presence.color = color
                presence.cursor = cursorAnchor
            }
        }
        if now - lastStatus > .milliseconds(250) {
            lastStatus = now
            let peers = try await handle.presence().filter { !$0.isLeaving }
            if peers != self.peers { self.peers = peers; dirty = true }
            let status = try await endpoint.status()
            if status != self.status { self.status = status; dirty = true }
        }
        return dirty
    }

    // MARK: - Drawing

    private var textRows: Int { max(terminal.rows - 2, 1) }

    private func draw() {
        let cell = layout.cell(at: cursor)
        if cell.row < top { top = cell.row }
        if cell.row >= top + textRows { top = cell.row - textRows + 1 }
        terminal.clear()
        for glyph in layout.glyphs where !glyph.isNewline && glyph.cell.row >= top && glyph.cell.row < top + textRows {
            terminal.put(glyph.text, row: glyph.cell.row - top, column: glyph.cell.column)
        }
        // Other people's cursors: a coloured cell where each one is.
        for peer in peers {
            guard let anchor = peer.cursor else { continue }
            guard let position = document.position(of: anchor) else { continue }
            let place = layout.cell(at: position)
            guard place.row >= top, place.row < top + textRows else { continue }
            let under = layout.glyphIndex(at: position).map { layout.glyphs[$0] }
            let glyph = under.flatMap { $0.isNewline ? nil : $0.text } ?? " "
            terminal.put(glyph, row: place.row - top, column: place.column, attributes: Terminal.pair(colorIndex(peer.color) + 1))
        }
        drawStatus()
        terminal.moveCursor(row: cell.row - top, column: min(cell.column, terminal.columns - 1))
        terminal.refresh()
    }

    private func drawStatus() {
        let row = terminal.rows - 2
        var line = " \(name) · \(handle.id)"
        if let status {
            let parent = status.parent.map { " parent \($0.shortDescription)" } ?? ""
            let link = status.role == .root ? "root" : status.link.isJoined ? "connected" : "offline: \(status.link)"
            line += " · node \(status.name ?? status.id.shortDescription) \(status.role.rawValue)\(parent) · \(link) · children \(status.children.count) · term \(status.term) · Lamport \(status.lamport)"
        }
        line += " · \(document.length()) chars"
        terminal.put(line.padding(toLength: max(terminal.columns, 1), withPad: " ", startingAt: 0), row: row, column: 0, attributes: Terminal.pair(20))
        var column = 1
        terminal.put("users:", row: row + 1, column: 0)
        column = 7
        terminal.put(" \(name) (you)", row: row + 1, column: column)
        column += name.count + 7
        for peer in peers {
            let label = " \(peer.name.isEmpty ? String(peer.replica.description.prefix(6)) : peer.name)"
            terminal.put(label, row: row + 1, column: column, attributes: Terminal.pair(colorIndex(peer.color) + 11))
            column += label.count + 1
        }
        if column + message.count + 3 < terminal.columns {
            terminal.put(message, row: row + 1, column: terminal.columns - message.count - 1)
        }
    }

    private func colorIndex(_ color: UInt32) -> Int { Int(color % UInt32(Terminal.colors.count)) }
}

/// Set by the change watcher's task, read by the editor loop.
final class ChangeFlag: Sendable {
    private let value = Atomic<Bool>(true)
    func set(_ flag: Bool) { value.store(flag, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}
