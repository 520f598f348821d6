import ZincCore

enum NodeNaming {
    /// `--id`: a UUID is taken as is; any other name maps to a stable ID derived from it, so a
    /// node restarted under the same name keeps its identity in logs and status.
    static func replicaID(for name: String?) -> ReplicaID {
        guard let name else { return .random() }
        return ReplicaID(name) ?? ReplicaID(deterministicFrom: name)
    }
}
