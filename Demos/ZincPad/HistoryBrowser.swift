import Zinc

/// The pad's read-only history view: the document's transactions one at a time, each shown as
/// the text was right after it (``Document/at(_:)``), with the caret where it changed the text.
struct HistoryBrowser {
    let entries: [HistoryEntry]
    private(set) var index: Int
    private(set) var view: TextView

    /// The history of `handle`'s document, at its last transaction; nil if it has none.
    static func open(_ handle: DocumentHandle) async throws -> HistoryBrowser? {
        let entries = try await handle.read { $0.history() }
        guard let last = entries.indices.last else { return nil }
        return HistoryBrowser(entries: entries, index: last, view: try await view(at: last, of: entries, in: handle))
    }

    /// Moves by `steps` transactions (clamped to the history).
    mutating func step(by steps: Int, in handle: DocumentHandle) async throws {
        try await show(index + steps, in: handle)
    }

    mutating func show(_ target: Int, in handle: DocumentHandle) async throws {
        let target = min(max(target, 0), entries.count - 1)
        guard target != index else { return }
        view = try await Self.view(at: target, of: entries, in: handle)
        index = target
    }

    /// Who made the transaction on screen and when, for the status line.
    var status: String {
        let entry = entries[index]
        let operations = entry.operations.count == 1 ? "1 operation" : "\(entry.operations.count) operations"
        return "history \(index + 1)/\(entries.count) · \(entry.author.shortDescription) · \(operations) · Lamport \(entry.lamport.upperBound)"
    }

    /// The text right after entry `index`, the caret at its first change to the text.
    private static func view(at index: Int, of entries: [HistoryEntry], in handle: DocumentHandle) async throws -> TextView {
        let version = entries[index].version
        let before = index > 0 ? entries[index - 1].version : nil
        let (text, caret) = try await handle.read { document -> (String, Int) in
            let text = try document.at(version).text()
            // Not `before.map { try … }`: in a debug build, that call through Optional.map with a
            // typed-throws closure crashed here (a garbage `from` version, 2026-12-01, Swift 6.3.1),
            // while an address-sanitized build of the same code ran it correctly.
            var changes: [DocumentChange] = []
            if let before { changes = try document.changes(from: before, to: version) }
            let caret = changes.lazy.compactMap { change -> Int? in
                switch change {
                case .textInserted(let container, let position, let inserted) where container == TextRef.main.id: position + inserted.unicodeScalars.count
                case .textDeleted(let container, let position, _) where container == TextRef.main.id: position
                default: nil
                }
            }.first ?? 0
            return (text, caret)
        }
        return TextView(text, selection: TextSelection(caret: caret))
    }
}
