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

    private struct Sent: Sendable {
        var version: VersionVector
        var at: Duration
    }

    package init() {}

    /// A child reported what every member of its subtree holds. Replaced, not merged: a
    /// subtree that gains a member who lags holds less than before.
    package mutating func child(_ child: ReplicaID, holds version: VersionVector) {
        subtrees[child] = version
    }

    /// The parent reported what every member of the tree holds.
    package mutating func treeHolds(_ version: VersionVector) {
        tree = version
    }

    package mutating func childGone(_ child: ReplicaID) {
        subtrees[child] = nil
    }

    /// The tree this node knew is gone with the parent; the next parent reports its own.
    package mutating func parentGone() {
        tree = nil
        sentUp = nil
    }

    /// What every member of this node's subtree holds: `version` (this replica's), met with
    /// each child's report (a child that has not reported holds nothing, as far as this goes).
    package func subtreeFloor(_ version: VersionVector, children: [ReplicaID]) -> VersionVector {
        children.reduce(version) { $0.meeting(subtrees[$1] ?? VersionVector()) }
    }

    /// The version below which history may be trimmed: the subtree floor at the root, the
    /// tree's (met with the subtree's) elsewhere, nothing while the tree is unknown.
    package func floor(_ version: VersionVector, _ context: RouteContext) -> VersionVector {
        let subtree = subtreeFloor(version, children: context.children)
        if context.isRoot { return subtree }
        guard context.hasParent, let tree else { return VersionVector() }
        return tree.meeting(subtree)
    }

    /// The reports due now: up when the subtree floor changed (or `refresh` passed since the
    /// last one), down likewise, at most once per `interval` each.
    package mutating func reportsDue(
        _ version: VersionVector, _ context: RouteContext, interval: Duration, refresh: Duration
    ) -> (up: VersionVector?, down: VersionVector?) {
        let subtree = subtreeFloor(version, children: context.children)
        var up: VersionVector?
        if context.hasParent, Self.due(subtree, last: sentUp, now: context.now, interval: interval, refresh: refresh) {
            up = subtree
            sentUp = Sent(version: subtree, at: context.now)
        }
        var down: VersionVector?
        if context.hasChildren {
            let tree = floor(version, context)
            if Self.due(tree, last: sentDown, now: context.now, interval: interval, refresh: refresh) {
                down = tree
                sentDown = Sent(version: tree, at: context.now)
            }
        }
        return (up, down)
    }

    private static func due(_ version: VersionVector, last: Sent?, now: Duration, interval: Duration, refresh: Duration) -> Bool {
        guard let last else { return true }
        let elapsed = now - last.at
        return elapsed >= refresh || (elapsed >= interval && last.version != version)
    }
}
