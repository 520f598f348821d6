/// Which documents a certificate covers (docs/security.md, "Node certificates"): a document ID,
/// or a prefix followed by one `*` at the end (`wiki/*`, `pub*`; `*` alone covers every
/// document). No other wildcard exists, so what a pattern covers is plain to read.
package struct DocumentPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern's text, 1–255 bytes of UTF-8 without NUL.
    package let text: String

    /// Nil if `text` is not a valid pattern (empty, too long, a NUL, or a `*` before the end).
    package init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 255, !bytes.contains(0),
              !bytes.dropLast().contains(UInt8(ascii: "*"))
        else { return nil }
        self.text = text
    }

    /// Every document.
    package static let all = DocumentPattern(unchecked: "*")

    private init(unchecked text: String) { self.text = text }

    /// True if the pattern covers `document`.
    package func matches(_ document: String) -> Bool {
        if text.utf8.last == UInt8(ascii: "*") {
            return document.utf8.starts(with: text.utf8.dropLast())
        }
        return document == text
    }

    package var description: String { text }

    /// Parses a comma-separated list (`notes,wiki/*`); nil if any entry is invalid.
    package static func list(_ text: String) -> [DocumentPattern]? {
        var patterns: [DocumentPattern] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = entry.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
            guard let pattern = DocumentPattern(String(trimmed)) else { return nil }
            if !patterns.contains(pattern) { patterns.append(pattern) }
        }
        return patterns
    }
}
