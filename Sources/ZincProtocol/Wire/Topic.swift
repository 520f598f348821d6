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

    package init(decoding bytes: [UInt8]) throws(FormatError) {
        guard let kind = bytes.first else { throw FormatError(.truncated, "empty topic") }
        switch kind {
        case 0x44, 0x41:
            guard bytes.count >= 2, bytes.last == 0, bytes.count - 2 <= Self.maxNameBytes else {
                throw FormatError(.invalid, "topic name not terminated or too long")
            }
            let name = bytes[1..<bytes.count - 1]
            let valid = name.withUnsafeBytes { isValidUTF8($0) }
            guard !name.contains(0), valid else { throw FormatError(.invalid, "topic name is not valid UTF-8") }
            let text = String(decoding: name, as: UTF8.self)
            self = kind == 0x44 ? .document(text) : .application(text)
        case 0x4E:
            guard bytes.count == 17, let id = ReplicaID(bytes: bytes[1...]) else { throw FormatError(.invalid, "node topic is not 17 bytes") }
            self = .node(id)
        case 0x54:
            guard bytes.count == 1 else { throw FormatError(.invalid, "tree topic has extra bytes") }
            self = .tree
        case 0x57:
            self = .welcome
        default:
            throw FormatError(.invalid, "unknown topic kind \(kind)")
        }
    }

    /// True if `name` can be used as a document ID or channel: 1–255 bytes of UTF-8, no NUL.
    package static func isValidName(_ name: String) -> Bool {
        let count = name.utf8.count
        return count > 0 && count <= maxNameBytes && !name.utf8.contains(0)
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
