/// The CRDT operations on a sequence: local inserts and deletes by visible position, and
/// integration of remote inserts with FugueMax ordering (the YjsMod integration of Gentle's
/// reference CRDTs, shown by Weidner & Kleppmann to avoid interleaving both forwards and
/// backwards), and deletes by item ID.
extension SequenceTree {
    /// Origins chosen for a local insert.
    struct Origins: Equatable {
        var left: ItemID
        var right: ItemID
    }

    /// Inserts `content` as new items `id, id+1, ...` so that the first lands at visible index
    /// `position`. Returns the origins the new run was given (they go on the wire).
    @discardableResult
    mutating func insertLocal(_ content: [Element], at position: Int, id: ItemID) -> Origins {
        precondition(position >= 0 && position <= visibleCount, "insert position out of range")
        precondition(!content.isEmpty)
        // The new items go right after the visible item before `position` (ahead of any
        // tombstones that follow it), as in Yjs.
        let location: Location? = position == 0 ? nil : locateVisible(position - 1)
        let left = location.map { leaves[Int($0.leaf)].runs[$0.run].id.advanced(by: $0.offset) } ?? .none
        let right = location.map(itemAfter) ?? firstItem
        let run = SequenceRun(id: id, originLeft: left, originRight: right, length: Int32(content.count), isDeleted: false)
        insert(run, content: content, after: location)
        return Origins(left: left, right: right)
    }

    typealias IntegrationError = SequenceIntegrationError

    /// Integrates a remote run whose origins are present. `content` holds the run's elements
    /// when it is visible; a run that arrives already deleted carries none. `precedes(a, b)`
    /// orders replicas globally (by ``ReplicaID``) to break ties between concurrent inserts.
    ///
    /// Returns the visible index of the first item (where a visible run's content appears).
    ///
    /// - Complexity: O(log n) when nothing concurrent sits between the origins; otherwise
    ///   O(k log n) for k concurrent runs scanned.
    @discardableResult
    mutating func integrate(
        _ run: SequenceRun, content: [Element], precedes: (UInt32, UInt32) -> Bool
    ) throws(IntegrationError) -> Int {
        var leftLocation: Location?
        var left = -1
        if !run.originLeft.isNone {
            guard let location = locate(run.originLeft) else { throw .unknownOrigin(run.originLeft) }
            leftLocation = location
            left = fullIndex(of: location)
        }
        var right = totalCount
        if !run.originRight.isNone {
            guard let index = fullIndex(of: run.originRight) else { throw .unknownOrigin(run.originRight) }
            right = index
        }
        // A real insert's right origin comes after its left one; anything else is forged or
        // corrupt and must not reach the scan.
        guard right > left else { throw .originsOutOfOrder(run.originLeft, run.originRight) }
        var destination = left + 1
        if destination != right {
            destination = try scanForDestination(run, left: left, right: right, precedes: precedes)
        }
        if destination == left + 1 {
            return insert(run, content: content, after: leftLocation)
        }
        return insert(run, content: content, after: destination == 0 ? nil : locateFull(destination - 1))
    }

    /// The FugueMax scan over the items between the origins. Items after the first of each run
    /// have the previous item as left origin, so only a run's first item (or the item right
    /// after `left`) needs the full comparison; the rest are skipped a run at a time.
    private func scanForDestination(
        _ run: SequenceRun, left: Int, right: Int, precedes: (UInt32, UInt32) -> Bool
    ) throws(IntegrationError) -> Int {
        var destination = left + 1
        var scanning = false
        var i = left + 1
        var location = locateFull(i)
        while true {
            if !scanning { destination = i }
            if i == totalCount || i == right { break }
            let other = leaves[Int(location.leaf)].runs[location.run]
            let k = location.offset
            let remainingInRun = other.count - k
            if k > 0 && i != left + 1 {
                // Left origin is the previous item (> left): a child of something already
                // scanned. Skip to the end of the run, stopping at `right` if it is inside.
                let skip = min(remainingInRun, right - i)
                i += skip
                if i == totalCount || i == right { continue }
                location = advance(location, by: skip)
                continue
            }
            let otherLeft: Int
            if k > 0 {
                otherLeft = i - 1
            } else if other.originLeft.isNone {
                otherLeft = -1
            } else {
                guard let index = fullIndex(of: other.originLeft) else { throw .unknownOrigin(other.originLeft) }
                otherLeft = index
            }
            if otherLeft < left { break }
            if otherLeft == left {
                let otherRight: Int
                if other.originRight.isNone {
                    otherRight = totalCount
                } else {
                    guard let index = fullIndex(of: other.originRight) else { throw .unknownOrigin(other.originRight) }
                    otherRight = index
                }
                if otherRight < right {
                    scanning = true
                } else if otherRight == right {
                    if precedes(run.id.replica, other.id.replica) { break }
                    scanning = false
                } else {
                    scanning = false
                }
            }
            // The rest of this run are children of the item just compared: skip them too.
            let skip = min(remainingInRun, right - i)
            i += skip
            if i == totalCount || i == right { continue }
            location = advance(location, by: skip)
        }
        return destination
    }

