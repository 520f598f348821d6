/// A value stored under a map key.
public enum MapValue: Hashable, Sendable {
    /// A plain value.
    case value(Value)
    /// A nested container; its ID is the map's ID, the key and this type.
    case container(ContainerType)
    /// The key was removed.
    case deleted
}

/// An element of a list.
public enum ListElement: Hashable, Sendable {
    /// A plain value.
    case value(Value)
    /// A nested container; its ID is the list's ID, the element's op ID and this type.
    case container(ContainerType)
}


/// The winning write of a last-writer-wins key or register: highest Lamport time, then
/// highest replica ID.
struct LWWEntry<V: Sendable & Equatable>: Sendable, Equatable {
    var value: V
    var lamport: UInt64
    var replica: ReplicaID
    var op: ItemID

    func isOlder(thanLamport lamport: UInt64, replica: ReplicaID) -> Bool {
        self.lamport != lamport ? self.lamport < lamport : self.replica < replica
    }
}

struct MapState: Sendable {
    var entries: [String: LWWEntry<MapValue>] = [:]
}

struct RegisterState: Sendable {
    /// For last-writer-wins registers: the winning write.
    var winner: LWWEntry<Value>?
    /// For multi-value registers: every write not superseded by a later one that saw it.
    var values: [(op: ItemID, value: Value)] = []
}

/// A positive-negative counter: what each replica added (so two states merge without their
/// operations: per replica, the larger total of a replica's own additions wins... by holding
/// more of them), and the sum.
struct CounterState: Sendable, Equatable {
    private(set) var value: Int64 = 0
    /// Replica index → the sum of that replica's additions.
    private(set) var contributions: [UInt32: Int64] = [:]

    mutating func add(_ delta: Int64, by replica: UInt32) {
        value &+= delta
        contributions[replica, default: 0] &+= delta
    }

    init() {}

    init(contributions: [UInt32: Int64]) {
        self.contributions = contributions
        value = contributions.values.reduce(0, &+)
    }
}

struct SetState: Sendable {
    /// Element → the add operations that are not yet removed (add-wins: an add the remover did
    /// not observe survives the remove).
    var tags: [Value: Set<ItemID>] = [:]
}
