/// A selection between two stable positions: the ``anchor`` where it started and the ``head``
/// where the caret is. A collapsed selection (both at one place) is a caret.
public struct Selection: Hashable, Sendable {
    /// Where the selection started.
    public var anchor: Cursor
    /// Where the caret is.
    public var head: Cursor

    /// A selection from `anchor` to `head`.
    public init(anchor: Cursor, head: Cursor) {
        self.anchor = anchor
        self.head = head
    }

    /// A caret: a collapsed selection at `cursor`.
    public init(caret cursor: Cursor) {
        self.init(anchor: cursor, head: cursor)
    }
}
