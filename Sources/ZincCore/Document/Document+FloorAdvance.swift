/// Raising the history floor without replaying: when the operations between the old floor and
/// the new one only insert into and delete from texts and lists, the state at the new floor is
/// the old base with those containers and the new version, plus the items the new list of
/// ``HistoryBase/deletedAtFloor`` names. Both come from range arithmetic over the logs, so a
/// trim costs what the logs' delete spans cost to walk, not what re-applying them costs (a
/// replay of a long-rewritten text took seconds, in one lump, on a node's I/O thread).
extension Document {
    /// The base at `floor` (at or above ``historyFloor``, at or below what this document
    /// holds), or nil when a replay must make it: when an operation between the floors changes
    /// a map, register, counter or set (their state at `floor` takes one), or when the Lamport
    /// times do not show `floor` causally closed (a replay checks it).
    func advancedHistoryBase(to floor: VersionVector) throws(DocumentError) -> HistoryBase? {
        let lower = historyFloor
        guard isLamportSeparated(floor, above: lower), !touchesPlainContainers(between: lower, and: floor) else { return nil }
        var state = try historyBase.map { base throws(DocumentError) in
            try Document(snapshot: base.state, replica: replica, limits: limits, historyBase: true)
        } ?? Document(replica: replica, limits: limits)
        for (index, log) in logs.enumerated() {
            let id = replicas[UInt32(index)]
            let end = floor[id]
            guard end > log.base else { continue }
            guard let local = state.internReplica(id) else {
                throw DocumentError(.limitExceeded, "the history base cannot name every replica below the floor")
            }
            state.versions[Int(local)] = end
            state.logs[Int(local)] = ReplicaLog()
            state.logs[Int(local)].base = end
            if let last = lamport(of: UInt32(index), counter: end - 1) { state.clock.advance(toAtLeast: last) }
            for run in log.runs {
                guard run.counter < end else { break }
                _ = state.containerIndex(containers.ids[Int(run.container)])
            }
        }
        var base = HistoryBase(state: Self.withoutSequences(state).encodedSnapshot())
        base.addDeleted(deletedAtFloor(advancedTo: floor))
        return base
    }

    /// True if every operation between `lower` and `floor` has a smaller Lamport time than
    /// every operation from `floor` on. Then `floor` is causally closed (given `lower` is): an
    /// operation's dependencies all have smaller Lamport times. A version a peer merely claims
    /// need not be closed, and a base made at one would rebuild wrong past versions.
    private func isLamportSeparated(_ floor: VersionVector, above lower: VersionVector) -> Bool {
        var latestBelow: UInt64 = 0
        var earliestAbove = UInt64.max
        for (index, count) in versions.enumerated() {
            let id = replicas[UInt32(index)]
            let end = floor[id]
            if end > lower[id], let time = lamport(of: UInt32(index), counter: end - 1) { latestBelow = max(latestBelow, time) }
            if end < count, let time = lamport(of: UInt32(index), counter: end) { earliestAbove = min(earliestAbove, time) }
        }
        return latestBelow < earliestAbove
    }

    /// True if an operation with counters from `lower` to `upper` is neither an insert nor a
    /// delete.
    private func touchesPlainContainers(between lower: VersionVector, and upper: VersionVector) -> Bool {
        logs.enumerated().contains { index, log in
            let id = replicas[UInt32(index)]
            let (from, to) = (lower[id], upper[id])
            guard to > from else { return false }
            let first = log.runIndex(containing: from) ?? log.runs.count
            return log.runs[first...].prefix { $0.counter < to }.contains { $0.kind != .insert && $0.kind != .delete }
        }
    }

    /// The items deleted at `floor` that operations from `floor` on delete again: of the items
    /// below `floor` that logged deletes from `floor` on remove, those the old list names
    /// (deleted at the old floor) or a logged delete between the floors removed first.
    private func deletedAtFloor(advancedTo floor: VersionVector) -> [HistoryBase.DeletedRange] {
        // Keyed by container and replica index, packed; the floor by replica index. Both are
        // looked up once per logged delete span (a ReplicaID hash each was most of a trim).
        func key(_ container: UInt32, _ replica: UInt32) -> UInt64 { UInt64(container) << 32 | UInt64(replica) }
        let limits = logs.indices.map { floor[replicas[UInt32($0)]] }
        var deletedAgain: [UInt64: [Range<UInt64>]] = [:]
        forEachLoggedDelete(from: floor) { container, span in
            let limit = limits[Int(span.start.replica)]
            guard span.start.counter < limit else { return }
            deletedAgain[key(container, span.start.replica), default: []].append(span.start.counter..<min(span.end.counter, limit))
        }
        guard !deletedAgain.isEmpty else { return [] }
        // What a delete below the floor must overlap to matter, per key: usually one key and a
        // few items, while the deletes below the floor are the whole history between the floors.
        let wanted = deletedAgain.map { key, ranges in
            (key: key, lower: ranges.map(\.lowerBound).min() ?? 0, upper: ranges.map(\.upperBound).max() ?? 0)
        }
        var deletedBefore: [UInt64: [Range<UInt64>]] = [:]
        forEachLoggedDelete(from: nil, upTo: floor) { container, span in
            let key = key(container, span.start.replica)
            guard wanted.contains(where: { $0.key == key && span.start.counter < $0.upper && span.end.counter > $0.lower }) else { return }
            deletedBefore[key, default: []].append(span.start.counter..<span.end.counter)
        }
        for range in historyBase?.deletedAtFloor ?? [] {
            guard let container = containers.index(of: range.container), let replica = replicas.index(of: range.replica) else { continue }
            let key = key(container, replica)
            if deletedAgain[key] != nil { deletedBefore[key, default: []].append(range.counters) }
        }
        var result: [HistoryBase.DeletedRange] = []
        for (key, again) in deletedAgain {
            let before = Self.normalized(deletedBefore[key] ?? [])
            let normalizedAgain = Self.normalized(again)
            // Both: again minus (again minus before).
            let both = Self.subtracting(Self.subtracting(before, from: normalizedAgain), from: normalizedAgain)
            let container = containers.ids[Int(key >> 32)], replica = replicas[UInt32(truncatingIfNeeded: key)]
            result += both.map { HistoryBase.DeletedRange(container: container, replica: replica, counters: $0) }
        }
        return result
    }
}
