import DequeModule
package import ZincCore

/// How far this node's local deltas of one document run ahead of its slowest child: the
/// acknowledgement clock of per-child flow control (docs/protocol.md, "Flow control").
///
/// Every local delta sent down is remembered by the document's operation total just after it.
/// Each child's heartbeat digest reports the operations it holds; every remembered delta at or
/// below that total has reached it. The lag of a child is the number of remembered deltas above
/// its last report, counted in messages, because the publisher's high-water mark counts
/// messages: a window in operations would allow a handful of large deltas or far too many small
/// ones.
///
/// Deltas every reporting child is known to hold are forgotten, so a child that starts
/// reporting later counts only the deltas still remembered (it caught up on the rest by the
/// join's sync or a transfer). Children that have not reported the document yet (just joined, or not interested in it) do
/// not hold the source back. Pure bookkeeping: it decides nothing on the wire, the shell uses
/// ``lag`` to hold back local edits.
package struct FlowWindow: Sendable {
    /// Operation totals just after each local delta not yet known to have reached every child
    /// (non-decreasing).
    private var unacknowledged = Deque<UInt64>()
    /// The operation total each child last reported.
    private var reported: [ReplicaID: UInt64] = [:]
    /// Children the source stopped waiting for (they stayed a window behind too long), with the
    /// document's operation total at that moment: each is served by digest repair, and holds
    /// the source back again once it reports holding that much.
    private var exempted: [ReplicaID: UInt64] = [:]
    /// Deltas remembered at most: a child this far behind is being repaired by digest anyway.
    package let capacity: Int

    package init(capacity: Int = 100_000) { self.capacity = capacity }

    /// A local delta went down; `total` is the document's operation total after it.
    package mutating func sent(total: UInt64) {
        guard !reported.isEmpty else { return }
        unacknowledged.append(total)
        if unacknowledged.count > capacity { unacknowledged.removeFirst() }
    }

    /// `child` reported holding `total` operations.
    package mutating func reported(_ child: ReplicaID, total: UInt64) {
        if let caughtUpAt = exempted[child] {
            guard total >= caughtUpAt else { return }
            exempted[child] = nil
        }
        reported[child] = total
        release()
    }

    /// Stops waiting for the slowest children (the source's `total` now is where each counts
    /// again once it gets there). Returns them.
    @discardableResult
    package mutating func exemptSlowest(total: UInt64) -> [ReplicaID] {
        guard let slowest = reported.values.min() else { return [] }
        let children = reported.filter { $0.value == slowest }.map(\.key)
        for child in children {
            reported[child] = nil
            exempted[child] = total
        }
        release()
        return children
    }

    /// `child` left: it no longer holds the source back.
    package mutating func forget(_ child: ReplicaID) {
        exempted[child] = nil
        guard reported.removeValue(forKey: child) != nil else { return }
        release()
    }

    /// Forgets the deltas every reporting child holds (all of them when none reports).
    private mutating func release() {
        guard let slowest = reported.values.min() else {
            unacknowledged.removeAll()
            return
        }
        while let first = unacknowledged.first, first <= slowest { unacknowledged.removeFirst() }
    }

    /// Local deltas the slowest reporting child is not yet known to hold.
    package var lag: Int {
        guard let slowest = reported.values.min() else { return 0 }
        return unacknowledged.count - Self.countNotAbove(slowest, in: unacknowledged)
    }

    /// Children that hold the source back.
    package var reportingChildren: Int { reported.count }

    /// How many of the non-decreasing `values` are at most `total` (binary search).
    private static func countNotAbove(_ total: UInt64, in values: Deque<UInt64>) -> Int {
        values.partitionPoint { $0 <= total }
    }
}
