/// A list kept in order in chunks of at most ``maxChunk`` elements: inserting or removing in the
/// middle moves one chunk's elements, not the whole list's (a long document's tombstone table
/// grows by inserts anywhere in counter order).
struct ChunkedList<Element: Sendable>: Sendable {
    /// Where an element is: its chunk, and its index there.
    struct Position: Equatable, Sendable {
        var chunk: Int
        var index: Int
    }

    static var maxChunk: Int { 256 }

    /// Never empty chunks.
    private(set) var chunks: [[Element]] = []

    var isEmpty: Bool { chunks.isEmpty }

    /// Where the list ends (one past the last element).
    var endPosition: Position { Position(chunk: chunks.count, index: 0) }

    subscript(position: Position) -> Element {
        get { chunks[position.chunk][position.index] }
        // In place: a get-and-set would copy the element out, so a buffer inside it (an entry's
        // text) is shared while it changes and is copied whole on every append.
        _modify { yield &chunks[position.chunk][position.index] }
    }

    /// The first position whose element is not `below` (the list is partitioned by it: every
    /// element for which it holds comes first).
    func firstPosition(where below: (Element) -> Bool) -> Position {
        let chunk = chunks.partitionPoint { $0.last.map(below) ?? false }
        guard chunk < chunks.count else { return endPosition }
        return Position(chunk: chunk, index: chunks[chunk].partitionPoint(where: below))
    }

    func after(_ position: Position) -> Position {
        position.index + 1 < chunks[position.chunk].count ? Position(chunk: position.chunk, index: position.index + 1) : Position(chunk: position.chunk + 1, index: 0)
    }

    func before(_ position: Position) -> Position? {
        if position.index > 0 { return Position(chunk: position.chunk, index: position.index - 1) }
        guard position.chunk > 0 else { return nil }
        return Position(chunk: position.chunk - 1, index: chunks[position.chunk - 1].count - 1)
    }

    func isValid(_ position: Position) -> Bool {
        position.chunk < chunks.count && position.index < chunks[position.chunk].count
    }

    /// Inserts `element` before `position` (at the end for ``endPosition``).
    mutating func insert(_ element: Element, at position: Position) {
        if position.chunk == chunks.count {
            if let last = chunks.indices.last, chunks[last].count < Self.maxChunk {
                chunks[last].append(element)
            } else {
                chunks.append([element])
            }
            return
        }
        chunks[position.chunk].insert(element, at: position.index)
        if chunks[position.chunk].count > Self.maxChunk {
            let half = chunks[position.chunk].count / 2
            let tail = Array(chunks[position.chunk][half...])
            chunks[position.chunk].removeSubrange(half...)
            chunks.insert(tail, at: position.chunk + 1)
        }
    }

    /// Replaces the element at `position` with `elements` (none removes it). Returns the
    /// position after the last inserted one.
    @discardableResult
    mutating func replace(at position: Position, with elements: [Element]) -> Position {
        chunks[position.chunk].replaceSubrange(position.index...position.index, with: elements)
        let after = Position(chunk: position.chunk, index: position.index + elements.count)
        if chunks[position.chunk].isEmpty {
            chunks.remove(at: position.chunk)
            return Position(chunk: position.chunk, index: 0)
        }
        if chunks[position.chunk].count > Self.maxChunk {
            let half = chunks[position.chunk].count / 2
            let tail = Array(chunks[position.chunk][half...])
            chunks[position.chunk].removeSubrange(half...)
            chunks.insert(tail, at: position.chunk + 1)
            return after.index >= half ? Position(chunk: position.chunk + 1, index: after.index - half) : after
        }
        return after.index < chunks[position.chunk].count ? after : Position(chunk: position.chunk + 1, index: 0)
    }

    mutating func append(_ element: Element) {
        insert(element, at: endPosition)
    }

    mutating func removeAll(where shouldRemove: (Element) -> Bool) {
        var kept: [[Element]] = []
        var current: [Element] = []
        for chunk in chunks {
            for element in chunk where !shouldRemove(element) {
                current.append(element)
                if current.count == Self.maxChunk {
                    kept.append(current)
                    current = []
                }
            }
        }
        if !current.isEmpty { kept.append(current) }
        chunks = kept
    }

    func forEach(_ body: (Element) -> Void) {
        for chunk in chunks {
            for element in chunk { body(element) }
        }
    }
}
