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

    /// The operations a replica at `version` lacks, limited to those within `limit` (for
    /// reproducing a past state).
    package func fragment(since version: VersionVector, upTo limit: VersionVector) -> DocumentFragment {
        var builder = FragmentBuilder(document: self)
        for index in versions.indices {
            let id = replicas[UInt32(index)]
            let from = version[id]
            let to = min(versions[index], limit[id])
            if to > from { builder.add(replica: UInt32(index), counters: from..<to) }
        }
        return builder.fragment
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
    }

    /// Closes the current group of local changes at time `now` (any monotonic clock): it joins
    /// the previous undo step if it follows within ``undoCaptureWindow`` with no caret jump.
    package mutating func commit(at now: Duration) {
        undoHistory.close(merge: continuesLastUndoGroup(at: now), at: now)
        committedCounter = versions[Int(selfIndex)]
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
struct FragmentBuilder {
    let document: Document
    var fragment = DocumentFragment()
    private var replicaMap: [UInt32: Int] = [:]
    private var containerMap: [UInt32: Int] = [:]

    init(document: Document) { self.document = document }

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
            var skip = Int(counters.lowerBound - run.counter)
            var take = counters.count
            var spanIndex = Int(run.payload)
            while take > 0 && spanIndex < log.deleteSpans.count {
                let span = log.deleteSpans[spanIndex]
                let length = Int(span.length)
                if skip >= length {
                    skip -= length
                } else {
                    let count = min(length - skip, take)
                    if let start = ref(span.item(at: skip)) {
                        spans.append(FragmentOp.Span(start: start, length: count, descending: span.descending && count > 1))
                    }
                    take -= count
                    skip = 0
                }
                spanIndex += 1
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
            let piece: (run: SequenceRun, offset: Int, content: InsertContent.Elements)?
            if id.type == .text {
                piece = Self.read(document.sequences[slot], item: item, limit: Int(counters.upperBound - counter)) { .text($0) }
            } else {
                let values = document.listValues[slot]
                piece = Self.read(document.sequences[slot], item: item, limit: Int(counters.upperBound - counter)) { .list($0.map { values[Int($0)] }) }
            }
            guard let piece else { return }
            let count = piece.content.count
            let length = piece.run.isDeleted ? min(piece.run.count - piece.offset, Int(counters.upperBound - counter)) : count
            let left = piece.run.originLeft(at: piece.offset)
            let lamport = run.lamport &+ (counter - run.counter)
            appendInsert(
                replica: replica, counter: counter, lamport: lamport, container: container,
                left: left, right: piece.run.originRight, elements: piece.content, length: length, deleted: piece.run.isDeleted)
            counter += UInt64(length)
        }
    }

    private static func read(
        _ tree: SequenceTree, item: ItemID, limit: Int, wrap: ([UInt32]) -> InsertContent.Elements
    ) -> (run: SequenceRun, offset: Int, content: InsertContent.Elements)? {
        guard let location = tree.locate(item) else { return nil }
        let run = tree.leaves[Int(location.leaf)].runs[location.run]
        let count = min(run.count - location.offset, limit)
        if run.isDeleted { return (run, location.offset, wrap([])) }
        let content = Array(tree.leaves[Int(location.leaf)].content[location.contentOffset..<location.contentOffset + count])
        return (run, location.offset, wrap(content))
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
