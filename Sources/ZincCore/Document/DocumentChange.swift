/// One observable change to a document, local or remote, in terms a UI can apply directly.
/// Positions are in Unicode scalars (convert with ``Document/utf16Offset(ofScalar:in:)``).
public enum DocumentChange: Hashable, Sendable {
    case textInserted(ContainerID, position: Int, text: String)
    case textDeleted(ContainerID, position: Int, length: Int)
    case listInserted(ContainerID, position: Int, elements: [ListElement])
    case listDeleted(ContainerID, position: Int, count: Int)
    /// A map key's value changed; `nil` means the key was removed.
    case mapSet(ContainerID, key: String, value: MapValue?)
    /// A register's value(s) changed.
    case registerSet(ContainerID, values: [Value])
    case counterChanged(ContainerID, value: Int64)
    case setChanged(ContainerID, added: [Value], removed: [Value])

    /// The container the change happened in.
    public var container: ContainerID {
        switch self {
        case .textInserted(let id, _, _), .textDeleted(let id, _, _), .listInserted(let id, _, _),
             .listDeleted(let id, _, _), .mapSet(let id, _, _), .registerSet(let id, _),
             .counterChanged(let id, _), .setChanged(let id, _, _):
            id
        }
    }
}

/// Who made a batch of changes.
public enum ChangeOrigin: Hashable, Sendable {
    /// This replica.
    case local
    /// Other replicas, merged in through fragments or snapshots.
    case remote
    /// This replica undoing or redoing its own changes.
    case undo
}
