/// Maps op counters to leaf numbers by intervals: entry `(start, value)` covers counters from
/// `start` up to the next entry's start. Used per replica to find which leaf of a sequence
/// holds an item.
///
/// Stored as a two-level sorted array (chunks of at most ``chunkCapacity`` entries) so an
/// insertion in the middle moves at most one chunk, not the whole index.
///
/// - Complexity: lookup O(log n); insert and assign O(log n + chunkCapacity).
struct CounterIntervalMap: Sendable {
    struct Entry: Sendable, Equatable {
        var start: UInt64
        var value: Int32
    }

    static var chunkCapacity: Int { 256 }

    private(set) var chunks: [[Entry]] = []
    private var chunkStarts: [UInt64] = []

    var isEmpty: Bool { chunks.isEmpty }
    var entryCount: Int { chunks.reduce(0) { $0 + $1.count } }

    /// The value of the interval holding `counter`, if any interval starts at or before it.
    func lookup(_ counter: UInt64) -> Int32? {
        guard let chunk = chunkIndex(containing: counter) else { return nil }
        let entries = chunks[chunk]
        // Greatest start <= counter within the chunk.
        return entries[entries.partitionPoint { $0.start <= counter } - 1].value
    }

    /// The value of the last interval.
    var lastValue: Int32? { chunks.last?.last?.value }
    /// The start of the last interval.
    var lastStart: UInt64? { chunks.last?.last?.start }

    /// Makes every counter from `start` on map to `value` (`start` must exceed every existing
    /// start).
    mutating func append(start: UInt64, value: Int32) {
        if let lastStart, start <= lastStart {
            assign(start..<start &+ 1, value: value)
            return
        }
        // The last interval covers every counter after it already.
        if lastValue == value { return }
        if chunks.isEmpty || chunks[chunks.count - 1].count >= Self.chunkCapacity {
            chunks.append([Entry(start: start, value: value)])
            chunkStarts.append(start)
        } else {
            chunks[chunks.count - 1].append(Entry(start: start, value: value))
        }
    }

    /// Makes every counter in `range` map to `value`, leaving counters outside it unchanged.
    mutating func assign(_ range: Range<UInt64>, value: Int32) {
        guard !range.isEmpty else { return }
        let valueAtEnd = lookup(range.upperBound)
        let valueBefore = range.lowerBound > 0 ? lookup(range.lowerBound - 1) : nil
        var (chunk, index) = lowerBound(range.lowerBound)
        if chunk == chunks.count {
            // Everything is below the range: append after the last entry.
            if let previous = chunks.last?.last, previous.value == value {
                return
            }
            append(start: range.lowerBound, value: value)
            if let valueAtEnd, valueAtEnd != value { append(start: range.upperBound, value: valueAtEnd) }
            return
        }
        // Remove the entries inside the range, noting whether one starts exactly at its end.
        var endStarts = false
        while chunk < chunks.count {
            var end = index
            while end < chunks[chunk].count && chunks[chunk][end].start < range.upperBound { end += 1 }
            if end > index { chunks[chunk].removeSubrange(index..<end) }
            let stopped = index < chunks[chunk].count
            if chunks[chunk].isEmpty {
                chunks.remove(at: chunk)
                chunkStarts.remove(at: chunk)
                index = 0
                continue
            }
            chunkStarts[chunk] = chunks[chunk][0].start
            if stopped {
                endStarts = index < chunks[chunk].count && chunks[chunk][index].start == range.upperBound
                break
            }
            chunk += 1
            index = 0
        }
        // No entry where an interval would continue the one before it, or a text rewritten in
        // place keeps an entry for every piece its leaves ever split a run into.
        if endStarts {
            if chunks[chunk][index].value == value { remove(at: (chunk, index)) }
        } else if let valueAtEnd, valueAtEnd != value {
            insert(Entry(start: range.upperBound, value: valueAtEnd), near: (chunk, index))
        }
        if valueBefore != value { insert(Entry(start: range.lowerBound, value: value), near: (chunk, index)) }
    }

    /// The interval that ends at `counter` (the last one starting below it), with its end.
    func interval(endingAt counter: UInt64) -> (start: UInt64, end: UInt64, value: Int32)? {
        let position = lowerBound(counter)
        guard position.chunk < chunks.count, chunks[position.chunk][position.index].start == counter,
              let previous = entry(before: position) else { return nil }
        return (previous.start, counter, previous.value)
    }

