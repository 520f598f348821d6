/// Producing fragments: from the log, what another replica lacks.
extension Document {
    /// Every operation this document holds that a replica at `version` lacks.
    ///
    /// - Complexity: O(k log n) for k operation runs sent.
    package func fragment(since version: VersionVector) -> DocumentFragment {
        var builder = FragmentBuilder(document: self)
        // This replica's own operations first, so a transaction fragment starts with its author.
        let order = [Int(selfIndex)] + versions.indices.filter { $0 != Int(selfIndex) }
        for index in order {
            let from = version[replicas[UInt32(index)]]
            if versions[index] > from { builder.add(replica: UInt32(index), counters: from..<versions[index]) }
        }
        return builder.fragment
    }

    /// The operations a replica at `version` lacks, limited to those within `limit`: applied
    /// to a replica at `version`, it gives exactly the state at `limit` (for a causally closed
    /// `limit`). Items deleted since `limit` go out visible, with their content, and their
    /// deletes only if they are within `limit` too; an item whose content this replica never
    /// held (it arrived already deleted) goes out deleted, and `complete` is false.
    package func fragment(since version: VersionVector, upTo limit: VersionVector) -> (fragment: DocumentFragment, complete: Bool) {
        var builder = FragmentBuilder(document: self)
        for index in versions.indices {
            let id = replicas[UInt32(index)]
            let from = version[id]
            let to = min(versions[index], limit[id])
            if to > from { builder.add(replica: UInt32(index), counters: from..<to) }
        }
        // Items whose content was never held here (they arrived already deleted) go out deleted:
        // right only if a delete within the bound removed them.
        let complete = builder.contentless.isEmpty || deletedWithin(limit, covers: builder.contentless)
        return (builder.fragment, complete)
    }

    /// True if operations within `limit` delete every item of `items` (container, span).
    private func deletedWithin(_ limit: VersionVector, covers items: [(container: UInt32, span: ItemSpan)]) -> Bool {
        var deleted: [UInt32: [Range<UInt64>]] = [:]   // by item replica: counter ranges
        let containers = Set(items.map(\.container))
        for (index, log) in logs.enumerated() {
            let bound = limit[replicas[UInt32(index)]]
            for run in log.runs where run.kind == .delete && containers.contains(run.container) && run.counter < bound {
                log.forEachDeleteSpan(of: run, counters: run.counter..<min(run.endCounter, bound)) { span, offset, count in
                    let ascending = span.ascendingSpan(from: offset, count: count)
                    deleted[ascending.start.replica, default: []].append(ascending.start.counter..<ascending.start.counter + UInt64(count))
                }
            }
        }
        for (_, span) in items {
            let ranges = deleted[span.start.replica] ?? []
            for offset in 0..<span.length {
                let counter = span.start.counter + UInt64(offset)
                guard ranges.contains(where: { $0.contains(counter) }) else { return false }
            }
        }
        return true
    }

    /// `replica`'s operations with counters in `counters` (clamped to what this document holds).
    package func fragment(of replica: ReplicaID, counters: Range<UInt64>) -> DocumentFragment {
        var builder = FragmentBuilder(document: self)
        if let index = replicas.index(of: replica) {
            let upper = min(counters.upperBound, versions[Int(index)])
            if counters.lowerBound < upper { builder.add(replica: index, counters: counters.lowerBound..<upper) }
        }
        return builder.fragment
    }

    /// Closes the current group of local changes (one undo step; `mergingUndo` folds it into
    /// the previous step, as editors do for a burst of typing).
    package mutating func commit(mergingUndo: Bool = false) {
        undoHistory.close(merge: mergingUndo)
        committedCounter = versions[Int(selfIndex)]
        logs[Int(selfIndex)].noteTransactionEnd(committedCounter)
    }

    /// Closes the current group of local changes at time `now` (any monotonic clock): it joins
    /// the previous undo step if it follows within ``undoCaptureWindow`` with no caret jump.
    package mutating func commit(at now: Duration) {
        undoHistory.close(merge: continuesLastUndoGroup(at: now), at: now)
        committedCounter = versions[Int(selfIndex)]
        logs[Int(selfIndex)].noteTransactionEnd(committedCounter)
    }

    /// Commits at time `now` and returns this replica's operations since the previous commit.
    package mutating func commitFragment(at now: Duration) -> DocumentFragment {
        let from = committedCounter
        commit(at: now)
        return fragment(of: replica, counters: from..<committedCounter)
    }

    /// Commits, and returns this replica's operations since the previous commit.
    package mutating func commitFragment(mergingUndo: Bool = false) -> DocumentFragment {
        let from = committedCounter
        commit(mergingUndo: mergingUndo)
        return fragment(of: replica, counters: from..<committedCounter)
    }

