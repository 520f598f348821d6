package import ZincCore

/// What every member of the tree holds of one document: the version below which its history
/// is never needed as operations again, so it may be trimmed.
///
/// Reports travel both ways (docs/protocol.md, "Held versions"): each node tells its parent
/// what every member of its subtree holds (its own version met with its children's reports),
/// and each parent tells its children what every member of the tree holds (the root's subtree
/// report, met on the way down with each host's own subtree). A node that has lost its parent
/// knows nothing about the tree, and trims nothing until a new parent reports.
package struct HistoryStability: Sendable {
    private var subtrees: [ReplicaID: VersionVector] = [:]
    private var tree: VersionVector?
    private var sentUp: Sent?
    private var sentDown: Sent?
    /// Bumped by every report received and every link change: with the replica's own operation
    /// total, it says whether the floors can have moved since the last look.
    private var generation: UInt64 = 0
    /// The inputs of the last look at which both reports sent were current: while they stay the
    /// same, only a refresh can be due, and nothing needs computing.
    private var settledAt: Inputs?

    private struct Inputs: Equatable, Sendable {
        var operations: UInt64
        var generation: UInt64
        var children: [ReplicaID]
        var hasParent: Bool
        var isRoot: Bool
    }

    private struct Sent: Sendable {
        var version: VersionVector
        var at: Duration
    }

    package init() {}

    /// A child reported what every member of its subtree holds. Replaced, not merged: a
    /// subtree that gains a member who lags holds less than before.
    package mutating func child(_ child: ReplicaID, holds version: VersionVector) {
        subtrees[child] = version
        generation &+= 1
    }

    /// The parent reported what every member of the tree holds.
    package mutating func treeHolds(_ version: VersionVector) {
        tree = version
        generation &+= 1
    }

    package mutating func childGone(_ child: ReplicaID) {
        subtrees[child] = nil
        generation &+= 1
    }

    /// The tree this node knew is gone with the parent; the next parent reports its own.
    package mutating func parentGone() {
        tree = nil
        sentUp = nil
        generation &+= 1
    }

    /// What every member of this node's subtree holds: `version` (this replica's), met with
    /// each child's report (a child that has not reported holds nothing, as far as this goes).
    package func subtreeFloor(_ version: VersionVector, children: [ReplicaID]) -> VersionVector {
        children.reduce(version) { $0.meeting(subtrees[$1] ?? VersionVector()) }
    }

    /// The version below which history may be trimmed: the subtree floor at the root, the
    /// tree's (met with the subtree's) elsewhere, nothing while the tree is unknown.
    package func floor(_ version: VersionVector, _ context: RouteContext) -> VersionVector {
        floor(subtree: subtreeFloor(version, children: context.children), context)
    }

    private func floor(subtree: VersionVector, _ context: RouteContext) -> VersionVector {
        if context.isRoot { return subtree }
        guard context.hasParent, let tree else { return VersionVector() }
        return tree.meeting(subtree)
    }

    /// The reports due now: up when the subtree floor changed (or `refresh` passed since the
    /// last one), down likewise, at most once per `interval` each. `version` (this replica's,
    /// of `operations` operations) is asked for only when a report may be due: this runs on
    /// every tick of every document.
    package mutating func reportsDue(
        _ version: () -> VersionVector, operations: UInt64, _ context: RouteContext, interval: Duration, refresh: Duration
    ) -> (up: VersionVector?, down: VersionVector?) {
        let soonest = min(interval, refresh)
        var upPossible = context.hasParent && Self.mayBeDue(last: sentUp, now: context.now, interval: soonest)
        var downPossible = context.hasChildren && Self.mayBeDue(last: sentDown, now: context.now, interval: soonest)
        let inputs = Inputs(operations: operations, generation: generation, children: context.children, hasParent: context.hasParent, isRoot: context.isRoot)
        if settledAt == inputs {
            // The floors are what was last sent: only a refresh can be due.
            upPossible = upPossible && Self.mayBeDue(last: sentUp, now: context.now, interval: refresh)
            downPossible = downPossible && Self.mayBeDue(last: sentDown, now: context.now, interval: refresh)
        }
        guard upPossible || downPossible else { return (nil, nil) }
        let subtree = subtreeFloor(version(), children: context.children)
        var up: VersionVector?
        if upPossible, Self.due(subtree, last: sentUp, now: context.now, interval: interval, refresh: refresh) {
            up = subtree
            sentUp = Sent(version: subtree, at: context.now)
        }
        var down: VersionVector?
        var treeFloor: VersionVector?
        if context.hasChildren {
            let tree = floor(subtree: subtree, context)
            treeFloor = tree
            if downPossible, Self.due(tree, last: sentDown, now: context.now, interval: interval, refresh: refresh) {
                down = tree
                sentDown = Sent(version: tree, at: context.now)
            }
        }
        let upCurrent = !context.hasParent || sentUp?.version == subtree
        let downCurrent = treeFloor == nil || sentDown?.version == treeFloor
        settledAt = upCurrent && downCurrent ? inputs : nil
        return (up, down)
    }

    /// When ``reportsDue(_:operations:_:interval:refresh:)`` may next send or settle; nil with
    /// neither a parent nor children.
    package func nextDeadline(operations: UInt64, _ context: RouteContext, interval: Duration, refresh: Duration) -> Duration? {
        let inputs = Inputs(operations: operations, generation: generation, children: context.children, hasParent: context.hasParent, isRoot: context.isRoot)
        let wait = settledAt == inputs ? refresh : min(interval, refresh)
        let up = context.hasParent ? (sentUp.map { $0.at + wait } ?? .zero) : nil
        let down = context.hasChildren ? (sentDown.map { $0.at + wait } ?? .zero) : nil
        return earliest(up, down)
    }

    /// False while `interval` has not passed since the last report: none can be due then.
    private static func mayBeDue(last: Sent?, now: Duration, interval: Duration) -> Bool {
        last.map { now - $0.at >= interval } ?? true
    }

    private static func due(_ version: VersionVector, last: Sent?, now: Duration, interval: Duration, refresh: Duration) -> Bool {
        guard let last else { return true }
        let elapsed = now - last.at
        return elapsed >= refresh || (elapsed >= interval && last.version != version)
    }
}
