/// A change to a text as editors take it: keep (``Operation/retain(_:)``) so many units,
/// insert a string, delete so many units, in order from the start; what is past the last
/// operation is kept. Counted in Unicode scalars (``TextUpdate/delta``) or UTF-16 code units
/// (``TextUpdate/utf16Delta``), the units of most platform text views.
public struct TextDelta: Hashable, Sendable {
    /// One step of a delta.
    public enum Operation: Hashable, Sendable {
        /// Keep this many units.
        case retain(Int)
        /// Insert this text here.
        case insert(String)
        /// Remove this many units here.
        case delete(Int)
    }

    /// The operations, from the start of the text.
    public var operations: [Operation]

    /// A delta of `operations` (adjacent ones of a kind are merged).
    public init(_ operations: [Operation] = []) {
        self.operations = []
        for operation in operations { append(operation) }
    }

    /// The result of applying the delta to `text` (scalars).
    ///
    /// - Complexity: O(n) in the text: for tests and small views; a ``TextBinding`` applies
    ///   deltas to its own view in O(change · log n).
    package func applied(to text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        var position = 0
        for operation in operations {
            switch operation {
            case .retain(let count): position += count
            case .insert(let string):
                scalars.insert(contentsOf: string.unicodeScalars, at: position)
                position += string.unicodeScalars.count
            case .delete(let count): scalars.removeSubrange(position..<position + count)
            }
        }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars)
        return String(result)
    }

    // MARK: - Building

    /// Appends an operation, merging it into the last one of the same kind, and keeping
    /// inserts before deletes at one position (the canonical form, so equal changes compare
    /// equal).
    mutating func append(_ operation: Operation) {
        switch operation {
        case .retain(let count), .delete(let count):
            guard count > 0 else { return }
        case .insert(let string):
            guard !string.isEmpty else { return }
        }
        switch (operations.last, operation) {
        case (.retain(let a)?, .retain(let b)):
            operations[operations.count - 1] = .retain(a + b)
        case (.delete(let a)?, .delete(let b)):
            operations[operations.count - 1] = .delete(a + b)
        case (.insert(let a)?, .insert(let b)):
            operations[operations.count - 1] = .insert(a + b)
        case (.delete(let a)?, .insert(let b)):
            // An insert next to a delete goes first (either order means the same).
            operations.removeLast()
            append(.insert(b))
            operations.append(.delete(a))
        default:
            operations.append(operation)
        }
    }

    /// The delta of one insert at `position`.
    static func insert(_ string: String, at position: Int) -> TextDelta {
        TextDelta([.retain(position), .insert(string)])
    }

    /// The delta of one delete of `count` units at `position`.
    static func delete(_ count: Int, at position: Int) -> TextDelta {
        TextDelta([.retain(position), .delete(count)])
    }

    // MARK: - Composing

    /// The delta that does `self`, then `next` (which counts positions in the text `self`
    /// produced).
    ///
    /// - Complexity: O(a + b) in the two deltas' operations.
    func followed(by next: TextDelta) -> TextDelta {
        var result = TextDelta()
        var first = OperationReader(operations)
        var second = OperationReader(next.operations)
        while first.hasMore || second.hasMore {
            // An insert of `next` comes before anything of `self` at the same place.
            if case .insert(let string)? = second.peek {
                result.append(.insert(string))
                second.take(count: string.unicodeScalars.count)
                continue
            }
            // A delete of `self` removes text `next` never saw.
            if case .delete(let count)? = first.peek {
                result.append(.delete(count))
                first.take(count: count)
                continue
            }
            let secondOperation = second.peek ?? .retain(.max)
            let firstOperation = first.peek ?? .retain(.max)
            let length = min(first.remaining, second.remaining)
            switch (firstOperation, secondOperation) {
            case (.retain, .retain):
                if length == .max { return result }
                result.append(.retain(length))
            case (.retain, .delete):
                result.append(.delete(length))
            case (.insert(let string), .retain):
                result.append(.insert(String(string.unicodeScalars.prefix(length))))
            case (.insert, .delete):
                break
            default:
                return result
            }
            first.take(count: length)
            second.take(count: length)
        }
        return result
    }

    // MARK: - Mapping positions

    /// Where `offset` (in the text before the delta) is after it: for keeping an editor's own
    /// positions (a scroll position, a mark) in place. A position where text is inserted keeps
    /// to the left (stays before the insert) unless `sticksRight`; a position inside deleted
    /// text moves to where the deletion was.
    public func map(_ offset: Int, sticksRight: Bool = false) -> Int {
        var before = 0, after = 0
        for operation in operations {
            switch operation {
            case .retain(let count):
                if offset < before + count { return after + (offset - before) }
                before += count
                after += count
            case .insert(let string):
                if offset == before && !sticksRight { return after }
                after += string.unicodeScalars.count
            case .delete(let count):
                if offset < before + count { return after }
                before += count
            }
        }
        return after + (offset - before)
    }
}

/// Reads a delta's operations piece by piece (for composing).
private struct OperationReader {
    let operations: [TextDelta.Operation]
    var index = 0
    var used = 0

    init(_ operations: [TextDelta.Operation]) { self.operations = operations }

    var hasMore: Bool { index < operations.count }

    var peek: TextDelta.Operation? {
        guard index < operations.count else { return nil }
        switch operations[index] {
        case .retain(let count): return .retain(count - used)
        case .delete(let count): return .delete(count - used)
        case .insert(let string): return .insert(used == 0 ? string : String(string.unicodeScalars.dropFirst(used)))
        }
    }

    /// Units left in the current operation (`Int.max` past the end: an implicit retain).
    var remaining: Int {
        guard index < operations.count else { return .max }
        switch operations[index] {
        case .retain(let count), .delete(let count): return count - used
        case .insert(let string): return string.unicodeScalars.count - used
        }
    }

    mutating func take(count: Int) {
        guard index < operations.count else { return }
        used += count
        if used >= total(operations[index]) {
            index += 1
            used = 0
        }
    }

    private func total(_ operation: TextDelta.Operation) -> Int {
        switch operation {
        case .retain(let count), .delete(let count): count
        case .insert(let string): string.unicodeScalars.count
        }
    }
}
