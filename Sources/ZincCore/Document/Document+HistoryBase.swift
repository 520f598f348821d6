/// The state where a trimmed history starts (``HistoryBase``): made when trimming, kept up to
/// date when a delete lands on an item deleted at the floor, and rebuilt for time travel.
extension Document {
    /// The base for a floor: `base` is this document replayed to `floor`, and the logs still
    /// hold every operation from `floor` on.
    func makeHistoryBase(_ base: Document, floor: VersionVector) -> HistoryBase {
        var deleted: [HistoryBase.DeletedRange] = []
        // Items that operations from the floor on delete, but that were deleted at the floor.
        forEachLoggedDelete(from: floor) { container, span in
            let id = containers.ids[Int(container)]
            let replica = replicas[span.start.replica]
            guard span.start.counter < floor[replica] else { return }
            let existing = span.start.counter..<min(span.end.counter, floor[replica])
            guard let slot = base.sequenceSlot(of: id), let local = base.replicas.index(of: replica) else { return }
            for counters in base.sequences[slot].deletedRanges(replica: local, counters: existing) {
                deleted.append(HistoryBase.DeletedRange(container: id, replica: replica, counters: counters))
            }
        }
        var result = HistoryBase(state: Self.withoutSequences(base).encodedSnapshot())
        result.addDeleted(deleted)
        return result
    }

    /// A base for the whole current state (after merging a state: nothing before it can be
    /// rebuilt, and the logs hold nothing yet).
    func historyBaseOfCurrentState() -> HistoryBase {
        HistoryBase(state: Self.withoutSequences(self).encodedSnapshot())
    }

    /// Drops every operation: the history starts at the current state (every log's base at its
    /// version, the base state this one).
    mutating func dropHistory() {
        logs.forgetHistory(upTo: versions)
        historyBase = historyBaseOfCurrentState()
    }

    /// `document` with empty texts and lists, no history and no base: the part of a base that
    /// the document's own sequences cannot give back.
    static func withoutSequences(_ document: Document) -> Document {
        var stripped = document
        for (index, id) in stripped.containers.ids.enumerated() where id.type == .text || id.type == .list {
            let slot = Int(stripped.containers.slots[index])
            stripped.sequences[slot] = SequenceTree(measuresUTF16: id.type == .text)
            if id.type == .list { stripped.listValues[slot] = [] }
        }
        stripped.logs.forgetHistory(upTo: stripped.versions)
        stripped.historyBase = nil
        stripped.recordsChanges = false
        return stripped
    }

    /// The document at its log bases (for time travel), or nil if the history was never
    /// trimmed. Its sequences are this document's, without the items inserted since and with
    /// the items deleted since visible again.
    func historyBaseDocument() throws(DocumentError) -> Document? {
        guard let base = historyBase else { return nil }
        var past = try Document(snapshot: base.state, replica: replica, limits: limits, historyBase: true)
        let floor = past.versionVector
        // Per container and replica (this document's indices): the items visible at the floor
        // that are deleted now.
        var revived: [UInt32: [UInt32: [Range<UInt64>]]] = [:]
        forEachLoggedDelete(from: nil) { container, span in
            let limit = floor[replicas[span.start.replica]]
            guard span.start.counter < limit else { return }
            revived[container, default: [:]][span.start.replica, default: []].append(span.start.counter..<min(span.end.counter, limit))
        }
        var stillDeleted: [UInt32: [UInt32: [Range<UInt64>]]] = [:]
        for range in base.deletedAtFloor {
            guard let container = containers.index(of: range.container), let replica = replicas.index(of: range.replica) else { continue }
            stillDeleted[container, default: [:]][replica, default: []].append(range.counters)
        }
        for (index, id) in past.containers.ids.enumerated() where id.type == .text || id.type == .list {
            guard let mine = containers.index(of: id) else {
                throw DocumentError(.invalidOperation, "the history base names \(id), which this document lacks")
            }
            let visibleAgain = (revived[mine] ?? [:]).mapValues { Self.normalized($0) }
                .reduce(into: [UInt32: [Range<UInt64>]]()) { result, entry in
                    result[entry.key] = Self.subtracting(Self.normalized(stillDeleted[mine]?[entry.key] ?? []), from: entry.value)
                }
            try past.rebuildSequence(slot: Int(past.containers.slots[index]), from: self, slot: slot(of: mine), floor: floor, visibleAgain: visibleAgain)
        }
        return past
    }

