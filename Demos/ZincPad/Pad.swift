import Foundation
import Zinc

/// The editor: one document's text through a ``TextBinding``. Every key becomes an edit at
/// the caret, resolved by the endpoint against the live text (so typing lands where the caret
/// is while others type elsewhere), and the screen is drawn from the binding's view, which
/// deltas keep in step: no snapshot per keystroke.
final class Pad {
    let endpoint: Endpoint
    let handle: DocumentHandle
    let binding: TextBinding
    let name: String
    let color: UInt32
    let terminal: Terminal

    private var view: TextView
    private var viewport: Viewport
    private var wantedColumn: Int?
    private var status: EndpointStatus?
    private var message = "Ctrl-Q quit · Ctrl-Z undo · Ctrl-Y redo · Ctrl-T history"
    /// The read-only history view, while it is open (Ctrl-T), with its own place on screen.
    private var travel: HistoryBrowser?
    private var travelViewport: Viewport
    /// The binding's updates, read in order: each one's delta keeps the first row on screen
    /// on the same text.
    private var updates: AsyncStream<TextUpdate>.AsyncIterator
    private var lastStatus = ContinuousClock.now - .seconds(1)

    init(endpoint: Endpoint, handle: DocumentHandle, name: String, terminal: Terminal) async throws {
        self.endpoint = endpoint
        self.handle = handle
        self.name = name
        self.terminal = terminal
        color = UInt32(truncatingIfNeeded: name.unicodeScalars.reduce(5381) { ($0 << 5) &+ $0 &+ Int($1.value) })
        binding = try await handle.textBinding()
        // Subscribe, then take the view: every update after it is in the stream.
        updates = binding.updates(bufferingNewest: .max).makeAsyncIterator()
        view = binding.view
        viewport = Viewport(columns: max(terminal.columns, 4), rows: max(terminal.rows - 2, 1))
        travelViewport = viewport
    }

    func run() async throws {
        let (name, color) = (self.name, self.color)
        try await handle.updatePresence { presence in
            presence.name = name
            presence.color = color
        }
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
        binding.close()
    }

    private var caret: Int { view.selection.head }

    // MARK: - Keys

    /// Applies a key; false to quit.
    private func handle(_ key: Terminal.Key) async throws -> Bool {
        if travel != nil { return try await handleInHistory(key) }
        switch key {
        case .control(17), .control(3): return false                       // Ctrl-Q, Ctrl-C
        case .control(20): try await openHistory()                          // Ctrl-T
        case .control(26): try await undo(redo: false)                      // Ctrl-Z
        case .control(25): try await undo(redo: true)                       // Ctrl-Y
        case .character(let character): try await edit { try await $0.type(String(character)) }
        case .enter: try await edit { try await $0.type("\n") }
        case .backspace: try await edit { try await $0.deleteBackward() }
        case .delete: try await edit { try await $0.deleteForward() }
        case .left: try await move(to: view.graphemeBoundary(before: caret))
        case .right: try await move(to: view.graphemeBoundary(after: caret))
        case .up, .down, .pageUp, .pageDown:
            let line = viewport.line(caret, in: view)
            let column = wantedColumn ?? line.cell(at: caret).column
            let page = max(viewport.rows - 1, 1)
            let rows = key == .up ? -1 : key == .down ? 1 : key == .pageUp ? -page : page
            try await move(to: viewport.move(caret, byRows: rows, column: column, in: view), keepColumn: column)
        case .home, .end:
            let line = viewport.line(caret, in: view)
            let bounds = line.rowBounds(line.cell(at: caret).row)
            try await move(to: key == .home ? bounds.start : bounds.end)
        case .documentStart: try await move(to: 0)
        case .documentEnd: try await move(to: view.count)
        case .resize: resize()
        case .control: break
        }
        return true
    }

    private func resize() {
        viewport = Viewport(top: viewport.top, columns: max(terminal.columns, 4), rows: max(terminal.rows - 2, 1))
        travelViewport = Viewport(top: travelViewport.top, columns: viewport.columns, rows: viewport.rows)
    }

    // MARK: - History

    private func openHistory() async throws {
        guard let browser = try await HistoryBrowser.open(handle) else {
            message = "no history yet"
            return
        }
        travel = browser
        travelViewport.top = 0
    }

