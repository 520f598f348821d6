extension Presence {
    /// Encoding: version byte (1), flags (bit 0 cursor, 1 selection, 2 leaving, 3 metadata),
    /// replica (16 bytes), clock, name, colour (4 bytes), then the optional parts.
    package func encoded() -> [UInt8] {
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

    package init(decoding bytes: [UInt8], limits: DecodingLimits = .default) throws(FormatError) {
        self = try withReader(bytes, limits: limits) { (reader) throws(FormatError) -> Presence in
            let version = try reader.readByte("presence version")
            guard version == 1 else { throw FormatError(.unsupportedVersion, "presence version \(version)") }
            let flags = try reader.readByte("presence flags")
            guard flags & 0xF0 == 0 else { throw FormatError(.invalid, "presence flags \(flags)") }
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
                    throw FormatError(.invalid, "presence metadata is not an object")
                }
                presence.metadata = metadata
            }
            try reader.expectEnd("presence")
            return presence
        }
    }

    private static func encode(_ cursor: Cursor, into writer: inout ByteWriter) {
        cursor.container.encode(into: &writer)
        // Anchor tag: 0 start, 1 after an item (left side), 2 before an item (right side), 3 end.
        switch (cursor.anchor, cursor.side) {
        case (nil, .left): writer.write(0)
        case (nil, .right): writer.write(3)
        case (let anchor?, let side):
            writer.write(side == .left ? 1 : 2)
            writer.write(anchor.replica)
            writer.write(varint: anchor.counter)
        }
    }

    private static func decodeCursor(_ reader: inout ByteReader) throws(FormatError) -> Cursor {
        let container = try ContainerID(decoding: &reader)
        switch try reader.readByte("cursor anchor tag") {
        case 0: return .start(of: container)
        case 3: return .end(of: container)
        case let tag where tag == 1 || tag == 2:
            let replica = try reader.readReplicaID("cursor anchor replica")
            let anchor = OpID(replica: replica, counter: try reader.readVarint("cursor anchor counter"))
            return Cursor(container: container, anchor: anchor, side: tag == 1 ? .left : .right)
        case let tag: throw FormatError(.invalid, "cursor anchor tag \(tag)")
        }
    }
}
