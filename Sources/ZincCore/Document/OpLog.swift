/// The kinds of operation a document records.
enum OpKind: UInt8, Sendable {
    case insert = 0
    case delete = 1
    case mapSet = 2
    case registerSet = 3
    case counterAdd = 4
    case setAdd = 5
    case setRemove = 6
}

/// A run of one replica's operations with consecutive counters and Lamport times, of one kind,
/// on one container. What each counter did is found through `payload`:
/// - inserts: the items `(replica, counter...)` themselves, in the container's sequence;
/// - deletes: ``ReplicaLog/deleteSpans`` from `payload` on, covering `length` items;
/// - everything else: ``ReplicaLog/payloads`` `payload ..< payload + length`.
struct LogRun: Sendable, Equatable {
    var counter: UInt64
    var lamport: UInt64
    var length: UInt32
    var container: UInt32
    var kind: OpKind
    var payload: UInt32

    var endCounter: UInt64 { counter + UInt64(length) }
}

/// Items deleted by consecutive delete operations: `start`, then `start ± 1`, ... (backspacing
/// deletes downwards, forward-deleting upwards).
struct DeleteSpan: Sendable, Equatable {
    var start: ItemID
    var length: Int32
    var descending: Bool

    init(start: ItemID, length: Int32, descending: Bool) {
        self.start = start
        self.length = length
        self.descending = descending
    }

    /// The ascending span's items, deleted in order.
    init(_ span: ItemSpan) {
        self.init(start: span.start, length: Int32(span.length), descending: false)
    }

    func item(at offset: Int) -> ItemID {
        descending ? ItemID(raw: start.raw &- UInt64(offset)) : start.advanced(by: offset)
    }

    /// The items `offset ..< offset + count`, as an ascending span.
    func ascendingSpan(from offset: Int, count: Int) -> ItemSpan {
        descending
            ? ItemSpan(start: item(at: offset + count - 1), length: count)
            : ItemSpan(start: item(at: offset), length: count)
    }
}

/// The payload of a map, register, counter or set operation.
enum OpPayload: Sendable, Equatable {
    case mapSet(key: String, value: MapValue)
    case registerSet(value: Value, supersedes: [ItemID])
    case counterAdd(Int64)
    case setAdd(Value)
    case setRemove(Value, observed: [ItemID])
}

/// Everything one replica did to a document, in counter order. Serves ``Document/fragment(since:)``.
struct ReplicaLog: Sendable {
    /// The first counter the log holds: operations below it were trimmed (every replica of the
    /// tree had them). Zero while the log holds the replica's whole history.
    var base: UInt64 = 0
    var runs: [LogRun] = []
    var deleteSpans: [DeleteSpan] = []
    var payloads: [OpPayload] = []
    /// Where this replica's transactions ended, as far as this document saw them: each one's
    /// size in operations, a varint each (most transactions are a keystroke: one byte).
    var transactionSizes: [UInt8] = []
    /// The counter the last recorded transaction ended at.
    var lastTransactionEnd: UInt64 = 0

    /// Records that a transaction of this replica ended at counter `end` (ignored if not past
    /// the last one recorded).
    mutating func noteTransactionEnd(_ end: UInt64) {
        // An end at or below the base closes a transaction whose operations were trimmed.
        guard end > lastTransactionEnd, end > base else { return }
        Self.appendSize(end - max(lastTransactionEnd, base), to: &transactionSizes)
        lastTransactionEnd = end
    }

    private static func appendSize(_ size: UInt64, to sizes: inout [UInt8]) {
        var size = size
        while size >= 0x80 {
            sizes.append(UInt8(truncatingIfNeeded: size) | 0x80)
            size >>= 7
        }
        sizes.append(UInt8(size))
    }

    /// Drops the sizes of the transactions that end at or below `floor` (the new base) and
    /// measures the first one kept from `floor`. The sizes after it are each measured from the
    /// end before it, so their bytes stay as they are: no decoding of the rest, no copy of the ends.
    private mutating func trimTransactionSizes(below floor: UInt64) {
        var kept: [UInt8]?
        forEachTransactionEnd { end, next in
            guard end > floor else { return true }
            var sizes: [UInt8] = []
            sizes.reserveCapacity(transactionSizes.count - next + 10)
            Self.appendSize(end - floor, to: &sizes)
            sizes.append(contentsOf: transactionSizes[next...])
            kept = sizes
            return false
        }
        transactionSizes = kept ?? []
        if kept == nil { lastTransactionEnd = 0 }
    }

