import DequeModule

/// A remote operation translated to this document's local indices.
struct ResolvedOp: Sendable {
    enum Body: Sendable {
        case insert(left: ItemID, right: ItemID, content: InsertContent)
        case delete([DeleteSpan])
        case payload(OpPayload)
    }

    var replica: UInt32
    var counter: UInt64
    var lamport: UInt64
    var container: UInt32
    var body: Body
    var length: Int

    var kind: OpKind {
        switch body {
        case .insert: .insert
        case .delete: .delete
        case .payload(let payload):
            switch payload {
            case .mapSet: .mapSet
            case .registerSet: .registerSet
            case .counterAdd: .counterAdd
            case .setAdd: .setAdd
            case .setRemove: .setRemove
            }
        }
    }

    /// The same operation without its first `count` units (which the document already has).
    func dropping(_ count: Int) -> ResolvedOp? {
        guard count > 0 else { return self }
        guard count < length else { return nil }
        var op = self
        op.counter += UInt64(count)
        op.lamport += UInt64(count)
        op.length -= count
        switch body {
        case .insert(_, let right, let content):
            op.body = .insert(left: ItemID(replica: replica, counter: counter + UInt64(count) - 1), right: right, content: content.dropping(count))
        case .delete(let spans):
            var remaining = count
            var rest: [DeleteSpan] = []
            for span in spans {
                if remaining >= Int(span.length) {
                    remaining -= Int(span.length)
                    continue
                }
                rest.append(DeleteSpan(start: span.item(at: remaining), length: span.length - Int32(remaining), descending: span.descending))
                remaining = 0
            }
            op.body = .delete(rest)
        case .payload:
            return nil
        }
        return op
    }
}

extension InsertContent {
    /// The content without its first `count` items.
    func dropping(_ count: Int) -> InsertContent {
        var pieces = self.pieces.isEmpty ? [Piece(count: self.count, isDeleted: false)] : self.pieces
        var remaining = count
        var visibleDropped = 0
        while remaining > 0, let first = pieces.first {
            let take = min(first.count, remaining)
            if !first.isDeleted { visibleDropped += take }
            if take == first.count { pieces.removeFirst() } else { pieces[0].count -= take }
            remaining -= take
        }
        let elements: Elements
        switch self.elements {
        case .text(let scalars): elements = .text(Array(scalars.dropFirst(visibleDropped)))
        case .list(let items): elements = .list(Array(items.dropFirst(visibleDropped)))
        }
        return InsertContent(elements: elements, pieces: pieces.contains(where: \.isDeleted) ? pieces : [])
    }
}

/// Remote operations that arrived before something they depend on, per replica in counter
/// order. Bounded: past the limit, new arrivals are refused (gap repair fetches them later).
struct PendingOperations: Sendable {
    /// Each replica's held operations by counter. A deque: they mostly arrive and leave in
    /// counter order, at its two ends.
    private(set) var byReplica: [UInt32: Deque<ResolvedOp>] = [:]
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// Holds `op`; false if refused (over `limit`, or already held).
    mutating func hold(_ op: ResolvedOp, limit: Int) -> Bool {
        guard count < limit else { return false }
        // In place: a queue copied out of the dictionary was copied whole on every insert, so
        // holding n operations cost O(n²) (a fan-out child holding a gap's worth of deltas).
        let held = Self.insert(op, into: &byReplica[op.replica, default: []])
        if held { count += 1 }
        return held
    }

    private static func insert(_ op: ResolvedOp, into queue: inout Deque<ResolvedOp>) -> Bool {
        let low = queue.partitionPoint { $0.counter < op.counter }
        if low < queue.count && queue[low].counter == op.counter && queue[low].length >= op.length { return false }
        queue.insert(op, at: low)
        return true
    }

    /// The replicas with held operations, in a fixed order.
    var replicas: [UInt32] { byReplica.keys.sorted() }

    func first(of replica: UInt32) -> ResolvedOp? { byReplica[replica]?.first }

    mutating func removeFirst(of replica: UInt32) {
        guard byReplica[replica]?.isEmpty == false else { return }
        byReplica[replica]?.removeFirst()
        count -= 1
        if byReplica[replica]?.isEmpty == true { byReplica[replica] = nil }
    }
}
