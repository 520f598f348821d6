/// A position in a text or list that stays put while others edit.
///
/// A cursor is anchored to an item rather than to an index, so it survives remote edits: text
/// inserted or deleted elsewhere moves it along, and deleting its anchor leaves it where the
/// anchor was. Resolve it against the live document with ``Document/position(of:)`` (or edit
/// at it directly with ``Document/insert(_:at:)-(_,Cursor)``), never against a stale copy.
///
/// ```swift
/// var document = Document()
/// try document.insert("Hello world", at: 0)
/// let cursor = document.cursor(at: 6)      // before "world"
/// try document.insert("big ", at: 0)        // someone types in front of it
/// document.position(of: cursor)             // 10: still before "world"
/// ```
public struct Cursor: Hashable, Sendable {
    /// Which neighbour a cursor keeps to when text is inserted exactly where it is.
    public enum Side: Hashable, Sendable {
        /// Keeps to the item on its left: text inserted at the cursor lands after it (a caret
        /// stays where its owner was typing; the end of a selection does not grow).
        case left
        /// Keeps to the item on its right: text inserted at the cursor lands before it (the
        /// start of a selection does not grow).
        case right
    }

    /// The container the cursor is in.
    public let container: ContainerID
    /// The item the cursor keeps to: the one before it (``Side/left``) or after it
    /// (``Side/right``); `nil` for the start (left) or the end (right) of the container.
    package let anchor: OpID?
    /// Which neighbour the cursor keeps to.
    public let side: Side

    package init(container: ContainerID, anchor: OpID?, side: Side = .left) {
        self.container = container
        self.anchor = anchor
        self.side = side
    }

    /// The start of `container` (a left cursor: text inserted at the start lands after it).
    public static func start(of container: ContainerID) -> Cursor {
        Cursor(container: container, anchor: nil, side: .left)
    }

    /// The end of `container` (a right cursor: text appended at the end lands before it).
    public static func end(of container: ContainerID) -> Cursor {
        Cursor(container: container, anchor: nil, side: .right)
    }
}
