/// A selection in a ``TextView``, as scalar offsets: the ``anchor`` where it started and the
/// ``head`` where the caret is. Equal ends make a caret.
public struct TextSelection: Hashable, Sendable {
    /// Where the selection started.
    public var anchor: Int
    /// Where the caret is.
    public var head: Int

    /// A selection from `anchor` to `head` (scalar offsets).
    public init(anchor: Int, head: Int) {
        self.anchor = anchor
        self.head = head
    }

    /// A caret at `offset`.
    public init(caret offset: Int) {
        self.init(anchor: offset, head: offset)
    }

    /// The selected range (empty for a caret).
    public var range: Range<Int> { min(anchor, head)..<max(anchor, head) }

    /// Where both ends are after `delta`: a caret keeps to the text before it (someone
    /// typing exactly there types after it); a selection's edges keep out text inserted at
    /// them.
    func mapped(through delta: TextDelta) -> TextSelection {
        guard anchor != head else { return TextSelection(caret: delta.map(head)) }
        let anchorFirst = anchor < head
        return TextSelection(anchor: delta.map(anchor, sticksRight: anchorFirst), head: delta.map(head, sticksRight: !anchorFirst))
    }

    /// Clamped into a text of `count` scalars.
    func clamped(to count: Int) -> TextSelection {
        TextSelection(anchor: min(max(anchor, 0), count), head: min(max(head, 0), count))
    }
}
