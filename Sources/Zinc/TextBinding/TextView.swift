import _RopeModule

/// What a ``TextBinding`` shows at one moment: the text, the local selection and the other
/// users' selections, all in the same coordinates. A value: keep it as long as you like; the
/// binding's next update makes a new one.
///
/// Offsets are Unicode scalars, Zinc's unit. The conversions to UTF-16 (platform text views)
/// and grapheme boundaries (terminals, caret movement) cost O(log n).
public struct TextView: Sendable {
    /// Increases with every update the binding applies.
    public let version: UInt64
    /// The local user's selection.
    public var selection: TextSelection
    /// The other users' selections, ordered by replica.
    public var peers: [PeerSelection]
    var rope: BigString

    init(version: UInt64, rope: BigString, selection: TextSelection, peers: [PeerSelection]) {
        self.version = version
        self.rope = rope
        self.selection = selection
        self.peers = peers
    }

    /// A view of fixed text with no other users (version 0): a past version
    /// (``Document/at(_:)``) or a preview, drawn by the same code as the live view.
    public init(_ string: String, selection: TextSelection = TextSelection(caret: 0)) {
        let rope = BigString(string)
        self.init(version: 0, rope: rope, selection: selection.clamped(to: rope.unicodeScalars.count), peers: [])
    }

    /// The length in Unicode scalars.
    public var count: Int { rope.unicodeScalars.count }

    /// The length in UTF-16 code units.
    public var utf16Count: Int { rope.utf16.count }

    /// The whole text. O(n): prefer ``string(in:)`` to draw what is on screen.
    public var string: String { String(rope) }

    /// The scalars in `range` (clamped to the text) as a string.
    ///
    /// - Complexity: O(log n + k) for k scalars.
    public func string(in range: Range<Int>) -> String {
        let lower = index(ofScalar: range.lowerBound), upper = index(ofScalar: range.upperBound)
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: rope.unicodeScalars[lower..<upper])
        return String(scalars)
    }

    /// The UTF-16 offset of scalar offset `offset`.
    public func utf16Offset(ofScalar offset: Int) -> Int {
        rope.utf16.distance(from: rope.startIndex, to: index(ofScalar: offset))
    }

    /// The scalar offset of UTF-16 offset `offset` (inside a surrogate pair: the pair's start).
    public func scalarOffset(ofUTF16 offset: Int) -> Int {
        let clamped = min(max(offset, 0), utf16Count)
        let index = rope.unicodeScalars.index(roundingDown: rope.utf16.index(rope.startIndex, offsetBy: clamped))
        return rope.unicodeScalars.distance(from: rope.startIndex, to: index)
    }

    /// The start of the grapheme cluster (user-perceived character) before `offset`, or 0.
    /// Moving a caret left, or deleting backwards, goes here.
    public func graphemeBoundary(before offset: Int) -> Int {
        guard offset > 0 else { return 0 }
        let index = rope.index(before: rope.index(roundingUp: self.index(ofScalar: offset)))
        return rope.unicodeScalars.distance(from: rope.startIndex, to: index)
    }

    /// The end of the grapheme cluster that starts at or covers `offset`, or the end.
    public func graphemeBoundary(after offset: Int) -> Int {
        guard offset < count else { return count }
        let index = rope.index(after: rope.index(roundingDown: self.index(ofScalar: offset)))
        return rope.unicodeScalars.distance(from: rope.startIndex, to: index)
    }

    func index(ofScalar offset: Int) -> BigString.Index {
        rope.unicodeScalars.index(rope.startIndex, offsetBy: min(max(offset, 0), count))
    }
}

/// Another user's place in a ``TextView``.
public struct PeerSelection: Hashable, Sendable {
    /// The user's replica.
    public var replica: ReplicaID
    /// The name and colour (0xRRGGBB) the user shares.
    public var name: String
    /// The colour the user shares, 0xRRGGBB.
    public var color: UInt32
    /// Where the user's selection is, in the view's scalar offsets.
    public var selection: TextSelection
}
