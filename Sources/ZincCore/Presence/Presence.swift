/// A replica's ephemeral state in a document: who it is, where its cursor and selection are.
/// Not part of the document: never merged into it, never persisted. Each update carries a
/// per-replica clock so late or duplicated updates are ignored, and a ``PresenceStore``
/// forgets peers it has not heard from within its timeout.
public struct Presence: Hashable, Sendable {
    /// A selection between two stable positions (anchor where it started, head where the
    /// cursor is).
    public struct Selection: Hashable, Sendable {
        public var anchor: Cursor
        public var head: Cursor

        public init(anchor: Cursor, head: Cursor) {
            self.anchor = anchor
            self.head = head
        }
    }

    /// The replica this presence describes.
    public var replica: ReplicaID
    /// Increases with every update from the replica; older updates are ignored.
    public var clock: UInt64
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

/// The presences of the other replicas in one document, with expiry. Time is injected (`now`
/// is any monotonic duration, e.g. since the node started), so the store is testable without
/// waiting.
public struct PresenceStore: Sendable {
    /// How long a peer's presence lasts without an update (Yjs's awareness uses 30 s).
    public var timeout: Duration
    private var entries: [ReplicaID: (presence: Presence, seen: Duration)] = [:]

    public init(timeout: Duration = .seconds(30)) {
        self.timeout = timeout
    }

    /// Records `presence` if it is newer than what the store has. Returns true if it changed.
    @discardableResult
    public mutating func update(_ presence: Presence, now: Duration) -> Bool {
        if let existing = entries[presence.replica], existing.presence.clock >= presence.clock {
            return false
        }
        if presence.isLeaving {
            return entries.removeValue(forKey: presence.replica) != nil
        }
        entries[presence.replica] = (presence, now)
        return true
    }

    /// Forgets peers not heard from for ``timeout``; returns the replicas forgotten.
    @discardableResult
    public mutating func expire(now: Duration) -> [ReplicaID] {
        let stale = entries.filter { now - $0.value.seen >= timeout }.map(\.key)
        for replica in stale { entries.removeValue(forKey: replica) }
        return stale.sorted()
    }

    /// Forgets one replica (it left the tree).
    public mutating func remove(_ replica: ReplicaID) {
        entries.removeValue(forKey: replica)
    }

    /// The known presences, ordered by replica.
    public var peers: [Presence] { entries.values.map(\.presence).sorted { $0.replica < $1.replica } }

    public subscript(replica: ReplicaID) -> Presence? { entries[replica]?.presence }

    public var count: Int { entries.count }
}

extension Presence {
    /// Encoding: version byte (1), flags (bit 0 cursor, 1 selection, 2 leaving, 3 metadata),
    /// replica (16 bytes), clock, name, colour (4 bytes), then the optional parts.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.write(1)
        var flags: UInt8 = 0
        if cursor != nil { flags |= 1 }
        if selection != nil { flags |= 2 }
        if isLeaving { flags |= 4 }
        if !metadata.isEmpty { flags |= 8 }
        writer.write(flags)
        writer.write(replica)
        writer.write(varint: clock)
        writer.write(string: name)
        writer.write(uint32: color)
        if let cursor { Self.encode(cursor, into: &writer) }
        if let selection {
            Self.encode(selection.anchor, into: &writer)
            Self.encode(selection.head, into: &writer)
        }
        if !metadata.isEmpty { Value.object(metadata).encode(into: &writer) }
        return writer.bytes
    }

    public init(decoding bytes: [UInt8], limits: DecodingLimits = .default) throws(DecodingError) {
        self = try withReader(bytes, limits: limits) { (reader) throws(DecodingError) -> Presence in
            let version = try reader.readByte("presence version")
            guard version == 1 else { throw DecodingError(.unsupportedVersion, "presence version \(version)") }
            let flags = try reader.readByte("presence flags")
            guard flags & 0xF0 == 0 else { throw DecodingError(.invalid, "presence flags \(flags)") }
            var presence = Presence(replica: try reader.readReplicaID("presence replica"))
            presence.clock = try reader.readVarint("presence clock")
            presence.name = try reader.readString("presence name")
            presence.color = try reader.readUInt32("presence colour")
            if flags & 1 != 0 { presence.cursor = try Self.decodeCursor(&reader) }
            if flags & 2 != 0 {
                let anchor = try Self.decodeCursor(&reader)
                presence.selection = Selection(anchor: anchor, head: try Self.decodeCursor(&reader))
            }
            presence.isLeaving = flags & 4 != 0
            if flags & 8 != 0 {
                guard case .object(let metadata) = try Value(decoding: &reader) else {
                    throw DecodingError(.invalid, "presence metadata is not an object")
                }
                presence.metadata = metadata
            }
            try reader.expectEnd("presence")
            return presence
        }
    }

    private static func encode(_ cursor: Cursor, into writer: inout ByteWriter) {
        cursor.container.encode(into: &writer)
        if let anchor = cursor.anchor {
            writer.write(1)
            writer.write(anchor.replica)
            writer.write(varint: anchor.counter)
        } else {
            writer.write(0)
        }
    }

    private static func decodeCursor(_ reader: inout ByteReader) throws(DecodingError) -> Cursor {
        let container = try ContainerID(decoding: &reader)
        switch try reader.readByte("cursor anchor tag") {
        case 0: return Cursor(container: container, anchor: nil)
        case 1:
            let replica = try reader.readReplicaID("cursor anchor replica")
            return Cursor(container: container, anchor: OpID(replica: replica, counter: try reader.readVarint("cursor anchor counter")))
        case let tag: throw DecodingError(.invalid, "cursor anchor tag \(tag)")
        }
    }
}
