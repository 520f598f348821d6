/// A replica's ephemeral state in a document: who it is, where its cursor and selection are.
/// Not part of the document: never merged into it, never persisted. Each update carries a
/// per-replica clock so late or duplicated updates are ignored, and peers forget a replica
/// they have not heard from within 30 seconds.
public struct Presence: Hashable, Sendable {
    /// The replica this presence describes.
    public var replica: ReplicaID
    /// Increases with every update from the replica; older updates are ignored.
    package var clock: UInt64
    /// A display name.
    public var name: String
    /// A display colour, 0xRRGGBB.
    public var color: UInt32
    /// The editing cursor, if the replica has one in this document.
    public var cursor: Cursor?
    /// The selection, if any.
    public var selection: Selection?
    /// Anything else the application wants to share (status, avatar, ...).
    public var metadata: [String: Value]
    /// True when the replica announced it left; the store forgets it at once.
    public var isLeaving: Bool

    /// A presence for `replica`; the endpoint fills in the replica and clock of this node's own.
    public init(
        replica: ReplicaID, clock: UInt64 = 0, name: String = "", color: UInt32 = 0,
        cursor: Cursor? = nil, selection: Selection? = nil, metadata: [String: Value] = [:], isLeaving: Bool = false
    ) {
        self.replica = replica
        self.clock = clock
        self.name = name
        self.color = color
        self.cursor = cursor
        self.selection = selection
        self.metadata = metadata
        self.isLeaving = isLeaving
    }
}
