/// Stable positions: making cursors, resolving them, and editing at them. An edit at a cursor
/// is resolved inside the transaction against the live document, so it lands where the
/// cursor's owner meant it even when remote edits moved everything since the cursor was made.
extension Document {
    /// A cursor at visible `position` of a text or list (clamped to the container).
    ///
    /// - Complexity: O(log n).
    package func cursor(at position: Int, in container: ContainerID, side: Cursor.Side = .left) -> Cursor {
        guard let slot = existingSlot(container) else {
            return side == .left ? .start(of: container) : .end(of: container)
        }
        let count = sequences[slot].visibleCount
        let clamped = min(max(position, 0), count)
        switch side {
        case .left:
            guard clamped > 0 else { return .start(of: container) }
            return Cursor(container: container, anchor: opID(visibleItem(clamped - 1, slot: slot)), side: .left)
        case .right:
            guard clamped < count else { return .end(of: container) }
            return Cursor(container: container, anchor: opID(visibleItem(clamped, slot: slot)), side: .right)
        }
    }

    /// A cursor at scalar `position` of a text.
    public func cursor(at position: Int, in text: TextRef = .main, side: Cursor.Side = .left) -> Cursor {
        cursor(at: position, in: text.id, side: side)
    }

    /// A selection from `anchor` to `head` (scalar offsets) in a text. The end that comes first
    /// keeps to its right and the later end to its left, so text typed at either edge by
    /// someone else stays outside the selection.
    public func selection(from anchor: Int, to head: Int, in text: TextRef = .main) -> Selection {
        guard anchor != head else { return Selection(caret: cursor(at: head, in: text)) }
        let (first, second): (Cursor.Side, Cursor.Side) = anchor < head ? (.right, .left) : (.left, .right)
        return Selection(anchor: cursor(at: anchor, in: text, side: first), head: cursor(at: head, in: text, side: second))
    }

    /// Where `cursor` is now, as a visible position; `nil` if this document does not hold the
    /// item it is anchored to (a cursor from a replica whose edits have not arrived yet).
    ///
    /// - Complexity: O(log n).
    public func position(of cursor: Cursor) -> Int? {
        let slot = existingSlot(cursor.container)
        guard let anchor = cursor.anchor else {
            return cursor.side == .left ? 0 : slot.map { sequences[$0].visibleCount } ?? 0
        }
        guard let slot, let item = itemID(anchor), let location = sequences[slot].locate(item),
              let before = sequences[slot].visibleIndex(of: item)
        else { return nil }
        let visible = !sequences[slot].leaves[Int(location.leaf)].runs[location.run].isDeleted
        return cursor.side == .left && visible ? before + 1 : before
    }

    /// The visible range a selection covers now (`nil` if either end is unknown here).
    public func range(of selection: Selection) -> Range<Int>? {
        guard let anchor = position(of: selection.anchor), let head = position(of: selection.head) else { return nil }
        return min(anchor, head)..<max(anchor, head)
    }

    // MARK: - Editing at cursors

    /// Inserts `string` at `cursor`, resolved against this document now, and returns a caret
    /// right after the inserted text (keeping to it, so typing can continue there).
    @discardableResult
    public mutating func insert(_ string: String, at cursor: Cursor) throws(DocumentError) -> Cursor {
        let text = try textRef(cursor.container)
        let position = try resolve(cursor)
        try insert(string, at: position, in: text)
        return self.cursor(at: position + string.unicodeScalars.count, in: text)
    }

    /// Deletes the text between two cursors (in either order), resolved now.
    package mutating func delete(from start: Cursor, to end: Cursor) throws(DocumentError) {
        let text = try textRef(start.container)
        guard end.container == start.container else {
            throw DocumentError(.invalidOperation, "the two cursors are in different containers")
        }
        let a = try resolve(start), b = try resolve(end)
        try delete(min(a, b)..<max(a, b), in: text)
    }

    /// Replaces the selected text with `string` (typing over a selection, or at a caret) and
    /// returns the caret after the new text.
    @discardableResult
    public mutating func replace(_ selection: Selection, with string: String) throws(DocumentError) -> Selection {
        let text = try textRef(selection.head.container)
        guard let range = range(of: selection) else {
            throw DocumentError(.invalidOperation, "the selection is anchored to text this replica does not hold")
        }
        try delete(range, in: text)
        try insert(string, at: range.lowerBound, in: text)
        return Selection(caret: cursor(at: range.lowerBound + string.unicodeScalars.count, in: text))
    }

    private func textRef(_ container: ContainerID) throws(DocumentError) -> TextRef {
        guard let text = TextRef(container) else {
            throw DocumentError(.typeMismatch, "a text edit at a cursor in a \(container.type)")
        }
        return text
    }

    private func resolve(_ cursor: Cursor) throws(DocumentError) -> Int {
        guard let position = position(of: cursor) else {
            throw DocumentError(.invalidOperation, "the cursor is anchored to an item this replica does not hold")
        }
        return position
    }

    /// The ID of the visible item at `position` of sequence `slot`.
    func visibleItem(_ position: Int, slot: Int) -> ItemID {
        let location = sequences[slot].locateVisible(position)
        return sequences[slot].leaves[Int(location.leaf)].runs[location.run].id.advanced(by: location.offset)
    }
}
