import CNCurses

/// Where each grapheme of a piece of text goes on a screen `columns` wide: wrapped lines,
/// display widths (CJK and emoji take two cells), and the mapping between Unicode-scalar
/// offsets (the document's positions, from `base`) and screen cells. The pad lays out only
/// what it needs (the screen, one line), never the whole document.
struct TextLayout {
    struct Cell: Equatable {
        var row: Int
        var column: Int
    }

    struct Glyph {
        var text: String
        var scalarStart: Int
        var scalarCount: Int
        var cell: Cell
        var width: Int
        var isNewline: Bool
    }

    let columns: Int
    private(set) var glyphs: [Glyph] = []
    /// The cell right after the last glyph (where the cursor goes at the end).
    private(set) var end = Cell(row: 0, column: 0)
    private(set) var scalarCount = 0

    init(text: String, columns: Int, base: Int = 0) {
        self.columns = max(columns, 4)
        var row = 0, column = 0, scalar = base
        for character in text {
            let count = character.unicodeScalars.count
            if character == "\n" || character == "\r\n" {
                glyphs.append(Glyph(text: "", scalarStart: scalar, scalarCount: count, cell: Cell(row: row, column: column), width: 0, isNewline: true))
                row += 1
                column = 0
            } else {
                let width = Self.width(of: character)
                if column + width > self.columns {
                    row += 1
                    column = 0
                }
                glyphs.append(Glyph(text: character == "\t" ? " " : String(character), scalarStart: scalar, scalarCount: count, cell: Cell(row: row, column: column), width: width, isNewline: false))
                column += width
            }
            scalar += count
        }
        end = Cell(row: row, column: column)
        scalarCount = scalar
        self.base = base
    }

    /// The offset of the first scalar laid out.
    let base: Int

    var rowCount: Int { end.row + 1 }

    /// Display width of a grapheme: emoji presentation and wide East Asian characters take two
    /// cells, combining marks none (they ride on their base).
    static func width(of character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        if character.unicodeScalars.contains(where: { $0.properties.isEmojiPresentation })
            || (character.unicodeScalars.count > 1 && character.unicodeScalars.contains { $0.value == 0xFE0F }) {
            return 2
        }
        let width = Int(zinc_wcwidth(first.value))
        return width < 0 ? 1 : max(width, 1)
    }

    /// The offset where the laid-out text ends.
    var endOffset: Int { scalarCount }

    /// The index of the glyph starting at `scalar`, or nil at the end.
    func glyphIndex(at scalar: Int) -> Int? {
        var low = 0, high = glyphs.count
        while low < high {
            let middle = (low + high) / 2
            if glyphs[middle].scalarStart < scalar { low = middle + 1 } else { high = middle }
        }
        return low < glyphs.count ? low : nil
    }

    /// The cell of the cursor at `scalar` (snapped to a grapheme boundary).
    func cell(at scalar: Int) -> Cell {
        guard let index = glyphIndex(at: scalar) else { return end }
        return glyphs[index].cell
    }

    /// The offset on `row` closest to `column` (the end of the row if it is shorter).
    func offset(row: Int, column: Int) -> Int {
        let target = min(max(row, 0), end.row)
        var best: Int?
        for glyph in glyphs where glyph.cell.row == target {
            if glyph.cell.column <= column { best = glyph.scalarStart }
            if glyph.cell.column > column { break }
            if glyph.isNewline { break }
        }
        if let best { return best }
        // An empty row: the newline that ends it, or the end of the text.
        return glyphs.first { $0.cell.row == target }?.scalarStart ?? scalarCount
    }

    /// The start and end offsets of the visual row `row`.
    func rowBounds(_ row: Int) -> (start: Int, end: Int) {
        let inRow = glyphs.filter { $0.cell.row == row }
        guard let first = inRow.first, let last = inRow.last else { return (scalarCount, scalarCount) }
        return (first.scalarStart, last.isNewline ? last.scalarStart : last.scalarStart + last.scalarCount)
    }
}