    /// Drops the interval starting at `start`: its counters join the interval before it.
    mutating func removeInterval(startingAt start: UInt64) {
        let (chunk, index) = lowerBound(start)
        guard chunk < chunks.count, chunks[chunk][index].start == start, chunk > 0 || index > 0 else { return }
        let end = index + 1 < chunks[chunk].count ? chunks[chunk][index + 1].start : (chunk + 1 < chunks.count ? chunkStarts[chunk + 1] : nil)
        remove(at: (chunk, index))
        if let end { removeIfContinuing(at: end) }
    }

    /// Removes the entry starting at `start` if the interval before it has the same value.
    private mutating func removeIfContinuing(at start: UInt64) {
        let (chunk, index) = lowerBound(start)
        guard chunk < chunks.count, chunks[chunk][index].start == start,
              entry(before: (chunk, index))?.value == chunks[chunk][index].value else { return }
        remove(at: (chunk, index))
    }

    /// The entry just before `position`, if any.
    private func entry(before position: (chunk: Int, index: Int)) -> Entry? {
        position.index > 0 ? chunks[position.chunk][position.index - 1] : (position.chunk > 0 ? chunks[position.chunk - 1].last : nil)
    }

    private mutating func remove(at position: (chunk: Int, index: Int)) {
        let (chunk, index) = position
        chunks[chunk].remove(at: index)
        if chunks[chunk].isEmpty {
            chunks.remove(at: chunk)
            chunkStarts.remove(at: chunk)
        } else {
            chunkStarts[chunk] = chunks[chunk][0].start
        }
    }

    /// Forgets every interval that starts at or after `counter` (the counters from there on
    /// no longer exist: a rolled-back transaction's items). The interval before keeps covering
    /// whatever comes after it, as the last interval always does.
    mutating func truncate(from counter: UInt64) {
        while let last = chunks.last?.last, last.start >= counter {
            chunks[chunks.count - 1].removeLast()
            if chunks[chunks.count - 1].isEmpty {
                chunks.removeLast()
                chunkStarts.removeLast()
            }
        }
    }

    // MARK: - Internals

    /// The chunk whose first start is the greatest one <= counter.
    private func chunkIndex(containing counter: UInt64) -> Int? {
        let after = chunkStarts.partitionPoint { $0 <= counter }
        return after == 0 ? nil : after - 1
    }

    /// Position of the first entry with start >= counter, as (chunk, index); chunk == count at end.
    private func lowerBound(_ counter: UInt64) -> (chunk: Int, index: Int) {
        guard var chunk = chunkIndex(containing: counter) else { return (0, 0) }
        let entries = chunks[chunk]
        let low = entries.partitionPoint { $0.start < counter }
        if low == entries.count {
            chunk += 1
            return (chunk, 0)
        }
        return (chunk, low)
    }

    /// Inserts `entry` at its sorted place; `hint` is a position at or just after it (saves a
    /// search when the caller already knows where it is).
    private mutating func insert(_ entry: Entry, near hint: (chunk: Int, index: Int)? = nil) {
        if chunks.isEmpty {
            chunks = [[entry]]
            chunkStarts = [entry.start]
            return
        }
        var (chunk, index) = hint.flatMap { hint -> (Int, Int)? in
            guard hint.chunk < chunks.count, hint.index <= chunks[hint.chunk].count else { return nil }
            let entries = chunks[hint.chunk]
            // Valid only if entry belongs exactly at the hint.
            if hint.index < entries.count && entries[hint.index].start < entry.start { return nil }
            if hint.index > 0 && entries[hint.index - 1].start >= entry.start { return nil }
            if hint.index == 0 && hint.chunk > 0 && (chunks[hint.chunk - 1].last?.start ?? 0) >= entry.start { return nil }
            return hint
        } ?? lowerBound(entry.start)
        if chunk == chunks.count {
            chunk -= 1
            index = chunks[chunk].count
        }
        if chunk < chunks.count, index < chunks[chunk].count, chunks[chunk][index].start == entry.start {
            chunks[chunk][index].value = entry.value
            return
        }
        chunks[chunk].insert(entry, at: index)
        chunkStarts[chunk] = chunks[chunk][0].start
        if chunks[chunk].count > Self.chunkCapacity {
            let half = chunks[chunk].count / 2
            let upper = Array(chunks[chunk][half...])
            chunks[chunk].removeSubrange(half...)
            chunks.insert(upper, at: chunk + 1)
            chunkStarts.insert(upper[0].start, at: chunk + 1)
        }
    }
}
