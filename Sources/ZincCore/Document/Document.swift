/// A replicated document: a named tree of CRDT containers (text, list, map, registers,
/// counter, set) that converges with every other replica whatever order, duplication or delay
/// its fragments arrive in.
///
/// `Document` is a value: copies are independent and cheap until one is changed. An app
/// usually edits one through a ``DocumentHandle`` (which replicates every change through the
/// tree) or a ``TextBinding``; on its own, a document edits with its mutating methods (each
/// local change is stamped with this replica's ID, a counter and a Lamport time) and merges
/// another replica's state with ``merge(_:)``.
///
/// ```swift
/// var alice = Document()
/// try alice.insert("Hello", at: 0)
/// var bob = Document()
/// try bob.merge(alice)
/// bob.text() // "Hello"
/// ```
public struct Document: Sendable {
    /// The replica this document makes changes as.
    public let replica: ReplicaID
    /// Bounds for everything this document accepts from outside.
    package var limits: DocumentLimits

    var selfIndex: UInt32
    var replicas = ReplicaTable()
    /// Operations seen, by replica index (the version vector, densely).
    var versions: [UInt64] = []
    var clock = LamportClock()
    var containers = ContainerTable()
    /// Texts and lists. A list's tree holds indices into its entry of `listValues`.
    var sequences: [SequenceTree] = []
    /// For each list (empty for texts): every element value ever inserted, by index.
    var listValues: [[ListElement]] = []
    var maps: [MapState] = []
    var registers: [RegisterState] = []
    var counters: [CounterState] = []
    var sets: [SetState] = []
    /// Every operation, by replica index.
    var logs = ReplicaLogs()
    /// Remote operations waiting for operations they depend on.
    var pending = PendingOperations()

    /// Local-only state: observation and undo. Not replicated, not persisted.
    var recordsChanges = false
    var recordedChanges: [DocumentChange] = []
    var undoHistory = UndoHistory()
    /// The counter this replica had when the last ``commit()`` happened.
    var committedCounter: UInt64 = 0
    private var cachedContainer: (id: ContainerID, index: UInt32)?
    /// The open transaction's journal, while one is open (see ``transact(_:)``).
    var journal: TransactionJournal?
    /// Set on past versions (``at(_:)``): local edits and merges are refused.
    package var isReadOnly = false
    /// After trimming: the state where history now starts, for time travel.
    var historyBase: HistoryBase?
    /// Reused storage for decoding incoming fragments (see ``apply(encoded:author:)``).
    var scratchFragment = DocumentFragment()

    /// An empty document edited as `replica` (a fresh random one by default: never share a
    /// replica ID between two writers).
    public init(replica: ReplicaID = .random()) {
        self.init(replica: replica, limits: .default)
    }

    /// An empty document edited as `replica`, accepting from others within `limits`.
    package init(replica: ReplicaID, limits: DocumentLimits) {
        self.replica = replica
        self.limits = limits
        selfIndex = 0
        selfIndex = internReplica(replica) ?? 0
    }

    // MARK: - Version and time

    /// Everything this document holds, per replica.
    public var versionVector: VersionVector {
        var vector = VersionVector()
        for (index, count) in versions.enumerated() where count > 0 {
            vector[replicas[UInt32(index)]] = count
        }
        return vector
    }

    /// The document's Lamport time (the latest operation it made or saw).
    package var lamport: UInt64 { clock.time }

    /// How many operations this document holds: it grows with every change to its version
    /// (operations applied, states merged), so it keys caches of version-derived values.
    package var operationTotal: UInt64 { versions.reduce(0, &+) }

    /// The number of operations this replica has made.
    package var localOperationCount: UInt64 { versions[Int(selfIndex)] }

    /// The number of remote operations held back until what they depend on arrives.
    package var pendingOperationCount: Int { pending.count }

    /// Every container that has state in this document.
    package var containerIDs: [ContainerID] { containers.ids }

    // MARK: - Tables

    mutating func internReplica(_ id: ReplicaID) -> UInt32? {
        guard let index = replicas.intern(id) else { return nil }
        while versions.count <= Int(index) {
            versions.append(0)
            logs.append(ReplicaLog())
        }
        return index
    }