    /// Fills sequence `slot` (empty) with `source`'s sequence `sourceSlot` as it was at `floor`.
    private mutating func rebuildSequence(
        slot: Int, from source: Document, slot sourceSlot: Int, floor: VersionVector, visibleAgain: [UInt32: [Range<UInt64>]]
    ) throws(DocumentError) {
        let tree = source.sequences[sourceSlot]
        let isList = !tree.measuresUTF16
        var runs: [SequenceRun] = []
        var content: [UInt32] = []
        var values: [ListElement] = []
        var missing: [ReplicaID] = []
        func local(_ item: ItemID) -> ItemID {
            guard !item.isNone else { return .none }
            let id = source.replicas[item.replica]
            guard let index = replicas.index(of: id) else {
                missing.append(id)
                return .none
            }
            return ItemID(replica: index, counter: item.counter)
        }
        func emit(_ run: SequenceRun, from offset: Int, count: Int, deleted: Bool, elements: [UInt32]) {
            var piece = offset == 0 ? run : run.suffix(from: offset)
            piece.length = Int32(count)
            piece.isDeleted = deleted
            runs.append(SequenceRun(id: local(piece.id), originLeft: local(piece.originLeft), originRight: local(piece.originRight), length: piece.length, isDeleted: deleted))
            guard !deleted else { return }
            if isList {
                for element in elements {
                    content.append(UInt32(truncatingIfNeeded: values.count))
                    values.append(source.listValues[sourceSlot][Int(element)])
                }
            } else {
                content.append(contentsOf: elements)
            }
        }
        var leaf = tree.firstLeaf
        while leaf >= 0 {
            var contentOffset = 0
            for run in tree.leaves[Int(leaf)].runs {
                let visibleContent = contentOffset
                if !run.isDeleted { contentOffset += run.count }
                let limit = floor[source.replicas[run.id.replica]]
                guard run.id.counter < limit else { continue }
                let count = Int(min(UInt64(run.count), limit - run.id.counter))
                if !run.isDeleted {
                    emit(run, from: 0, count: count, deleted: false, elements: Array(tree.leaves[Int(leaf)].content[visibleContent..<visibleContent + count]))
                    continue
                }
                // A tombstone now: visible at the floor where a logged delete removed it.
                var offset = 0
                let start = run.id.counter
                let ranges = visibleAgain[run.id.replica] ?? []
                // Sorted and disjoint: start at the first that ends past this run's start, or
                // every tombstone run scans every range (quadratic in a long-rewritten text).
                for range in ranges[Self.firstEnding(after: start, in: ranges)...] {
                    guard range.lowerBound < start + UInt64(count) else { break }
                    let from = Int(max(range.lowerBound, start) - start), to = Int(min(range.upperBound, start + UInt64(count)) - start)
                    if from > offset { emit(run, from: offset, count: from - offset, deleted: true, elements: []) }
                    guard let kept = tree.tombstones.content(run.id.advanced(by: from), upTo: to - from), kept.count == to - from else {
                        throw DocumentError(.historyUnavailable, "this replica does not hold the deleted text visible where its history starts")
                    }
                    emit(run, from: from, count: to - from, deleted: false, elements: kept)
                    offset = to
                }
                if offset < count { emit(run, from: offset, count: count - offset, deleted: true, elements: []) }
            }
            leaf = tree.leaves[Int(leaf)].next
        }
        guard missing.isEmpty else {
            throw DocumentError(.invalidOperation, "the history base lacks replica \(missing[0].shortDescription), whose items are below its floor")
        }
        do throws(FormatError) {
            sequences[slot] = try SequenceTree(bulkRuns: runs, content: content, measuresUTF16: !isList)
        } catch {
            throw DocumentError(.invalidOperation, "rebuilding a sequence where history starts: \(error)")
        }
        if isList { listValues[slot] = values }
    }

