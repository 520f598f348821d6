/// A delta: some operations of some replicas, self-contained (it names the replicas and
/// containers it refers to). One local transaction makes a small fragment (a keystroke: a few
/// bytes encoded); ``Document/fragment(since:)`` makes one of everything another replica lacks.
///
/// Applying a fragment is idempotent and commutative: apply it twice, or apply fragments in
/// any order, and documents converge. Operations whose dependencies have not arrived are held
/// by the document until they do.
package struct DocumentFragment: Hashable, Sendable {
    /// The replicas the fragment refers to. Operations made by `replicas[0]` come first when the
    /// fragment is one replica's transaction.
    package internal(set) var replicas: [ReplicaID] = []
    var containers: [ContainerID] = []
    var ops: [FragmentOp] = []

    package init() {}

    /// True if the fragment holds no operation.
    package var isEmpty: Bool { ops.isEmpty }

    /// The number of operation units (items inserted or deleted, keys set, ...).
    package var operationCount: Int { ops.reduce(0) { $0 + $1.length } }

    /// The highest Lamport time of any operation, or 0.
    package var maxLamport: UInt64 {
        ops.reduce(0) { max($0, $1.lamport &+ UInt64($1.length) &- 1) }
    }

    /// The counters each replica's operations cover.
    package var coverage: [ReplicaID: [Range<UInt64>]] {
        var result: [ReplicaID: [Range<UInt64>]] = [:]
        for op in ops {
            let range = op.counter..<op.counter + UInt64(op.length)
            let replica = replicas[op.replica]
            var ranges = result[replica] ?? []
            if let last = ranges.last, last.upperBound == range.lowerBound {
                ranges[ranges.count - 1] = last.lowerBound..<range.upperBound
            } else {
                ranges.append(range)
            }
            result[replica] = ranges
        }
        return result
    }

    /// The version vector of a replica that had seen nothing but this fragment's operations,
    /// counting only contiguous prefixes from 0.
    package var coveringVersion: VersionVector {
        var vector = VersionVector()
        for (replica, ranges) in coverage {
            var next: UInt64 = 0
            for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) where range.lowerBound <= next {
                next = max(next, range.upperBound)
            }
            vector[replica] = next
        }
        return vector
    }

    /// The containers the fragment touches.
    package var containerIDs: [ContainerID] { containers }
}

/// One run of operations of one replica on one container, with fragment-local indices.
struct FragmentOp: Hashable, Sendable {
    var replica: Int
    var counter: UInt64
    var lamport: UInt64
    var container: Int
    var body: Body

    /// An item, by fragment replica index and counter.
    struct Ref: Hashable, Sendable {
        var replica: Int
        var counter: UInt64
    }

    /// Deleted items: `start`, then the next ones up (or down when `descending`).
    struct Span: Hashable, Sendable {
        var start: Ref
        var length: Int
        var descending: Bool
    }

    enum Body: Hashable, Sendable {
        /// Items inserted between `left` and `right` (nil: the start / end of the sequence).
        case insert(left: Ref?, right: Ref?, content: InsertContent)
        case delete([Span])
        case mapSet(key: String, value: MapValue)
        case registerSet(value: Value, supersedes: [Ref])
        case counterAdd(Int64)
        case setAdd(Value)
        case setRemove(Value, observed: [Ref])
    }

    var length: Int {
        switch body {
        case .insert(_, _, let content): content.count
        case .delete(let spans): spans.reduce(0) { $0 + $1.length }
        default: 1
        }
    }
}

/// What an insert carries: the visible items' content, and which items arrive already deleted
/// (their content is not kept once deleted, so it is not sent).
struct InsertContent: Hashable, Sendable {
    enum Elements: Hashable, Sendable {
        case text([UInt32])
        case list([ListElement])

        var count: Int {
            switch self {
            case .text(let scalars): scalars.count
            case .list(let elements): elements.count
            }
        }
    }

    /// Alternating runs of visible and deleted items.
    struct Piece: Hashable, Sendable {
        var count: Int
        var isDeleted: Bool
    }

    var elements: Elements
    /// Empty when every item is visible.
    var pieces: [Piece]

    var count: Int {
        pieces.isEmpty ? elements.count : pieces.reduce(0) { $0 + $1.count }
    }

    var isText: Bool {
        if case .text = elements { return true }
        return false
    }
}