    /// The local index of container `id`, creating its (empty) state if it is new.
    mutating func containerIndex(_ id: ContainerID) -> UInt32 {
        if let cached = cachedContainer, cached.id == id { return cached.index }
        let index: UInt32
        if let existing = containers.index(of: id) {
            index = existing
        } else {
            let slot: Int
            switch id.type {
            case .text, .list:
                slot = sequences.count
                sequences.append(SequenceTree(measuresUTF16: id.type == .text))
                listValues.append([])
            case .map: slot = maps.count; maps.append(MapState())
            case .register, .multiValueRegister: slot = registers.count; registers.append(RegisterState())
            case .counter: slot = counters.count; counters.append(CounterState())
            case .set: slot = sets.count; sets.append(SetState())
            }
            index = containers.add(id, slot: slot)
        }
        cachedContainer = (id, index)
        return index
    }

    mutating func forgetCachedContainer() {
        cachedContainer = nil
    }

    func slot(of container: UInt32) -> Int { Int(containers.slots[Int(container)]) }

    /// Stores list element values and returns the indices the list's tree holds for them.
    mutating func storeListValues(_ elements: [ListElement], slot: Int) -> [UInt32] {
        let base = listValues[slot].count
        listValues[slot].append(contentsOf: elements)
        return (0..<elements.count).map { UInt32(truncatingIfNeeded: base + $0) }
    }

    /// The values of a list's visible items.
    func listElements(_ indices: [UInt32], slot: Int) -> [ListElement] {
        indices.map { listValues[slot][Int($0)] }
    }

    func existingSlot(_ id: ContainerID) -> Int? {
        containers.index(of: id).map { slot(of: $0) }
    }

    /// The global ID of a local item reference.
    func opID(_ item: ItemID) -> OpID { OpID(replica: replicas[item.replica], counter: item.counter) }

    /// The local reference for a global op ID, if the replica is known.
    func itemID(_ op: OpID) -> ItemID? {
        replicas.index(of: op.replica).map { ItemID(replica: $0, counter: op.counter) }
    }

    /// True if the document holds the operation `item` (it may since have been deleted).
    func has(_ item: ItemID) -> Bool {
        item.isNone || (Int(item.replica) < versions.count && versions[Int(item.replica)] > item.counter)
    }

    // MARK: - Recording local operations

    /// Reserves counters and Lamport times for `count` local operation units.
    mutating func reserveLocal(_ count: Int) throws(DocumentError) -> (counter: UInt64, lamport: UInt64) {
        guard !isReadOnly else { throw DocumentError(.readOnly, "this is a read-only document (a past version): it cannot be edited") }
        let counter = versions[Int(selfIndex)]
        guard counter + UInt64(count) <= ItemID.maxCounter else {
            throw DocumentError(.limitExceeded, "replica \(replica) has used every operation counter")
        }
        guard clock.time + UInt64(count) < LamportClock.ceiling else {
            throw DocumentError(.limitExceeded, "the document's Lamport clock has reached its ceiling of 2^53")
        }
        versions[Int(selfIndex)] = counter + UInt64(count)
        return (counter, clock.tick(count))
    }

    /// Records a change while recording is on. Callers building costly values (strings of
    /// inserted text) check ``recordsChanges`` first.
    mutating func record(_ change: DocumentChange) {
        if recordsChanges { recordedChanges.append(change) }
    }

    /// Turns change recording on or off (``LiveDocument`` turns it on). Off, no change values
    /// are built, which keeps bulk edits fast.
    package mutating func setRecordsChanges(_ enabled: Bool) {
        recordsChanges = enabled
        if !enabled { recordedChanges.removeAll() }
    }

    /// The changes recorded since the last call (only while recording is on).
    package mutating func takeChanges() -> [DocumentChange] {
        defer { recordedChanges.removeAll(keepingCapacity: true) }
        return recordedChanges
    }
}

/// Limits a document enforces on what it accepts from other replicas.
package struct DocumentLimits: Sendable, Hashable {
    /// Decoding bounds for fragments and snapshots.
    package var decoding = DecodingLimits()
    /// The most remote operations held back waiting for their dependencies; beyond it new
    /// out-of-order operations are dropped (gap repair fetches them again later).
    package var maxPendingOperations = 1 << 20

    package init() {}

    package static let `default` = DocumentLimits()
}
