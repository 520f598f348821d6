/// A run of consecutive items in document order, stored as one entry (run-length encoding).
///
/// Item `k` of the run has ID `id + k`; its left origin is `originLeft` for `k == 0` and the
/// run's item `k - 1` otherwise; every item shares `originRight`. All items are either visible
/// or deleted together. Typing produces one run per burst, which is what keeps documents small.
struct SequenceRun: Sendable, Equatable {
    var id: ItemID
    var originLeft: ItemID
    var originRight: ItemID
    var length: Int32
    var isDeleted: Bool

    @inline(__always) var count: Int { Int(length) }
    @inline(__always) var visibleCount: Int { isDeleted ? 0 : Int(length) }

    /// True if `item` is one of this run's items.
    @inline(__always) func contains(_ item: ItemID) -> Bool {
        item.raw &- id.raw < UInt64(UInt32(bitPattern: length))
    }

    /// The left origin of item `offset`.
    @inline(__always) func originLeft(at offset: Int) -> ItemID {
        offset == 0 ? originLeft : id.advanced(by: offset - 1)
    }

    /// The last item's ID.
    var lastID: ItemID { id.advanced(by: count - 1) }

    /// The part from `offset` on, as a run of its own.
    func suffix(from offset: Int) -> SequenceRun {
        SequenceRun(
            id: id.advanced(by: offset), originLeft: id.advanced(by: offset - 1),
            originRight: originRight, length: length - Int32(offset), isDeleted: isDeleted)
    }

    /// True if `next` continues this run exactly (same replica, next counters, left origin on
    /// our last item, same right origin and state), so the two can be one run.
    @inline(__always) func canAppend(_ next: SequenceRun) -> Bool {
        next.id.raw == id.raw &+ UInt64(length)
            && next.id.replica == id.replica
            && next.originLeft.raw == next.id.raw &- 1
            && next.originRight == originRight
            && next.isDeleted == isDeleted
    }
}

