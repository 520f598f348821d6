/// The content of deleted items, kept so that past states can be rebuilt exactly (time travel,
/// fragments bounded by a version) after the text is gone from the visible sequence.
///
/// Per replica, sorted ranges of item counters with their content and the latest deleting
/// operation among them (by the deleter's replica and counter), so that history below a version
/// everyone holds can be dropped: a range whose every deletion is below it is never needed
/// again (``trim(deletedBelow:)``). Typing and backspacing delete runs of consecutive items, so
/// ranges merge and the table stays small.
struct TombstoneContent: Sendable {
    struct Entry: Sendable, Equatable {
        var start: UInt64
        var content: CompactScalars
        /// The deleting operations' replica, and the largest counter among them.
        var deleterReplica: UInt32
        var deleterCounter: UInt64

        var end: UInt64 { start + UInt64(content.count) }
    }

    /// By replica index; each sorted by `start`, ranges disjoint. Chunked: deletes land
    /// anywhere in counter order, and a long document holds many ranges.
    private(set) var entries: [ChunkedList<Entry>] = []
    /// Elements held, over every replica.
    private(set) var count = 0

    /// Keeps `content` for the items from `item` on, deleted by `deleter` (and earlier
    /// operations of its replica).
    mutating func record(_ item: ItemID, content: some Collection<UInt32>, deleter: ItemID) {
        guard !content.isEmpty else { return }
        let replica = Int(item.replica)
        while entries.count <= replica { entries.append(ChunkedList()) }
        let start = item.counter
        let position = entries[replica].firstPosition { $0.end <= start }
        // Items already held (deleted again by a concurrent operation) keep what they have.
        if entries[replica].isValid(position) && entries[replica][position].start <= start { return }
        count += content.count
        // Forward deletes extend the entry before (appending: amortised O(1)).
        if let previous = entries[replica].before(position),
           entries[replica][previous].end == start, entries[replica][previous].deleterReplica == deleter.replica {
            entries[replica][previous].content.append(contentsOf: content)
            entries[replica][previous].deleterCounter = max(entries[replica][previous].deleterCounter, deleter.counter)
            return
        }
        // Backspacing deletes the item before the entry after: prepend while that entry is
        // short (a prepend copies it), else start a new entry (encoding joins them again).
        let end = start + UInt64(content.count)
        if entries[replica].isValid(position), entries[replica][position].start == end,
           entries[replica][position].deleterReplica == deleter.replica, entries[replica][position].content.count < Self.prependLimit {
            entries[replica][position].content.insert(contentsOf: content, at: 0)
            entries[replica][position].start = start
            entries[replica][position].deleterCounter = max(entries[replica][position].deleterCounter, deleter.counter)
            return
        }
        entries[replica].insert(Entry(start: start, content: CompactScalars(content), deleterReplica: deleter.replica, deleterCounter: deleter.counter), at: position)
    }

    /// The longest entry a delete just before it still joins.
    static var prependLimit: Int { 64 }

    /// The content of the items from `item` on that are held, up to `count` of them (nil if
    /// `item`'s is not).
    func content(_ item: ItemID, upTo count: Int) -> [UInt32]? {
        let replica = Int(item.replica)
        guard replica < entries.count else { return nil }
        var position = entries[replica].firstPosition { $0.end <= item.counter }
        var next = item.counter
        var result: [UInt32] = []
        let end = item.counter + UInt64(count)
        while result.count < count, entries[replica].isValid(position), entries[replica][position].start <= next {
            let entry = entries[replica][position]
            let from = Int(next - entry.start), to = Int(min(entry.end, end) - entry.start)
            result.append(contentsOf: entry.content[from..<to])
            next = entry.start + UInt64(to)
            position = entries[replica].after(position)
        }
        return result.isEmpty ? nil : result
    }

    /// Forgets the content of items that are visible again (a rolled-back delete).
    mutating func forget(_ span: ItemSpan) {
        let replica = Int(span.start.replica)
        guard replica < entries.count else { return }
        let lower = span.start.counter, upper = lower + UInt64(span.length)
        var position = entries[replica].firstPosition { $0.end <= lower }
        while entries[replica].isValid(position), entries[replica][position].start < upper {
            let entry = entries[replica][position]
            let cutStart = max(entry.start, lower), cutEnd = min(entry.end, upper)
            let before = CompactScalars(entry.content[..<Int(cutStart - entry.start)])
            let after = CompactScalars(entry.content[Int(cutEnd - entry.start)...])
            count -= Int(cutEnd - cutStart)
            var pieces: [Entry] = []
            if !before.isEmpty { pieces.append(Entry(start: entry.start, content: before, deleterReplica: entry.deleterReplica, deleterCounter: entry.deleterCounter)) }
            if !after.isEmpty { pieces.append(Entry(start: cutEnd, content: after, deleterReplica: entry.deleterReplica, deleterCounter: entry.deleterCounter)) }
            position = entries[replica].replace(at: position, with: pieces)
        }
    }

    /// Drops the content whose deletions all come before `floor` (a version every replica
    /// holds): no state from `floor` on shows it. `floor(replica)` is how many of that replica's
    /// operations are below it.
    mutating func trim(deletedBelow floor: (UInt32) -> UInt64) {
        for replica in entries.indices {
            var dropped = 0
            entries[replica].removeAll { entry in
                let drop = entry.deleterCounter < floor(entry.deleterReplica)
                if drop { dropped += entry.content.count }
                return drop
            }
            count -= dropped
        }
    }

    /// Every entry, for encoding (replica index, entry).
    func forEach(_ body: (UInt32, Entry) -> Void) {
        for (replica, list) in entries.enumerated() {
            list.forEach { body(UInt32(replica), $0) }
        }
    }

    /// Adds a decoded entry (they arrive sorted per replica).
    mutating func append(replica: UInt32, _ entry: Entry) {
        while entries.count <= Int(replica) { entries.append(ChunkedList()) }
        count += entry.content.count
        entries[Int(replica)].append(entry)
    }

    private static func joins(_ first: Entry, _ second: Entry) -> Bool {
        first.end == second.start && first.deleterReplica == second.deleterReplica
    }
}