    /// Calls `body` with each recorded transaction's end and the index of the byte after its
    /// size, in order, while it returns true.
    private func forEachTransactionEnd(_ body: (_ end: UInt64, _ next: Int) -> Bool) {
        var end = base
        var value: UInt64 = 0, shift: UInt64 = 0
        for index in transactionSizes.indices {
            let byte = transactionSizes[index]
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 != 0 {
                shift = min(shift + 7, 63)
                continue
            }
            // Wrapping: a hostile stream is caught by the loader's checks, never traps.
            end &+= value
            value = 0
            shift = 0
            guard body(end, index + 1) else { return }
        }
    }

    /// The counters where recorded transactions ended, in order.
    var transactionEnds: [UInt64] {
        var ends: [UInt64] = []
        forEachTransactionEnd { end, _ in
            ends.append(end)
            return true
        }
        return ends
    }

    /// Where the last recorded transaction ends, if the sizes are well formed: complete varints,
    /// every end within `limit` (one pass, no allocation: loading checks it). A size of zero is
    /// never written, and read as nothing.
    func checkedLastTransactionEnd(within limit: UInt64) -> UInt64? {
        transactionSizes.withUnsafeBytes { bytes in
            var end = base
            var value: UInt64 = 0, shift: UInt64 = 0
            var index = 0
            while index < bytes.count {
                // Eight one-byte sizes at once: a transaction per keystroke is the common case. The
                // ends only grow, so the last of the eight within `limit` means all of them are.
                if shift == 0, index + 8 <= bytes.count {
                    let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 == 0 {
                        let pairs = (word & 0x00FF_00FF_00FF_00FF) + ((word >> 8) & 0x00FF_00FF_00FF_00FF)
                        let sum = (pairs &* 0x0001_0001_0001_0001) >> 48
                        guard end <= limit, sum <= limit - end else { return nil }
                        end += sum
                        index += 8
                        continue
                    }
                }
                let byte = bytes[index]
                index += 1
                guard shift < 63 else { return nil }
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 != 0 {
                    shift += 7
                    continue
                }
                guard end <= limit, value <= limit - end else { return nil }
                end += value
                value = 0
                shift = 0
            }
            return shift == 0 ? end : nil
        }
    }

    /// Walks the items deleted by the operations `counters` of delete run `run`: each delete
    /// span they reach, the offset of the first item reached in it, and how many.
    func forEachDeleteSpan(of run: LogRun, counters: Range<UInt64>, _ body: (DeleteSpan, Int, Int) -> Void) {
        var skip = Int(counters.lowerBound - run.counter)
        var take = counters.count
        var spanIndex = Int(run.payload)
        while take > 0 && spanIndex < deleteSpans.count {
            let span = deleteSpans[spanIndex]
            let length = Int(span.length)
            if skip >= length {
                skip -= length
            } else {
                let count = min(length - skip, take)
                body(span, skip, count)
                take -= count
                skip = 0
            }
            spanIndex += 1
        }
    }

    /// The run holding `counter`.
    func runIndex(containing counter: UInt64) -> Int? {
        let low = runs.partitionPoint { $0.endCounter <= counter }
        return low < runs.count && runs[low].counter <= counter ? low : nil
    }

    /// Appends an insert or payload run, extending the last run when it continues it.
    mutating func append(_ run: LogRun) {
        precondition(run.kind != .delete, "deletes go through appendDelete")
        if let last = runs.last, continues(last, with: run),
           run.kind == .insert || last.payload &+ last.length == run.payload
        {
            runs[runs.count - 1].length += run.length
        } else {
            runs.append(run)
        }
    }

    /// Appends a delete of `spans` (in deletion order) with counters from `counter`. When it
    /// continues the last run, the run grows and a span that continues the last span in its
    /// direction (backspacing, forward-deleting) folds into it; otherwise a new run starts.
    mutating func appendDelete(counter: UInt64, lamport: UInt64, container: UInt32, spans: [DeleteSpan]) {
        var next = counter
        for span in spans {
            appendDelete(counter: next, lamport: lamport &+ (next - counter), container: container, span: span)
            next += UInt64(span.length)
        }
    }

