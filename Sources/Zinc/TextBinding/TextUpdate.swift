/// One change to a ``TextBinding``'s view: what changed, in the units an editor applies, and
/// the view after it.
public struct TextUpdate: Sendable {
    /// Who made the change: this user through the binding (or another local edit), another
    /// replica, or an undo or redo.
    public var origin: ChangeOrigin
    /// The change in Unicode scalars, against the previous view.
    public var delta: TextDelta
    /// The same change in UTF-16 code units (NSTextStorage, UITextView, browsers).
    public var utf16Delta: TextDelta
    /// The view after the change (its text, selection and the other users' selections).
    public var view: TextView
}

/// How far a backward or forward delete reaches at a caret.
public enum TextUnit: Sendable, Hashable {
    /// One Unicode scalar.
    case scalar
    /// One grapheme cluster: what a user sees as one character (an emoji with its modifiers,
    /// a letter with its accents).
    case grapheme
}
