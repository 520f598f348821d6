package import ZincCore

/// The kinds of message Zinc exchanges (docs/protocol.md, "Message types").
package enum MessageType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Document operations (payload: an encoded fragment whose author is the header's origin).
    case delta = 1
    /// A client asks to join a host.
    case join = 2
    /// A host accepts a joiner (directed).
    case welcome = 3
    /// A host sends a joiner elsewhere (directed).
    case redirect = 4
    /// "Here is my version vector of a document; send me what I lack."
    case syncRequest = 5
    /// The answer: the responder's version vector and the operations the requester lacks.
    case syncReply = 6
    /// One chunk of a large snapshot or fragment (directed, flow-controlled).
    case transferChunk = 7
    /// A receiver's acknowledgement of transfer chunks.
    case transferAck = 8
    /// Liveness and state summary: down from a host (tree topic) or up from a client.
    case heartbeat = 9
    /// A replica's ephemeral presence in a document.
    case presence = 10
    /// An application message.
    case application = 11
    /// A node leaves the tree cleanly.
    case leave = 12
    /// A root invites another root (and its tree) to join it (split-brain merge).
    case mergeInvitation = 13
    /// What every member of a subtree (going up) or of the tree (going down) holds of a
    /// document: history below it may be trimmed.
    case held = 14

    package var description: String {
        switch self {
        case .delta: "delta"
        case .join: "join"
        case .welcome: "welcome"
        case .redirect: "redirect"
        case .syncRequest: "syncRequest"
        case .syncReply: "syncReply"
        case .transferChunk: "transferChunk"
        case .transferAck: "transferAck"
        case .heartbeat: "heartbeat"
        case .presence: "presence"
        case .application: "application"
        case .leave: "leave"
        case .mergeInvitation: "mergeInvitation"
        case .held: "held"
        }
    }
}

/// The second frame of every message: 56 bytes, big-endian.
///
/// ```
///  0  magic 0x5A ('Z')        1  version (1)        2  type        3  flags
///  4  origin replica (16)     20 sender node (16)
/// 36  Lamport time (u64)      44 term (u64)         52 payload length (u32)
/// ```
/// `origin` made the content (a delta's author); `sender` is the node that sent this hop.
package struct MessageHeader: Hashable, Sendable {
    package static let size = 56
    package static let magic: UInt8 = 0x5A
    package static let version: UInt8 = 1
    /// Flag bit 0, on join, welcome and heartbeat: the sender accepts packed frames (§4.2).
    package static let acceptsPackedFlag: UInt8 = 0x01

    package var type: MessageType
    package var flags: UInt8
    package var origin: ReplicaID
    package var sender: ReplicaID
    package var lamport: UInt64
    package var term: UInt64
    package var payloadLength: UInt32

    package init(type: MessageType, flags: UInt8 = 0, origin: ReplicaID, sender: ReplicaID, lamport: UInt64, term: UInt64, payloadLength: UInt32 = 0) {
        self.type = type
        self.flags = flags
        self.origin = origin
        self.sender = sender
        self.lamport = lamport
        self.term = term
        self.payloadLength = payloadLength
    }

    /// Whether the sender says it accepts packed frames (meaningful on join, welcome and
    /// heartbeat; other bits are ignored, as §4.2 asks of unknown ones).
    package var acceptsPackedFrames: Bool { flags & Self.acceptsPackedFlag != 0 }

    package var encoded: [UInt8] {
        var writer = ByteWriter(capacity: Self.size)
        write(to: &writer)
        return writer.bytes
    }

    /// Appends the 56 bytes to `writer` (a packed frame takes them in place).
    package func write(to writer: inout ByteWriter) {
        writer.write(Self.magic)
        writer.write(Self.version)
        writer.write(type.rawValue)
        writer.write(flags)
        writer.write(origin)
        writer.write(sender)
        writer.write(uint64: lamport)
        writer.write(uint64: term)
        writer.write(uint32: payloadLength)
    }

    package init(decoding bytes: [UInt8]) throws(FormatError) {
        guard bytes.count == Self.size else { throw FormatError(.invalid, "header of \(bytes.count) bytes, expected \(Self.size)") }
        self = try withReader(bytes) { (reader) throws(FormatError) -> MessageHeader in try MessageHeader(reading: &reader) }
    }

    /// Reads the next 56 bytes of `reader` as a header.
    package init(reading reader: inout ByteReader) throws(FormatError) {
        guard try reader.readByte("magic") == Self.magic else { throw FormatError(.invalid, "bad magic: not a Zinc message") }
        let version = try reader.readByte("version")
        guard version == Self.version else { throw FormatError(.unsupportedVersion, "protocol version \(version)") }
        let raw = try reader.readByte("type")
        guard let type = MessageType(rawValue: raw) else { throw FormatError(.invalid, "unknown message type \(raw)") }
        let flags = try reader.readByte("flags")
        let origin = try reader.readReplicaID("origin")
        let sender = try reader.readReplicaID("sender")
        let lamport = try reader.readUInt64("lamport")
        let term = try reader.readUInt64("term")
        let length = try reader.readUInt32("payload length")
        self.init(type: type, flags: flags, origin: origin, sender: sender, lamport: lamport, term: term, payloadLength: length)
    }
}