    /// Appends one span's deletes (counters from `counter`).
    mutating func appendDelete(counter: UInt64, lamport: UInt64, container: UInt32, span: DeleteSpan) {
        let run = LogRun(counter: counter, lamport: lamport, length: UInt32(span.length), container: container, kind: .delete, payload: UInt32(deleteSpans.count))
        guard let last = runs.last, continues(last, with: run) else {
            runs.append(run)
            deleteSpans.append(span)
            return
        }
        runs[runs.count - 1].length += UInt32(span.length)
        foldOrAppend(span)
    }

    private func continues(_ last: LogRun, with run: LogRun) -> Bool {
        last.kind == run.kind && last.container == run.container
            && last.endCounter == run.counter && last.lamport &+ UInt64(last.length) == run.lamport
    }

    /// Only called while extending the last run, whose spans end the table.
    private mutating func foldOrAppend(_ span: DeleteSpan) {
        guard span.length == 1, var last = deleteSpans.last, last.start.replica == span.start.replica else {
            deleteSpans.append(span)
            return
        }
        if span.start == last.item(at: Int(last.length)) {
            last.length += 1
        } else if last.length == 1 && span.start.raw == last.start.raw &- 1 {
            last.descending = true
            last.length = 2
        } else {
            deleteSpans.append(span)
            return
        }
        deleteSpans[deleteSpans.count - 1] = last
    }

    /// Where the log ends now, to cut it back to with ``truncate(to:)``.
    struct Mark: Sendable {
        var runs: Int
        var lastRun: LogRun?
        var deleteSpans: Int
        var lastDeleteSpan: DeleteSpan?
        var payloads: Int
    }

    var mark: Mark {
        Mark(runs: runs.count, lastRun: runs.last, deleteSpans: deleteSpans.count, lastDeleteSpan: deleteSpans.last, payloads: payloads.count)
    }

    /// Cuts the log back to `mark`: what was appended since is gone, and the last run and
    /// span get back the length they had (appends extend them in place).
    mutating func truncate(to mark: Mark) {
        runs.removeSubrange(mark.runs...)
        if let last = mark.lastRun { runs[mark.runs - 1] = last }
        deleteSpans.removeSubrange(mark.deleteSpans...)
        if let last = mark.lastDeleteSpan { deleteSpans[mark.deleteSpans - 1] = last }
        payloads.removeSubrange(mark.payloads...)
    }

    /// Drops the operations below `floor` (at most the log's end), splitting the run that
    /// holds it, with their delete spans and payloads and the transaction sizes before it.
    mutating func trim(below floor: UInt64) {
        guard floor > base else { return }
        let keepFrom: Int
        if let index = runIndex(containing: floor) {
            keepFrom = index
            let skipped = floor - runs[index].counter
            if skipped > 0 { dropPrefix(UInt32(skipped), ofRun: index) }
        } else {
            keepFrom = runs.count
        }
        let droppedSpans = runs[keepFrom...].first(where: { $0.kind == .delete }).map { Int($0.payload) } ?? deleteSpans.count
        let droppedPayloads = runs[keepFrom...].first(where: { $0.kind != .delete && $0.kind != .insert }).map { Int($0.payload) } ?? payloads.count
        runs.removeSubrange(..<keepFrom)
        deleteSpans.removeSubrange(..<droppedSpans)
        payloads.removeSubrange(..<droppedPayloads)
        for index in runs.indices {
            switch runs[index].kind {
            case .insert: break
            case .delete: runs[index].payload -= UInt32(droppedSpans)
            default: runs[index].payload -= UInt32(droppedPayloads)
            }
        }
        trimTransactionSizes(below: floor)
        base = floor
    }

    /// Makes run `index` start `count` operations later (its first ones are being dropped).
    private mutating func dropPrefix(_ count: UInt32, ofRun index: Int) {
        var run = runs[index]
        switch run.kind {
        case .insert:
            break
        case .delete:
            // Skip `count` deleted items through the run's spans; the span it ends inside keeps
            // its remainder, in its direction.
            var remaining = Int32(count)
            var span = Int(run.payload)
            while remaining > 0 {
                let length = deleteSpans[span].length
                if length <= remaining {
                    remaining -= length
                    span += 1
                } else {
                    let cut = deleteSpans[span]
                    deleteSpans[span] = DeleteSpan(start: cut.item(at: Int(remaining)), length: length - remaining, descending: cut.descending)
                    remaining = 0
                }
            }
            run.payload = UInt32(span)
        default:
            run.payload += count
        }
        run.counter += UInt64(count)
        run.lamport += UInt64(count)
        run.length -= count
        runs[index] = run
    }
}
