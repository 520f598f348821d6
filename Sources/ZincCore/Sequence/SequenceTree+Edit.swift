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
    mutating func insertLocal(_ content: some Collection<Element>, at position: Int, id: ItemID) -> Origins {
        precondition(position >= 0 && position <= visibleCount, "insert position out of range")
        precondition(!content.isEmpty)
        // The new items go right after the visible item before `position` (ahead of any
        // tombstones that follow it), as in Yjs.
        let location: Location? = position == 0 ? nil : locateVisibleCached(position - 1)
        let left = location.map { leaves[Int($0.leaf)].runs[$0.run].id.advanced(by: $0.offset) } ?? .none
        let right = location.map(itemAfter) ?? firstItem
        let run = SequenceRun(id: id, originLeft: left, originRight: right, length: Int32(content.count), isDeleted: false)
        let landed = insert(run, content: content, after: location)
        // Keep the cursor cache on the leaf where typing continues.
        if cursorLeaf != landed.leaf {
            cursorLeaf = landed.leaf
            cursorStart = position - landed.contentOffset
        }
        return Origins(left: left, right: right)
    }

    typealias IntegrationError = SequenceIntegrationError

    /// Integrates a remote run whose origins are present. `content` holds the run's elements
    /// when it is visible; a run that arrives already deleted carries none. `precedes(a, b)`
    /// orders replicas globally (by ``ReplicaID``) to break ties between concurrent inserts.
    ///
    /// Returns the visible index of the first item (where a visible run's content appears)
    /// when `wantsPosition`, else 0.
    ///
    /// - Complexity: O(log n) when nothing concurrent sits between the origins; otherwise
    ///   O(k log n) for k concurrent runs scanned.
    @discardableResult
    mutating func integrate(
        _ run: SequenceRun, content: some Collection<Element>, wantsPosition: Bool = true, precedes: (UInt32, UInt32) -> Bool
    ) throws(IntegrationError) -> Int {
        var leftLocation: Location?
        if !run.originLeft.isNone {
            guard let location = locate(run.originLeft) else { throw .unknownOrigin(run.originLeft) }
            leftLocation = location
        }
        // The common case: nothing was inserted concurrently between the origins, so the right
        // origin is still the item right after the left one (FugueMax puts the run there too).
        if (leftLocation.map(itemAfter) ?? firstItem) == run.originRight {
            let landed = insert(run, content: content, after: leftLocation)
            return wantsPosition ? leafStart(landed.leaf).visible + landed.contentOffset : 0
        }
        let left = leftLocation.map { fullIndex(of: $0) } ?? -1
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
        let landed = destination == left + 1
            ? insert(run, content: content, after: leftLocation)
            : insert(run, content: content, after: destination == 0 ? nil : locateFull(destination - 1))
        return wantsPosition ? leafStart(landed.leaf).visible + landed.contentOffset : 0
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

    /// A deletion's effect on the visible sequence: items removed at visible `position`
    /// (positions as they were just before this piece was removed), with their content when
    /// asked for.
    struct Removal {
        var position: Int
        var count: Int
        var content: [Element]
    }

    /// Marks every item of `span` deleted by `deleter` (the deleting operations' replica and
    /// largest counter). Items already deleted stay deleted (idempotent). Returns the visible
    /// pieces removed, in order; positions and content are filled in only when asked for. Items
    /// the sequence does not hold are counted in `missing`.
    mutating func delete(_ span: ItemSpan, deleter: ItemID, missing: inout Int, wantsPositions: Bool = true, wantsContent: Bool = true) -> [Removal] {
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
                let position = wantsPositions ? leafStart(location.leaf).visible + location.contentOffset : 0
                removals.append(markDeleted(location, count: take, position: position, deleter: deleter, wantsContent: wantsContent))
            }
            item = item.advanced(by: take)
            remaining -= take
        }
        return removals
    }

    /// Deletes the visible items in `range` directly by position (a local edit). Returns the
    /// deleted items as ID spans in document order (the first apart: usually it is the only
    /// one, and then no array is allocated) and, when asked, their content.
    mutating func deleteLocal(_ range: Range<Int>, deleter: ItemID, wantsContent: Bool) -> (first: ItemSpan, more: [ItemSpan], content: [Element]) {
        var first: ItemSpan?
        var spans: [ItemSpan] = []
        var content: [Element] = []
        var remaining = range.count
        while remaining > 0 {
            // Deleting a piece leaves the next visible item at the same position.
            let location = locateVisibleCached(range.lowerBound)
            let run = leaves[Int(location.leaf)].runs[location.run]
            let take = min(remaining, run.count - location.offset)
            let start = run.id.advanced(by: location.offset)
            if first == nil {
                first = ItemSpan(start: start, length: take)
            } else if spans.isEmpty, let current = first, current.end == start {
                first?.length += take
            } else if let last = spans.last, last.end == start {
                spans[spans.count - 1].length += take
            } else {
                spans.append(ItemSpan(start: start, length: take))
            }
            let removal = markDeleted(location, count: take, position: range.lowerBound, deleter: deleter, wantsContent: wantsContent)
            if wantsContent { content.append(contentsOf: removal.content) }
            remaining -= take
        }
        return (first ?? ItemSpan(start: .none, length: 0), spans, content)
    }

    /// Deletes `count` visible items starting at `location` (all within its run).
    private mutating func markDeleted(_ location: Location, count: Int, position: Int, deleter: ItemID, wantsContent: Bool) -> Removal {
        let leaf = location.leaf
        var r = location.run
        if location.offset > 0 {
            splitRun(r, at: location.offset, in: leaf)
            r += 1
        }
        if count < leaves[Int(leaf)].runs[r].count {
            splitRun(r, at: count, in: leaf)
        }
        leaves[Int(leaf)].runs[r].isDeleted = true
        let contentRange = location.contentOffset..<location.contentOffset + count
        let removedMeasure = measuresUTF16 ? measure(of: leaves[Int(leaf)].content[contentRange]) : count
        let removed = wantsContent ? Array(leaves[Int(leaf)].content[contentRange]) : []
        tombstones.record(leaves[Int(leaf)].runs[r].id, content: leaves[Int(leaf)].content[contentRange], deleter: deleter)
        leaves[Int(leaf)].content.removeSubrange(contentRange)
        // Arrays keep their capacity when they shrink: a leaf whose text was mostly deleted
        // would hold its largest size forever (a document that is rewritten in place, like a
        // log window, grows without bound). Give the memory back once most of it is unused.
        let remaining = leaves[Int(leaf)].content.count
        if leaves[Int(leaf)].content.capacity > 4 * remaining + 256 {
            var fitted: [Element] = []
            fitted.reserveCapacity(remaining)
            fitted.append(contentsOf: leaves[Int(leaf)].content)
            leaves[Int(leaf)].content = fitted
        }
        // Neighbouring tombstones of one burst of typing fold back into one run.
        mergeIfPossible(r, in: leaf)
        if r > 0 { mergeIfPossible(r - 1, in: leaf) }
        propagate(from: leaf, visible: -count, total: 0, measure: -removedMeasure)
        splitIfNeeded(leaf)
        mergeIfTombstonesOnly(leaf)
        return Removal(position: position, count: count, content: removed)
    }
}
