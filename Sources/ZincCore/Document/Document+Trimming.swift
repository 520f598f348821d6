/// Trimming history (Loro calls the result a shallow snapshot): once every member of the tree
/// holds a version, the operations below it need never be sent again, and a document may drop
/// them. It keeps its state (tombstones included: operations made concurrently, or by a
/// replica that was away, may still name them), the operations from the floor on, the content
/// of items deleted from the floor on, and a compact copy of the state at the floor, so every
/// version from the floor on can still be rebuilt. A replica that comes back from below the
/// floor gets a snapshot instead of a fragment (``lacksHistory(since:)``) and merges it as a
/// state (``mergeState(_:)``).
extension Document {
    /// Drops the history below `floor` (clamped to what this document holds, and never below
    /// what is already trimmed), keeping a base state at the floor for time travel. Returns
    /// false if there was nothing to drop.
    ///
    /// `floor` must be causally closed: a version some replica held, or the pointwise minimum
    /// or maximum of such versions (``version(keepingLast:)`` is one too).
    ///
    /// - Complexity: O(logged deletes) when only texts and lists changed between the floors and
    ///   the floor is Lamport-separated (``advancedHistoryBase(to:)``); O(history) otherwise:
    ///   the state at the floor is rebuilt by replay.
    @discardableResult
    package mutating func trim(below floor: VersionVector) throws(DocumentError) -> Bool {
        // A history that failed its check cannot rebuild the state at a floor.
        guard logs.decodeAll() else { return false }
        var effective = VersionVector()
        for (index, log) in logs.enumerated() {
            let bound = max(min(floor[replicas[UInt32(index)]], versions[index]), log.base)
            if bound > 0 { effective[replicas[UInt32(index)]] = bound }
        }
        guard logs.indices.contains(where: { effective[replicas[UInt32($0)]] > logs[$0].base }) else { return false }
        // The state at the floor: what time travel starts from.
        if let advanced = try advancedHistoryBase(to: effective) {
            historyBase = advanced
        } else {
            historyBase = makeHistoryBase(try replay(upTo: effective), floor: effective)
        }
        // By index: iterating `logs.enumerated()` would hold a second reference to every log
        // while it is trimmed, so each kept run, span and payload was copied first.
        for index in logs.indices {
            let floor = effective[replicas[UInt32(index)]]
            if floor > logs[index].base { logs[index].trim(below: floor) }
        }
        // By local replica index: the closure runs once per deleted entry.
        let floors = logs.indices.map { effective[replicas[UInt32($0)]] }
        for slot in sequences.indices {
            sequences[slot].tombstones.trim { replica in Int(replica) < floors.count ? floors[Int(replica)] : 0 }
        }
        return true
    }

    /// The version holding every operation but the last `keep` Lamport ticks' worth: a causally
    /// closed floor that leaves recent history for time travel.
    package func version(keepingLast keep: UInt64) -> VersionVector {
        keep == 0 ? versionVector : cut(atLamport: lamport > keep ? lamport - keep : 0)
    }

    /// True if a replica at `version` needs operations this document has trimmed, or whose
    /// log failed its check: it must get a snapshot instead of a fragment.
    ///
    /// Every log the replica lacks operations of is decoded here if it is still encoded
    /// (``ReplicaLogs``), so a defect shows before anything is made from it: in a fragment,
    /// or in the snapshot sent instead, whose receiver checks those same logs.
    package func lacksHistory(since version: VersionVector) -> Bool {
        var lacks = false
        for index in logs.indices {
            let held = version[replicas[UInt32(index)]]
            guard held < versions[index] else { continue }
            if !logs.check(index) || held < logs.base(of: index) { lacks = true }
        }
        return lacks
    }

    /// True once a log of a loaded snapshot failed its check when first read (``ReplicaLogs``):
    /// the state stands, the history does not.
    package var historyFailedCheck: Bool { logs.isDefective }

    /// Operations the logs hold (the history since the floor).
    package var historyOperations: UInt64 {
        logs.indices.reduce(0) { $0 + (versions[$1] - logs.base(of: $1)) }
    }

    /// Visible items and entries: what the history is weighed against (a document rewritten
    /// in place has a long history and a small state).
    package var stateSize: UInt64 {
        var size = sequences.reduce(0) { $0 + UInt64($1.visibleCount) }
        size += maps.reduce(0) { $0 + UInt64($1.entries.count) }
        size += sets.reduce(0) { $0 + UInt64($1.tags.count) }
        return size + UInt64(registers.count + counters.count)
    }

    /// Where each replica's history starts (zero for an untrimmed one).
    package var historyFloor: VersionVector {
        var floor = VersionVector()
        for index in logs.indices where logs.base(of: index) > 0 { floor[replicas[UInt32(index)]] = logs.base(of: index) }
        return floor
    }
}