    /// Keys while the history is open: arrows step through transactions, nothing edits.
    private func handleInHistory(_ key: Terminal.Key) async throws -> Bool {
        guard var browser = travel else { return true }
        switch key {
        case .control(17), .control(3): return false
        case .control(20), .control(27):                                    // Ctrl-T, Esc: back to live
            travel = nil
            message = "live"
            return true
        case .left, .up: try await browser.step(by: -1, in: handle)
        case .right, .down: try await browser.step(by: 1, in: handle)
        case .pageUp: try await browser.step(by: -10, in: handle)
        case .pageDown: try await browser.step(by: 10, in: handle)
        case .home, .documentStart: try await browser.show(0, in: handle)
        case .end, .documentEnd: try await browser.show(browser.entries.count - 1, in: handle)
        case .resize: resize()
        default: message = "read-only: Ctrl-T returns to the live text"
        }
        travel = browser
        return true
    }

    private func edit(_ body: (TextBinding) async throws -> Void) async throws {
        wantedColumn = nil
        do {
            try await body(binding)
        } catch let error as EndpointError {
            throw error
        } catch {
            message = "edit refused: \(error)"
        }
        await catchUp()
    }

    private func undo(redo: Bool) async throws {
        let done = redo ? try await binding.redo() : try await binding.undo()
        message = done ? (redo ? "redone" : "undone") : (redo ? "nothing to redo" : "nothing to undo")
        await catchUp()
    }

    private func move(to offset: Int, keepColumn: Int? = nil) async throws {
        wantedColumn = keepColumn
        try await binding.select(TextSelection(caret: min(max(offset, 0), view.count)), in: view)
        await catchUp()
    }

    // MARK: - Remote state

    /// Applies the updates up to the binding's latest view (every one of them is already in
    /// the stream: the binding yields an update before its view shows it).
    private func catchUp() async {
        let latest = binding.view.version
        while view.version < latest, let update = await updates.next() {
            guard update.view.version > view.version else { continue }
            viewport.top = update.delta.map(viewport.top)
            view = update.view
        }
    }

    /// Pulls remote changes and status; true if anything on screen changed.
    private func refresh() async throws -> Bool {
        var dirty = false
        if binding.view.version != view.version {
            await catchUp()
            dirty = true
        }
        let now = ContinuousClock.now
        if now - lastStatus > .milliseconds(250) {
            lastStatus = now
            let status = try await endpoint.status()
            if status != self.status { self.status = status; dirty = true }
        }
        return dirty
    }

    // MARK: - Drawing

    private func draw() {
        if let travel {
            draw(travel.view, in: &travelViewport)
        } else {
            draw(view, in: &viewport)
        }
    }

    private func draw(_ view: TextView, in viewport: inout Viewport) {
        let caret = view.selection.head
        viewport.reveal(caret, in: view)
        let screen = viewport.screen(in: view)
        terminal.clear()
        for glyph in screen.glyphs where !glyph.isNewline && glyph.cell.row < viewport.rows {
            terminal.put(glyph.text, row: glyph.cell.row, column: glyph.cell.column)
        }
        // Other people's carets: a coloured cell where each one is.
        for peer in view.peers {
            let position = peer.selection.head
            guard position >= viewport.top, position <= screen.endOffset else { continue }
            let place = screen.cell(at: position)
            guard place.row < viewport.rows else { continue }
            let under = screen.glyphIndex(at: position).map { screen.glyphs[$0] }
            let glyph = under.flatMap { $0.isNewline ? nil : $0.text } ?? " "
            terminal.put(glyph, row: place.row, column: place.column, attributes: Terminal.pair(colorIndex(peer.color) + 1))
        }
        drawStatus()
        let cell = screen.cell(at: caret)
        terminal.moveCursor(row: min(cell.row, viewport.rows - 1), column: min(cell.column, terminal.columns - 1))
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
        line += " · \((travel?.view ?? view).count) chars"
        terminal.put(line.padding(toLength: max(terminal.columns, 1), withPad: " ", startingAt: 0), row: row, column: 0, attributes: Terminal.pair(20))
        if let travel {
            terminal.put("\(travel.status) · read-only: ←/→ step · Home/End · Ctrl-T live", row: row + 1, column: 0)
            return
        }
        terminal.put("users:", row: row + 1, column: 0)
        var column = 7
        terminal.put(" \(name) (you)", row: row + 1, column: column)
        column += name.count + 7
        for peer in view.peers {
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
