/// Time travel: past versions, the changes between two versions, named versions, and the list
/// of what happened.
extension Document {
    /// The document as it was at `version`: a read-only copy (its edits and merges throw
    /// ``DocumentError/Reason/readOnly``).
    ///
    /// `version` must be one this replica can rebuild: no newer than what it holds, causally
    /// closed (every version a replica ever had is, and so is every ``HistoryEntry/version``),
    /// with the content of everything visible then still held (a replica holds it for every
    /// version it had itself, and for every version after the history it received).
    ///
    /// - Complexity: O(history up to `version`).
    public func at(_ version: VersionVector) throws(DocumentError) -> Document {
        var past = try replay(upTo: version)
        past.isReadOnly = true
        return past
    }

    /// What changed from version `old` to version `new` (which must follow it), as the change
    /// events observers receive: apply them in order to a view of `old` to get `new`.
    ///
    /// - Complexity: O(history up to `new`).
    public func changes(from old: VersionVector, to new: VersionVector) throws(DocumentError) -> [DocumentChange] {
        guard new.dominates(old) else { throw DocumentError(.invalidOperation, "version \(new) does not follow \(old)") }
        var past = try replay(upTo: old)
        past.setRecordsChanges(true)
        let (fragment, complete) = self.fragment(since: old, upTo: new)
        guard complete else { throw DocumentError(.historyUnavailable, "this replica does not hold the deleted text of that history") }
        try past.apply(fragment, trusting: nil)
        return past.takeChanges()
    }

    /// Names the current version `name` (replacing a bookmark of that name). Bookmarks are part
    /// of the document: they replicate and persist with it.
    public mutating func bookmark(_ name: String) throws(DocumentError) {
        var entries: [String: Value] = [:]
        for (replica, count) in versionVector.counters { entries[replica.description] = .int(Int64(clamping: count)) }
        try set(name, to: .object(entries), in: Self.bookmarks)
    }

    /// The named versions, by name.
    public var bookmarks: [String: VersionVector] {
        var result: [String: VersionVector] = [:]
        for name in keys(in: Self.bookmarks) {
            guard case .value(.object(let entries)) = value(forKey: name, in: Self.bookmarks) else { continue }
            var version = VersionVector()
            for (key, count) in entries {
                guard let replica = ReplicaID(key), case .int(let value) = count, value > 0 else { continue }
                version[replica] = UInt64(value)
            }
            result[name] = version
        }
        return result
    }

    /// The map that holds bookmarks.
    package static let bookmarks = MapRef("zinc.bookmarks")

    /// What happened to the document, oldest first: each author's transactions as far as this
    /// replica saw them (a transaction made here, or a delta as it arrived; what arrived in one
    /// sync is one entry), with the version to pass to ``at(_:)`` to see the document right
    /// after it. Empty if the history of a loaded snapshot failed its check when first read
    /// (see ``init(snapshot:replica:)``).
    ///
    /// - Complexity: O(entries · replicas · log n).
    public func history() -> [HistoryEntry] {
        guard logs.decodeAll() else { return [] }
        var entries: [(replica: Int, counters: Range<UInt64>, lamport: UInt64, last: UInt64)] = []
        for (index, log) in logs.enumerated() {
            var start = log.base
            let ends = log.transactionEnds + (log.lastTransactionEnd < versions[index] ? [versions[index]] : [])
            for end in ends where end > start {
                guard let first = lamport(of: UInt32(index), counter: start), let last = lamport(of: UInt32(index), counter: end - 1) else { continue }
                entries.append((index, start..<end, first, last))
                start = end
            }
        }
        entries.sort { ($0.last, replicas[UInt32($0.replica)]) < ($1.last, replicas[UInt32($1.replica)]) }
        return entries.map { entry in
            HistoryEntry(
                author: replicas[UInt32(entry.replica)], operations: entry.counters, lamport: entry.lamport...entry.last,
                version: cut(atLamport: entry.last))
        }
    }

    /// A replica at `version` rebuilt from this one's history (editable, for internal use).
    func replay(upTo version: VersionVector) throws(DocumentError) -> Document {
        for (replica, count) in version.counters where count > versionVector[replica] {
            throw DocumentError(.historyUnavailable, "this replica holds \(versionVector[replica]) operations of \(replica.shortDescription), not \(count)")
        }
        guard logs.decodeAll() else {
            throw DocumentError(.historyUnavailable, "this document's history failed its check when it was first read")
        }
        for index in logs.indices where logs.base(of: index) > 0 && version[replicas[UInt32(index)]] < logs.base(of: index) {
            throw DocumentError(.historyUnavailable, "the history of \(replicas[UInt32(index)].shortDescription) before operation \(logs.base(of: index)) has been trimmed")
        }
        var past = try historyBaseDocument() ?? Document(replica: replica, limits: limits)
        let (fragment, complete) = self.fragment(since: past.versionVector, upTo: version)
        guard complete else { throw DocumentError(.historyUnavailable, "this replica does not hold the deleted text visible at that version") }
        past.setUndoEnabled(false)
        try past.apply(fragment, trusting: nil)
        guard past.pendingOperationCount == 0, past.versionVector == version else {
            throw DocumentError(.invalidOperation, "version \(version) is not one any replica had: it holds operations without what they depend on")
        }
        return past
    }

    /// Every replica's operations with Lamport time at most `lamport`: a causally closed version
    /// (an operation's dependencies all have smaller Lamport times).
    func cut(atLamport lamport: UInt64) -> VersionVector {
        var version = VersionVector()
        for (index, log) in logs.enumerated() where versions[index] > 0 {
            // Lamport times grow with counters within one replica: find the last run at or below.
            let low = log.runs.partitionPoint { $0.lamport <= lamport }
            guard low > 0 else { continue }
            let run = log.runs[low - 1]
            let within = min(UInt64(run.length), lamport - run.lamport + 1)
            version[replicas[UInt32(index)]] = run.counter + within
        }
        return version
    }

    /// The Lamport time of operation `counter` of replica `index`, if its log holds it.
    func lamport(of index: UInt32, counter: UInt64) -> UInt64? {
        let log = logs[Int(index)]
        guard let run = log.runIndex(containing: counter).map({ log.runs[$0] }) else { return nil }
        return run.lamport + (counter - run.counter)
    }

    /// Records that the operations of `author` held now end one of its transactions (a delta
    /// that arrived whole).
    package mutating func noteTransactionEnd(of author: ReplicaID) {
        guard let index = replicas.index(of: author) else { return }
        logs[Int(index)].noteTransactionEnd(versions[Int(index)])
    }
}

/// One entry of a document's history: an author's transaction (or what arrived of its
/// transactions in one sync).
public struct HistoryEntry: Hashable, Sendable {
    /// Who made it.
    public var author: ReplicaID
    /// The author's operations it holds, by counter.
    public var operations: Range<UInt64>
    /// The Lamport times of its first and last operations.
    public var lamport: ClosedRange<UInt64>
    /// The version right after it, as of its Lamport time: pass it to ``Document/at(_:)``.
    public var version: VersionVector
}
