import Zinc

/// The part of the text on screen, and moving the caret by rows. Everything here reads the
/// binding's view around the caret or the screen (a line, a screenful), never the whole
/// document, so a keystroke costs the same in a 1 KB and a 1 MB document.
struct Viewport {
    /// The offset of the first scalar on screen: always the start of a visual row.
    var top = 0
    var columns: Int
    var rows: Int

    /// The most scalars read back or forward to find a line's bounds (a longer line is cut
    /// there, only for layout).
    static let scanLimit = 1 << 16

    /// Where the logical line holding `offset` starts (after the newline before it).
    static func lineStart(_ offset: Int, in view: TextView) -> Int {
        var end = offset
        while end > 0 {
            let start = max(0, end - 512, offset - scanLimit)
            let piece = Array(view.string(in: start..<end).unicodeScalars)
            if let newline = piece.lastIndex(of: "\n") { return start + newline + 1 }
            if start == 0 || start == offset - scanLimit { return start }
            end = start
        }
        return 0
    }

    /// Where the logical line holding `offset` ends (at its newline, or the text's end).
    static func lineEnd(_ offset: Int, in view: TextView) -> Int {
        var start = offset
        while start < view.count {
            let end = min(view.count, start + 512, offset + scanLimit)
            let piece = Array(view.string(in: start..<end).unicodeScalars)
            if let newline = piece.firstIndex(of: "\n") { return start + newline }
            if end == view.count || end == offset + scanLimit { return end }
            start = end
        }
        return view.count
    }

    /// The wrapped layout of the logical line holding `offset`.
    func line(_ offset: Int, in view: TextView) -> TextLayout {
        let start = Self.lineStart(offset, in: view)
        return TextLayout(text: view.string(in: start..<Self.lineEnd(offset, in: view)), columns: columns, base: start)
    }

    /// The screen's text laid out from ``top``.
    func screen(in view: TextView) -> TextLayout {
        TextLayout(text: view.string(in: top..<min(view.count, top + rows * columns * 2 + 2)), columns: columns, base: top)
    }

    /// The start of the visual row that holds `offset`.
    func rowStart(_ offset: Int, in view: TextView) -> Int {
        let layout = line(offset, in: view)
        return layout.rowBounds(layout.cell(at: offset).row).start
    }

    /// The offset a row up (negative `by`) or down from `offset`, at `column`.
    func move(_ offset: Int, byRows delta: Int, column: Int, in view: TextView) -> Int {
        var offset = offset
        for _ in 0..<abs(delta) {
            let layout = line(offset, in: view)
            let row = layout.cell(at: offset).row
            if delta < 0 {
                if row > 0 { offset = layout.offset(row: row - 1, column: column); continue }
                guard layout.base > 0 else { return 0 }
                let previous = line(layout.base - 1, in: view)
                offset = previous.offset(row: previous.end.row, column: column)
            } else {
                if row < layout.end.row { offset = layout.offset(row: row + 1, column: column); continue }
                guard layout.endOffset < view.count else { return view.count }
                let next = line(layout.endOffset + 1, in: view)
                offset = next.offset(row: 0, column: column)
            }
        }
        return offset
    }

    /// Scrolls so the caret is on screen, keeping ``top`` on a row start.
    mutating func reveal(_ caret: Int, in view: TextView) {
        top = min(top, view.count)
        top = rowStart(top, in: view)
        if caret < top {
            top = rowStart(caret, in: view)
            return
        }
        let screen = screen(in: view)
        let row = caret >= screen.endOffset && screen.endOffset < view.count ? rows : screen.cell(at: caret).row
        guard row >= rows else { return }
        // Walk up from the caret's row until a screenful of rows sits above it.
        var start = rowStart(caret, in: view)
        for _ in 0..<(rows - 1) {
            guard start > 0 else { break }
            start = rowStart(move(start, byRows: -1, column: 0, in: view), in: view)
        }
        top = start
    }
}