    /// Runs `body` on the document as one transaction and returns what it returns.
    ///
    /// The transaction is atomic: if `body` throws, every change it made is undone and the
    /// document is exactly as it was (no operation counter is spent, nothing is left to send).
    @discardableResult
    public mutating func transact<Result>(_ body: (inout Document) throws -> Result) rethrows -> Result {
        var result: Result?
        _ = try transact(at: nil) { result = try body(&$0) }
        // The body ran to the end (it would have thrown otherwise), so the result is there.
        guard let result else { preconditionFailure("a transaction returned without a result") }
        return result
    }

    /// ``transact(_:)`` at time `now`: the transaction joins the previous undo step if it
    /// follows within ``undoCaptureWindow`` with no caret jump; without a time it is a step of
    /// its own.
    package mutating func transact(at now: Duration?, _ body: (inout Document) throws -> Void) rethrows -> DocumentFragment {
        commit()
        beginJournal()
        do {
            try body(&self)
        } catch {
            rollBackJournal()
            throw error
        }
        endJournal()
        guard let now else { return commitFragment() }
        return commitFragment(at: now)
    }
}

/// Assembles a fragment from log runs, giving replicas and containers fragment-local indices
/// and merging consecutive runs.
///
/// Inserted items go out with their content even if they have been deleted since (the deletes
/// travel as operations of their own), so that the receiver can rebuild every past version too.
/// Only an item whose content this replica never held (it arrived already deleted) goes out
/// deleted, without content.
struct FragmentBuilder {
    let document: Document
    var fragment = DocumentFragment()
    /// The items sent deleted for want of their content.
    private(set) var contentless: [(container: UInt32, span: ItemSpan)] = []
    private var replicaMap: [UInt32: Int] = [:]
    private var containerMap: [UInt32: Int] = [:]

    init(document: Document) {
        self.document = document
    }

    mutating func replicaIndex(_ local: UInt32) -> Int {
        if let index = replicaMap[local] { return index }
        let index = fragment.replicas.count
        fragment.replicas.append(document.replicas[local])
        replicaMap[local] = index
        return index
    }

    mutating func containerIndex(_ local: UInt32) -> Int {
        if let index = containerMap[local] { return index }
        let index = fragment.containers.count
        fragment.containers.append(document.containers.ids[Int(local)])
        containerMap[local] = index
        return index
    }

    mutating func ref(_ item: ItemID) -> FragmentOp.Ref? {
        item.isNone ? nil : FragmentOp.Ref(replica: replicaIndex(item.replica), counter: item.counter)
    }

    mutating func add(replica: UInt32, counters: Range<UInt64>) {
        let log = document.logs[Int(replica)]
        guard var runIndex = log.runIndex(containing: counters.lowerBound) else { return }
        _ = replicaIndex(replica)
        while runIndex < log.runs.count && log.runs[runIndex].counter < counters.upperBound {
            let run = log.runs[runIndex]
            let lower = max(run.counter, counters.lowerBound)
            let upper = min(run.endCounter, counters.upperBound)
            emit(run, replica: replica, counters: lower..<upper, log: log)
            runIndex += 1
        }
    }

    private mutating func emit(_ run: LogRun, replica: UInt32, counters: Range<UInt64>, log: ReplicaLog) {
        let container = containerIndex(run.container)
        let lamportBase = run.lamport &+ (counters.lowerBound - run.counter)
        switch run.kind {
        case .insert:
            emitInserts(run, replica: replica, counters: counters, container: container)
        case .delete:
            var spans: [FragmentOp.Span] = []
            log.forEachDeleteSpan(of: run, counters: counters) { span, offset, count in
                if let start = ref(span.item(at: offset)) {
                    spans.append(FragmentOp.Span(start: start, length: count, descending: span.descending && count > 1))
                }
            }
            fragment.ops.append(FragmentOp(replica: replicaIndex(replica), counter: counters.lowerBound, lamport: lamportBase, container: container, body: .delete(spans)))
        case .mapSet, .registerSet, .counterAdd, .setAdd, .setRemove:
            for counter in counters {
                let offset = Int(counter - run.counter)
                let payload = log.payloads[Int(run.payload) + offset]
                let body: FragmentOp.Body
                switch payload {
                case .mapSet(let key, let value): body = .mapSet(key: key, value: value)
                case .registerSet(let value, let supersedes): body = .registerSet(value: value, supersedes: supersedes.compactMap { ref($0) })
                case .counterAdd(let delta): body = .counterAdd(delta)
                case .setAdd(let value): body = .setAdd(value)
                case .setRemove(let value, let observed): body = .setRemove(value, observed: observed.compactMap { ref($0) })
                }
                fragment.ops.append(FragmentOp(replica: replicaIndex(replica), counter: counter, lamport: run.lamport &+ UInt64(offset), container: container, body: body))
            }
        }
    }

