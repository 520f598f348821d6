/// Where a node looks for other trees of its cluster (docs/protocol.md, "Split brain"): one
/// address per interval, alternating between former parents (where a rival root most likely
/// is) and the seeds and family addresses learned from heartbeats. Only the addresses and the
/// schedule live here; what a beacon from another tree means is ``NodeCore``'s to decide.
package struct SplitBrainProbe: Sendable {
    /// How often a root probes one address for another root (joined nodes, four times less).
    package static let interval: Duration = .milliseconds(500)
    /// How long a probe waits for a beacon.
    package static let timeout: Duration = .milliseconds(300)
    static let maxTargets = 32
    static let maxFormerParents = 8

    /// Addresses learned from the tree (grandparent, siblings), oldest first.
    package private(set) var targets: [String] = []
    /// Former parents, most recent first.
    package private(set) var formerParents: [String] = []
    /// The address being probed and since when.
    package private(set) var current: (target: String, since: Duration)?
    private var count = 0
    private var last: Duration = .zero
    /// An address to probe next, whatever the schedule (a merge invitation named it).
    private var urgent: String?

    package init() {}

    /// Remembers an address to probe later (never `own`).
    package mutating func remember(_ publish: String, own: String?) {
        guard publish != own, !targets.contains(publish) else { return }
        targets.append(publish)
        if targets.count > Self.maxTargets { targets.removeFirst() }
    }

    /// Remembers the parent just lost, first.
    package mutating func rememberFormerParent(_ publish: String) {
        formerParents.removeAll { $0 == publish }
        formerParents.insert(publish, at: 0)
        if formerParents.count > Self.maxFormerParents { formerParents.removeLast() }
    }

    /// True if the probe in flight has waited long enough: it is abandoned.
    package mutating func expire(now: Duration) -> Bool {
        guard let current, now - current.since >= Self.timeout else { return false }
        self.current = nil
        return true
    }

    /// A beacon arrived on the probe socket: the address probed, if a probe was in flight (it
    /// is answered).
    package mutating func answer() -> String? {
        guard let current else { return nil }
        self.current = nil
        return current.target
    }

    /// True if `publish` is an address this node learned itself: a seed, a former parent, or
    /// one its tree told it of.
    package func knows(_ publish: String, seeds: [String]) -> Bool {
        seeds.contains(publish) || formerParents.contains(publish) || targets.contains(publish)
    }

    /// Probes `publish` as soon as no other probe is in flight.
    package mutating func expedite(_ publish: String) {
        urgent = publish
    }

    /// When ``expire(now:)`` or ``next(now:joined:seeds:own:parent:isChild:)`` may next act: the
    /// probe in flight times out, an urgent address is waiting, or the interval has passed.
    /// Nil when there is nothing to probe (learning an address is an input, after which the
    /// shell asks again). `anySeed(where:)` answers whether a seed passes a test: a shell asks
    /// after every input, so this only needs to know that a candidate exists, not list them.
    package func nextDeadline(joined: Bool, own: String?, parent: String?, isChild: (String) -> Bool, anySeed: (_ where: (String) -> Bool) -> Bool) -> Duration? {
        if let current { return current.since + Self.timeout }
        if urgent != nil { return .zero }
        let found = withoutActuallyEscaping(isChild) { isChild in
            let probeable = { (address: String) in address != own && address != parent && !isChild(address) }
            return formerParents.contains(where: probeable) || targets.contains(where: probeable) || anySeed(probeable)
        }
        guard found else { return nil }
        return last + (joined ? Self.interval * 4 : Self.interval)
    }

    /// Former parents, and the other addresses (seeds first), that may be probed: never this
    /// node, its parent or its current children (while one is a child, its beacon names this
    /// tree, so probing it finds nothing and costs both a connection every interval).
    private func candidates(seeds: [String], own: String?, parent: String?, isChild: (String) -> Bool) -> (parents: [String], others: [String]) {
        func probeable(_ address: String) -> Bool { address != own && address != parent && !isChild(address) }
        var others = seeds.filter(probeable)
        for target in targets where !others.contains(target) && probeable(target) { others.append(target) }
        return (formerParents.filter(probeable), others)
    }

    /// The next address to probe, if one is due: none while a probe is in flight, or sooner
    /// than the interval (`joined` nodes probe four times less often). `seeds` come first among
    /// the other addresses; `own`, `parent` and the current children (`isChild`) are never probed.
    package mutating func next(now: Duration, joined: Bool, seeds: [String], own: String?, parent: String?, isChild: (String) -> Bool) -> String? {
        guard current == nil else { return nil }
        if let urgent, urgent != own, urgent != parent {
            self.urgent = nil
            current = (urgent, now)
            return urgent
        }
        urgent = nil
        let interval = joined ? Self.interval * 4 : Self.interval
        guard now - last >= interval else { return nil }
        let (parents, others) = candidates(seeds: seeds, own: own, parent: parent, isChild: isChild)
        guard !parents.isEmpty || !others.isEmpty else { return nil }
        last = now
        count += 1
        let target: String
        if !parents.isEmpty && (count % 2 == 0 || others.isEmpty) {
            target = parents[(count / 2) % parents.count]
        } else {
            target = others[(count / 2) % others.count]
        }
        current = (target, now)
        return target
    }
}
