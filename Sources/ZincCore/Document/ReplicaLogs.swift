/// Every replica's log, by replica index. A loaded snapshot's logs stay encoded until something
/// reads them (``Document/fragment(since:)`` serving a peer, repair, time travel, or an operation
/// of that replica appended): a document that is opened, edited and saved never decodes the
/// history it does not touch.
///
/// Each deferred log is decoded and fully validated the first time it is read. One that fails
/// reads as empty and marks the history *defective*: the state was validated at load and stays,
/// but the history can no longer be trusted, so the document serves snapshots instead of
/// fragments, time travel throws, trimming does nothing, and saving writes the document with
/// its history trimmed at its current version (see ``Document/lacksHistory(since:)``).
struct ReplicaLogs: RandomAccessCollection, Sendable {
    private var storage: [ReplicaLog] = []
    /// While any log is still encoded: their bytes and what decoding them needs.
    private var deferred: DeferredLogs?
    /// By replica index, while ``deferred`` is set: true while that log is still encoded here.
    private var encoded: [Bool] = []
    /// Set once a log decoded through `_modify` failed; the deferred store keeps its own flag.
    private var defectFound = false

    init() {}

    init(deferred: DeferredLogs) {
        storage = deferred.bases.map { ReplicaLog(base: $0) }
        encoded = Array(repeating: true, count: deferred.bases.count)
        self.deferred = deferred
    }

    var startIndex: Int { 0 }
    var endIndex: Int { storage.count }

    subscript(index: Int) -> ReplicaLog {
        get {
            if let deferred, encoded[index] { return deferred.log(index) }
            return storage[index]
        }
        set {
            storage[index] = newValue
            if deferred != nil { markDecoded(index) }
        }
        _modify {
            if deferred != nil { decodeIfEncoded(index) }
            yield &storage[index]
        }
    }

    mutating func append(_ log: ReplicaLog) {
        storage.append(log)
        if deferred != nil { encoded.append(false) }
    }

    /// Where log `index` starts, without decoding it.
    func base(of index: Int) -> UInt64 { storage[index].base }

    /// True once a deferred log failed its check: the history is not whole.
    var isDefective: Bool { defectFound || deferred?.isDefective == true }

    /// Logs no copy has decoded yet.
    var encodedCount: Int {
        guard let deferred else { return 0 }
        return encoded.indices.count { encoded[$0] && !deferred.isDecoded($0) }
    }

    /// The bytes of log `index` while it is still encoded: saving writes them as they came.
    func encodedBytes(of index: Int) -> [UInt8]? {
        guard let deferred, encoded[index] else { return nil }
        return deferred.bytes[index]
    }

    /// Decodes log `index` if it is still encoded; false if the history has failed its check
    /// (this log or another: one defect makes the whole history untrusted).
    func check(_ index: Int) -> Bool {
        if let deferred, encoded[index] { _ = deferred.log(index) }
        return !isDefective
    }

    /// Decodes every log still encoded; true if none failed its check.
    func decodeAll() -> Bool {
        if let deferred {
            for index in encoded.indices where encoded[index] { _ = deferred.log(index) }
        }
        return !isDefective
    }

    /// Replaces every log by an empty one starting at `versions` (by replica index): the
    /// history is gone, and so is any defect found in it.
    mutating func forgetHistory(upTo versions: [UInt64]) {
        storage = versions.map(ReplicaLog.init(base:))
        deferred = nil
        encoded = []
        defectFound = false
    }

    /// Log `index` as held in memory now, without decoding it: nil while it is only bytes.
    func held(_ index: Int) -> ReplicaLog? {
        guard let deferred, encoded[index] else { return storage[index] }
        return deferred.cached(index)
    }

    /// Bytes held for logs not decoded yet.
    var deferredBytes: Int { deferred?.bytes.reduce(0) { $0 + $1.count } ?? 0 }

    private mutating func decodeIfEncoded(_ index: Int) {
        guard let deferred, encoded[index] else { return }
        storage[index] = deferred.take(index)
        markDecoded(index)
    }

    private mutating func markDecoded(_ index: Int) {
        guard let deferred, encoded[index] else { return }
        encoded[index] = false
        if deferred.isDefective(index) { defectFound = true }
        if !encoded.contains(true) {
            defectFound = defectFound || deferred.isDefective
            self.deferred = nil
        }
    }
}

extension ReplicaLog {
    init(base: UInt64) {
        self.init()
        self.base = base
    }
}
