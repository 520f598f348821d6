import ZincCore

/// The process-or-forward decision a node makes for each job it receives, from nothing but its
/// own queue and what its children last reported. Pure: time and randomness come in.
///
/// A candidate's load is jobs per worker slot: the node's own queue over its slots, a child's
/// subtree queue over the subtree's slots. The job goes to the least loaded candidate; among
/// candidates within `tolerance` of the least, it picks at random weighted by worker count, so
/// an idle tree spreads work over all its workers instead of piling it on the top level.
struct Dispatcher {
    struct Child: Hashable {
        var queued: Double
        var workers: Int
        var lastReport: ContinuousClock.Instant
    }

    enum Decision: Hashable {
        case process
        case forward(ReplicaID)
        /// Nowhere to send it yet (a submitter with no children): try again later.
        case hold
    }

    /// Whether this node runs jobs itself (the submitter does not).
    let isWorker: Bool
    let slots: Int
    /// A child that has not reported for this long is gone (dead, or moved to another parent).
    var expiry: Duration = .seconds(1)
    var tolerance = 0.5
    private(set) var children: [ReplicaID: Child] = [:]

    init(isWorker: Bool, slots: Int) {
        self.isWorker = isWorker
        self.slots = max(1, slots)
    }

    mutating func report(_ report: LoadReport, from child: ReplicaID, now: ContinuousClock.Instant) {
        children[child] = Child(queued: Double(report.queued), workers: Int(report.workers), lastReport: now)
    }

    mutating func expire(now: ContinuousClock.Instant) {
        children = children.filter { now - $0.value.lastReport < expiry }
    }

    /// What this node reports to its parent.
    func subtreeReport(ownQueued: Int) -> LoadReport {
        let queued = Double(ownQueued) + children.values.reduce(0) { $0 + $1.queued }
        let workers = (isWorker ? 1 : 0) + children.values.reduce(0) { $0 + $1.workers }
        return LoadReport(queued: UInt32(clamping: Int(queued.rounded())), workers: UInt32(clamping: workers))
    }

    mutating func decide(ownQueued: Int, using random: inout some RandomNumberGenerator) -> Decision {
        var candidates: [(decision: Decision, load: Double, weight: Int)] = []
        if isWorker { candidates.append((.process, Double(ownQueued) / Double(slots), 1)) }
        for (id, child) in children where child.workers > 0 {
            candidates.append((.forward(id), child.queued / Double(child.workers * slots), child.workers))
        }
        guard let least = candidates.map(\.load).min() else { return .hold }
        let near = candidates.filter { $0.load <= least + tolerance }
        var pick = Int.random(in: 0..<near.reduce(0) { $0 + $1.weight }, using: &random)
        var choice = near[near.count - 1].decision
        for candidate in near {
            if pick < candidate.weight {
                choice = candidate.decision
                break
            }
            pick -= candidate.weight
        }
        // Until the child's next report, count the job against it, so a burst does not all
        // land on the child that looked idlest a moment ago.
        if case .forward(let id) = choice { children[id]?.queued += 1 }
        return choice
    }
}
