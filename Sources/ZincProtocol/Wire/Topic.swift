package import ZincCore

/// The first frame of every message: a prefix a SUB socket can filter on.
///
/// - `D` + document ID + `0x00`: a document's traffic (the terminator keeps "notes" from
///   matching "notes-2").
/// - `N` + 16-byte node ID: messages for one node only (replies over PUB without broadcasting).
/// - `T`: tree control (heartbeats).
/// - `A` + channel + `0x00`: application messages.
/// - `W`: the welcome beacon an XPUB sends each new subscriber.
package enum Topic: Hashable, Sendable, CustomStringConvertible {
    case document(String)
    case node(ReplicaID)
    case tree
    case application(String)
    case welcome

    /// The most bytes a document ID or channel name may have.
    package static let maxNameBytes = 255

    package var bytes: [UInt8] {
        switch self {
        case .document(let id): [0x44] + Array(id.utf8) + [0]
        case .node(let id): [0x4E] + id.bytes
        case .tree: [0x54]
        case .application(let channel): [0x41] + Array(channel.utf8) + [0]
        case .welcome: [0x57]
        }
    }

    /// The prefix to subscribe to for every document (a node replicating everything).
    package static let allDocuments: [UInt8] = [0x44]
    /// The prefix of every application channel.
    package static let allApplications: [UInt8] = [0x41]

    /// Decodes a whole first frame: a message topic with nothing after it, or a beacon's `W`
    /// (whose payload follows in the same frame).
    package init(decoding bytes: [UInt8]) throws(FormatError) {
        let (topic, length) = try Self.decodingPrefix(of: bytes)
        guard topic == .welcome || length == bytes.count else {
            throw FormatError(.invalid, "\(bytes.count - length) bytes after the \(topic) topic")
        }
        self = topic
    }

    /// The topic at the start of `bytes` and how many bytes it takes (§4.1): through the
    /// terminator of a document or channel name, 17 for a node, 1 for the tree or a beacon.
    /// A packed frame's messages follow its topic (§4).
    package static func decodingPrefix(of bytes: [UInt8]) throws(FormatError) -> (topic: Topic, length: Int) {
        try withRawBytes(bytes) { (raw) throws(FormatError) in try decodingPrefix(of: raw) }
    }

    /// ``decodingPrefix(of:)`` of bytes lent by the transport.
    package static func decodingPrefix(of bytes: UnsafeRawBufferPointer) throws(FormatError) -> (topic: Topic, length: Int) {
        guard let kind = bytes.first else { throw FormatError(.truncated, "empty topic") }
        switch kind {
        case 0x44, 0x41:
            guard let terminator = bytes.prefix(maxNameBytes + 2).dropFirst().firstIndex(of: 0) else {
                throw FormatError(.invalid, "topic name not terminated within \(maxNameBytes) bytes")
            }
            let name = UnsafeRawBufferPointer(rebasing: bytes[1..<terminator])
            guard isValidUTF8(name) else { throw FormatError(.invalid, "topic name is not valid UTF-8") }
            let text = String(decoding: name, as: UTF8.self)
            return (kind == 0x44 ? .document(text) : .application(text), terminator + 1)
        case 0x4E:
            guard bytes.count >= 17, let id = ReplicaID(bytes: bytes[1..<17]) else { throw FormatError(.invalid, "node topic of \(bytes.count) bytes, expected 17") }
            return (.node(id), 17)
        case 0x54:
            return (.tree, 1)
        case 0x57:
            return (.welcome, 1)
        default:
            throw FormatError(.invalid, "unknown topic kind \(kind)")
        }
    }

    /// True if `name` can be used as a document ID or channel: 1–255 bytes of UTF-8, no NUL.
    package static func isValidName(_ name: String) -> Bool {
        isValidName(bytes: name.utf8)
    }

    /// ``isValidName(_:)`` of a name's UTF-8 bytes, before a `String` is made of them.
    package static func isValidName(bytes: some Collection<UInt8>) -> Bool {
        let count = bytes.count
        return count > 0 && count <= maxNameBytes && !bytes.contains(0)
    }

    package var description: String {
        switch self {
        case .document(let id): "doc/\(id)"
        case .node(let id): "node/\(id.shortDescription)"
        case .tree: "tree"
        case .application(let channel): "app/\(channel)"
        case .welcome: "welcome"
        }
    }
}
