/// Exact inverses of local edits, for rolling back a transaction that failed halfway
/// (``Document/transact(_:)``). Each inverse undoes the newest change first, so the items it
/// removes are always the newest of their replica and the items it restores are exactly the
/// ones a local delete hid.
extension SequenceTree {
    /// Removes the items of `span`, which this replica inserted last (every item of it is the
    /// newest of its run: later items were removed before).
    ///
    /// - Complexity: O(k log n) for a span over k runs.
    mutating func removeNewestItems(_ span: ItemSpan) {
        cursorLeaf = -1
        var item = span.start
        var remaining = span.length
        while remaining > 0, let location = locate(item) {
            let leaf = location.leaf
            let run = leaves[Int(leaf)].runs[location.run]
            let take = min(remaining, run.count - location.offset)
            var removedMeasure = 0
            if !run.isDeleted {
                let range = location.contentOffset..<location.contentOffset + take
                removedMeasure = measure(of: leaves[Int(leaf)].content[range])
                leaves[Int(leaf)].content.removeSubrange(range)
            }
            if location.offset == 0 && take == run.count {
                leaves[Int(leaf)].runs.remove(at: location.run)
                runCount -= 1
                mergeIfPossible(location.run - 1, in: leaf)
            } else {
                // The newest items end their run: cut them off its end.
                leaves[Int(leaf)].runs[location.run].length -= Int32(take)
            }
            propagate(from: leaf, visible: run.isDeleted ? 0 : -take, total: -take, measure: -removedMeasure)
            item = item.advanced(by: take)
            remaining -= take
        }
        let replica = Int(span.start.replica)
        if replica < index.count { index[replica].truncate(from: span.start.counter) }
    }

    /// Makes the deleted items of `span` visible again with their `content` (the inverse of a
    /// local delete of exactly these items).
    ///
    /// - Complexity: O(k log n + c) for k runs and c elements of content.
    mutating func restoreDeleted(_ span: ItemSpan, content: ArraySlice<Element>) {
        cursorLeaf = -1
        var item = span.start
        var remaining = span.length
        var next = content.startIndex
        while remaining > 0, let location = locate(item) {
            let leaf = location.leaf
            var r = location.run
            let take = min(remaining, leaves[Int(leaf)].runs[r].count - location.offset)
            if leaves[Int(leaf)].runs[r].isDeleted {
                if location.offset > 0 {
                    splitRun(r, at: location.offset, in: leaf)
                    r += 1
                }
                if take < leaves[Int(leaf)].runs[r].count { splitRun(r, at: take, in: leaf) }
                leaves[Int(leaf)].runs[r].isDeleted = false
                tombstones.forget(ItemSpan(start: leaves[Int(leaf)].runs[r].id, length: take))
                let piece = content[next..<next + take]
                leaves[Int(leaf)].content.insert(contentsOf: piece, at: contentOffset(ofRun: r, in: leaf))
                mergeIfPossible(r, in: leaf)
                mergeIfPossible(r - 1, in: leaf)
                propagate(from: leaf, visible: take, total: 0, measure: measure(of: piece))
                splitIfNeeded(leaf)
            }
            next += take
            item = item.advanced(by: take)
            remaining -= take
        }
    }
}