    /// The location `count` items (tombstones included) after `location`, within or beyond
    /// its run. `count` never crosses more than the rest of the current run plus one.
    private func advance(_ location: Location, by count: Int) -> Location {
        var location = location
        let run = leaves[Int(location.leaf)].runs[location.run]
        if location.offset + count < run.count {
            location.offset += count
            if !run.isDeleted { location.contentOffset += count }
            return location
        }
        // Move to the start of the next run, possibly in the next leaf.
        let rest = location.offset + count - run.count
        location.contentOffset += run.isDeleted ? 0 : run.count - location.offset
        location.offset = 0
        location.run += 1
        while location.run >= leaves[Int(location.leaf)].runs.count {
            location.leaf = leaves[Int(location.leaf)].next
            location.run = 0
            location.contentOffset = 0
            precondition(location.leaf >= 0, "advanced past the end of the sequence")
        }
        return rest == 0 ? location : advance(location, by: rest)
    }

    /// The IDs of the visible items in `range`, as maximal spans.
    func spans(inVisible range: Range<Int>) -> [ItemSpan] {
        guard !range.isEmpty else { return [] }
        var spans: [ItemSpan] = []
        var remaining = range.count
        let location = locateVisible(range.lowerBound)
        var leaf = location.leaf
        var r = location.run
        var offset = location.offset
        while remaining > 0 && leaf >= 0 {
            let runs = leaves[Int(leaf)].runs
            while r < runs.count && remaining > 0 {
                let run = runs[r]
                if !run.isDeleted {
                    let take = min(run.count - offset, remaining)
                    let start = run.id.advanced(by: offset)
                    if let last = spans.last, last.end == start {
                        spans[spans.count - 1].length += take
                    } else {
                        spans.append(ItemSpan(start: start, length: take))
                    }
                    remaining -= take
                }
                offset = 0
                r += 1
            }
            leaf = leaves[Int(leaf)].next
            r = 0
        }
        return spans
    }

    /// A deletion's effect on the visible sequence: `count` items removed at visible `position`
    /// (positions as they were just before this piece was removed), with their content.
    struct Removal {
        var position: Int
        var content: [Element]
    }

    /// Marks every item of `span` deleted. Items already deleted stay deleted (idempotent).
    /// Returns the visible pieces removed, in the order they were removed. Items the sequence
    /// does not hold are reported through `missing`.
    mutating func delete(_ span: ItemSpan, missing: inout Int) -> [Removal] {
        var removals: [Removal] = []
        var item = span.start
        var remaining = span.length
        while remaining > 0 {
            guard let location = locate(item) else {
                missing += 1
                item = item.advanced(by: 1)
                remaining -= 1
                continue
            }
            let run = leaves[Int(location.leaf)].runs[location.run]
            let take = min(remaining, run.count - location.offset)
            if !run.isDeleted {
                removals.append(markDeleted(location, count: take))
            }
            item = item.advanced(by: take)
            remaining -= take
        }
        return removals
    }

    /// Deletes `count` visible items starting at `location` (all within its run).
    private mutating func markDeleted(_ location: Location, count: Int) -> Removal {
        let leaf = location.leaf
        var r = location.run
        let visibleStart = leafStart(leaf).visible + location.contentOffset
        if location.offset > 0 {
            splitRun(r, at: location.offset, in: leaf)
            r += 1
        }
        if count < leaves[Int(leaf)].runs[r].count {
            splitRun(r, at: count, in: leaf)
        }
        leaves[Int(leaf)].runs[r].isDeleted = true
        let contentRange = location.contentOffset..<location.contentOffset + count
        let removed = Array(leaves[Int(leaf)].content[contentRange])
        leaves[Int(leaf)].content.removeSubrange(contentRange)
        // Neighbouring tombstones of one burst of typing fold back into one run.
        mergeIfPossible(r, in: leaf)
        if r > 0 { mergeIfPossible(r - 1, in: leaf) }
        propagate(from: leaf, visible: -count, total: 0, measure: -Self.measure(of: removed))
        splitIfNeeded(leaf)
        return Removal(position: visibleStart, content: removed)
    }
}
