/// Maps the replicas a document knows to small local indices, so items and ops carry a 24-bit
/// index instead of a 128-bit ID. Indices are local to one document instance; encodings always
/// carry the full IDs.
struct ReplicaTable: Sendable {
    private(set) var ids: [ReplicaID] = []
    private var indices: [ReplicaID: UInt32] = [:]

    var count: Int { ids.count }

    func index(of replica: ReplicaID) -> UInt32? { indices[replica] }

    subscript(index: UInt32) -> ReplicaID { ids[Int(index)] }

    /// The index of `replica`, adding it if new. Fails beyond ``ItemID/maxReplica`` replicas.
    mutating func intern(_ replica: ReplicaID) -> UInt32? {
        if let index = indices[replica] { return index }
        guard ids.count <= Int(ItemID.maxReplica) else { return nil }
        let index = UInt32(ids.count)
        ids.append(replica)
        indices[replica] = index
        return index
    }
}

/// The document's containers: ID ↔ local index, and where each one's state lives.
struct ContainerTable: Sendable {
    private(set) var ids: [ContainerID] = []
    /// Index into the typed state array for the container's type.
    private(set) var slots: [Int32] = []
    private var indices: [ContainerID: UInt32] = [:]

    var count: Int { ids.count }

    func index(of id: ContainerID) -> UInt32? { indices[id] }

    mutating func add(_ id: ContainerID, slot: Int) -> UInt32 {
        let index = UInt32(ids.count)
        ids.append(id)
        slots.append(Int32(slot))
        indices[id] = index
        return index
    }

    /// Forgets the newest container (a rolled-back transaction made it).
    mutating func removeLast() {
        guard let id = ids.popLast() else { return }
        slots.removeLast()
        indices[id] = nil
    }
}