    /// Inserted items are read back from the sequence: origins from their runs, content from
    /// the leaves (or "deleted" once removed). Consecutive pieces merge into one operation.
    private mutating func emitInserts(_ run: LogRun, replica: UInt32, counters: Range<UInt64>, container: Int) {
        let id = document.containers.ids[Int(run.container)]
        let slot = document.slot(of: run.container)
        var counter = counters.lowerBound
        while counter < counters.upperBound {
            let item = ItemID(replica: replica, counter: counter)
            let piece: (run: SequenceRun, offset: Int, content: InsertContent.Elements, deleted: Bool)?
            if id.type == .text {
                piece = read(document.sequences[slot], item: item, limit: Int(counters.upperBound - counter), container: run.container) { .text($0) }
            } else {
                let values = document.listValues[slot]
                piece = read(document.sequences[slot], item: item, limit: Int(counters.upperBound - counter), container: run.container) { .list($0.map { values[Int($0)] }) }
            }
            guard let piece else { return }
            let count = piece.content.count
            let length = piece.deleted ? min(piece.run.count - piece.offset, Int(counters.upperBound - counter)) : count
            let left = piece.run.originLeft(at: piece.offset)
            let lamport = run.lamport &+ (counter - run.counter)
            appendInsert(
                replica: replica, counter: counter, lamport: lamport, container: container,
                left: left, right: piece.run.originRight, elements: piece.content, length: length, deleted: piece.deleted)
            counter += UInt64(length)
        }
    }

    /// The piece of `item`'s run from `item` on (at most `limit` items), with its content: from
    /// the leaves if visible, from the kept content of deleted items otherwise (sent visible:
    /// the delete follows as an operation); deleted without content if none was kept.
    private mutating func read(
        _ tree: SequenceTree, item: ItemID, limit: Int, container: UInt32, wrap: ([UInt32]) -> InsertContent.Elements
    ) -> (run: SequenceRun, offset: Int, content: InsertContent.Elements, deleted: Bool)? {
        guard let location = tree.locate(item) else { return nil }
        let run = tree.leaves[Int(location.leaf)].runs[location.run]
        let count = min(run.count - location.offset, limit)
        if run.isDeleted {
            guard let kept = tree.tombstones.content(item, upTo: count) else {
                contentless.append((container, ItemSpan(start: item, length: count)))
                return (run, location.offset, wrap([]), true)
            }
            return (run, location.offset, wrap(kept), false)
        }
        let content = Array(tree.leaves[Int(location.leaf)].content[location.contentOffset..<location.contentOffset + count])
        return (run, location.offset, wrap(content), false)
    }

    private mutating func appendInsert(
        replica: UInt32, counter: UInt64, lamport: UInt64, container: Int,
        left: ItemID, right: ItemID, elements: InsertContent.Elements, length: Int, deleted: Bool
    ) {
        let replicaRef = replicaIndex(replica)
        let leftRef = ref(left)
        let rightRef = ref(right)
        let piece = InsertContent.Piece(count: length, isDeleted: deleted)
        // Continue the previous insert if this piece follows its last item exactly.
        if var last = fragment.ops.last, last.replica == replicaRef, last.container == container,
           last.counter &+ UInt64(last.length) == counter, last.lamport &+ UInt64(last.length) == lamport,
           case .insert(let lastLeft, let lastRight, var content) = last.body, lastRight == rightRef,
           leftRef == FragmentOp.Ref(replica: replicaRef, counter: counter &- 1)
        {
            if content.pieces.isEmpty { content.pieces = [InsertContent.Piece(count: content.count, isDeleted: false)] }
            switch (content.elements, elements) {
            case (.text(var a), .text(let b)): a.append(contentsOf: b); content.elements = .text(a)
            case (.list(var a), .list(let b)): a.append(contentsOf: b); content.elements = .list(a)
            default: return
            }
            if content.pieces[content.pieces.count - 1].isDeleted == deleted {
                content.pieces[content.pieces.count - 1].count += length
            } else {
                content.pieces.append(piece)
            }
            if !content.pieces.contains(where: \.isDeleted) { content.pieces = [] }
            last.body = .insert(left: lastLeft, right: lastRight, content: content)
            fragment.ops[fragment.ops.count - 1] = last
            return
        }
        let content = InsertContent(elements: elements, pieces: deleted ? [piece] : [])
        fragment.ops.append(FragmentOp(replica: replicaRef, counter: counter, lamport: lamport, container: container, body: .insert(left: leftRef, right: rightRef, content: content)))
    }
}

extension Document {
    /// Merges everything `other` holds into this document (state-based merge: idempotent,
    /// commutative and associative in effect).
    public mutating func merge(_ other: Document) throws(DocumentError) {
        try merge(other, trusting: nil)
    }

    @discardableResult
    package mutating func merge(_ other: Document, trusting: ((ReplicaID) -> Bool)?) throws(DocumentError) -> ApplyReport {
        try apply(other.fragment(since: versionVector), trusting: trusting)
    }
}
