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
        var content: [UInt32]
        /// The deleting operations' replica, and the largest counter among them.
        var deleterReplica: UInt32
        var deleterCounter: UInt64

        var end: UInt64 { start + UInt64(content.count) }
    }

    /// By replica index; each sorted by `start`, ranges disjoint.
    private(set) var entries: [[Entry]] = []
    /// Elements held, over every replica.
    private(set) var count = 0

    /// Keeps `content` for the items from `item` on, deleted by `deleter` (and earlier
    /// operations of its replica).
    mutating func record(_ item: ItemID, content: some Collection<UInt32>, deleter: ItemID) {
        guard !content.isEmpty else { return }
        let replica = Int(item.replica)
        while entries.count <= replica { entries.append([]) }
        let start = item.counter
        var index = firstIndex(replica, endingAfter: start)
        // Items already held (deleted again by a concurrent operation) keep what they have.
        if index < entries[replica].count && entries[replica][index].start <= start { return }
        let entry = Entry(start: start, content: Array(content), deleterReplica: deleter.replica, deleterCounter: deleter.counter)
        count += entry.content.count
        if index > 0, Self.joins(entries[replica][index - 1], entry) {
            index -= 1
            entries[replica][index].content.append(contentsOf: entry.content)
            entries[replica][index].deleterCounter = max(entries[replica][index].deleterCounter, entry.deleterCounter)
        } else {
            entries[replica].insert(entry, at: index)
        }
        if index + 1 < entries[replica].count, Self.joins(entries[replica][index], entries[replica][index + 1]) {
            let next = entries[replica].remove(at: index + 1)
            entries[replica][index].content.append(contentsOf: next.content)
            entries[replica][index].deleterCounter = max(entries[replica][index].deleterCounter, next.deleterCounter)
        }
    }

    /// The content of the items from `item` on that are held, up to `count` of them (nil if
    /// `item`'s is not).
    func content(_ item: ItemID, upTo count: Int) -> [UInt32]? {
        let replica = Int(item.replica)
        guard replica < entries.count else { return nil }
        var index = firstIndex(replica, endingAfter: item.counter)
        var next = item.counter
        var result: [UInt32] = []
        let end = item.counter + UInt64(count)
        while result.count < count, index < entries[replica].count, entries[replica][index].start <= next {
            let entry = entries[replica][index]
            let from = Int(next - entry.start), to = Int(min(entry.end, end) - entry.start)
            result.append(contentsOf: entry.content[from..<to])
            next = entry.start + UInt64(to)
            index += 1
        }
        return result.isEmpty ? nil : result
    }

    /// Forgets the content of items that are visible again (a rolled-back delete).
    mutating func forget(_ span: ItemSpan) {
        let replica = Int(span.start.replica)
        guard replica < entries.count else { return }
        let lower = span.start.counter, upper = lower + UInt64(span.length)
        var index = firstIndex(replica, endingAfter: lower)
        while index < entries[replica].count, entries[replica][index].start < upper {
            let entry = entries[replica][index]
            let cutStart = max(entry.start, lower), cutEnd = min(entry.end, upper)
            let before = Array(entry.content[..<Int(cutStart - entry.start)])
            let after = Array(entry.content[Int(cutEnd - entry.start)...])
            count -= Int(cutEnd - cutStart)
            var pieces: [Entry] = []
            if !before.isEmpty { pieces.append(Entry(start: entry.start, content: before, deleterReplica: entry.deleterReplica, deleterCounter: entry.deleterCounter)) }
            if !after.isEmpty { pieces.append(Entry(start: cutEnd, content: after, deleterReplica: entry.deleterReplica, deleterCounter: entry.deleterCounter)) }
            entries[replica].replaceSubrange(index...index, with: pieces)
            index += pieces.count
        }
    }

    /// Drops the content whose deletions all come before `floor` (a version every replica
    /// holds): no state from `floor` on shows it. `floor(replica)` is how many of that replica's
    /// operations are below it.
    mutating func trim(deletedBelow floor: (UInt32) -> UInt64) {
        for replica in entries.indices {
            entries[replica].removeAll { entry in
                let drop = entry.deleterCounter < floor(entry.deleterReplica)
                if drop { count -= entry.content.count }
                return drop
            }
        }
    }

    /// Every entry, for encoding (replica index, entry).
    func forEach(_ body: (UInt32, Entry) -> Void) {
        for (replica, list) in entries.enumerated() {
            for entry in list { body(UInt32(replica), entry) }
        }
    }

    /// Adds a decoded entry (they arrive sorted per replica).
    mutating func append(replica: UInt32, _ entry: Entry) {
        while entries.count <= Int(replica) { entries.append([]) }
        count += entry.content.count
        entries[Int(replica)].append(entry)
    }

    /// The first entry of `replica` that ends after `counter`.
    private func firstIndex(_ replica: Int, endingAfter counter: UInt64) -> Int {
        var low = 0, high = entries[replica].count
        while low < high {
            let middle = (low + high) >> 1
            if entries[replica][middle].end <= counter { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private static func joins(_ first: Entry, _ second: Entry) -> Bool {
        first.end == second.start && first.deleterReplica == second.deleterReplica
    }
}