    /// A delete from the floor on is landing on items of `span` (ascending) that are deleted
    /// already: those no logged delete removed were deleted at the floor, and must stay so when
    /// the floor is rebuilt.
    mutating func noteDeletedAgain(_ span: ItemSpan, in container: UInt32) {
        guard historyBase != nil else { return }
        let replica = span.start.replica
        let floor = logs.base(of: Int(replica))
        guard span.start.counter < floor else { return }
        let existing = span.start.counter..<min(span.end.counter, floor)
        let slot = slot(of: container)
        var candidates: [Range<UInt64>] = sequences[slot].deletedRanges(replica: replica, counters: existing)
        guard !candidates.isEmpty else { return }
        var covered: [Range<UInt64>] = []
        forEachLoggedDelete(from: nil) { logged, loggedSpan in
            guard logged == container, loggedSpan.start.replica == replica else { return }
            covered.append(loggedSpan.start.counter..<loggedSpan.end.counter)
        }
        candidates = Self.subtracting(Self.normalized(covered), from: Self.normalized(candidates))
        let id = containers.ids[Int(container)]
        for range in candidates { historyBase?.addDeleted(range, of: replicas[replica], in: id) }
    }

    /// Every item the logs delete by operations from `floor` on (everything the logs hold when
    /// nil) and below `end` (no bound when nil), as ascending spans with their container.
    func forEachLoggedDelete(from floor: VersionVector?, upTo end: VersionVector? = nil, _ body: (UInt32, ItemSpan) -> Void) {
        for (index, log) in logs.enumerated() {
            let from = floor.map { $0[replicas[UInt32(index)]] } ?? log.base
            let to = end.map { $0[replicas[UInt32(index)]] } ?? UInt64.max
            for run in log.runs where run.kind == .delete && run.endCounter > from {
                guard run.counter < to else { break }
                log.forEachDeleteSpan(of: run, counters: max(from, run.counter)..<min(to, run.endCounter)) { span, offset, count in
                    body(run.container, span.ascendingSpan(from: offset, count: count))
                }
            }
        }
    }

    private func sequenceSlot(of id: ContainerID) -> Int? {
        guard id.type == .text || id.type == .list, let index = containers.index(of: id) else { return nil }
        return slot(of: index)
    }

    /// The index of the first of `ranges` (sorted, disjoint) that ends after `counter`.
    static func firstEnding(after counter: UInt64, in ranges: [Range<UInt64>]) -> Int {
        ranges.partitionPoint { $0.upperBound <= counter }
    }

    /// Sorted, merged.
    static func normalized(_ ranges: [Range<UInt64>]) -> [Range<UInt64>] {
        var merged: [Range<UInt64>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) where !range.isEmpty {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// `ranges` without `removed` (both normalized).
    static func subtracting(_ removed: [Range<UInt64>], from ranges: [Range<UInt64>]) -> [Range<UInt64>] {
        var result: [Range<UInt64>] = []
        var index = 0
        for range in ranges {
            var lower = range.lowerBound
            while index < removed.count && removed[index].upperBound <= lower { index += 1 }
            var probe = index
            while probe < removed.count && removed[probe].lowerBound < range.upperBound {
                if removed[probe].lowerBound > lower { result.append(lower..<removed[probe].lowerBound) }
                lower = max(lower, removed[probe].upperBound)
                probe += 1
            }
            if lower < range.upperBound { result.append(lower..<range.upperBound) }
        }
        return result
    }
}
