public import ZincCore

/// A payload type with a bounded binary encoding.
public protocol WirePayload: Sendable, Hashable {
    func encode(into writer: inout ByteWriter)
    init(decoding reader: inout ByteReader) throws(DecodingError)
}

extension WirePayload {
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 64)
        encode(into: &writer)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8], limits: DecodingLimits = .default) throws(DecodingError) {
        self = try withReader(bytes, limits: limits) { (reader) throws(DecodingError) -> Self in
            let value = try Self(decoding: &reader)
            try reader.expectEnd("\(Self.self)")
            return value
        }
    }
}

/// Where a hosting node listens: its PUB socket (what others join) and its PULL socket (where
/// its clients push).
public struct Endpoints: Hashable, Sendable, CustomStringConvertible {
    public var publish: String
    public var pull: String

    public init(publish: String, pull: String) {
        self.publish = publish
        self.pull = pull
    }

    public var description: String { publish }

    static let maxLength = 1024

    func encode(into writer: inout ByteWriter) {
        writer.write(string: publish)
        writer.write(string: pull)
    }

    init(decoding reader: inout ByteReader) throws(DecodingError) {
        publish = try reader.readString("publish endpoint")
        pull = try reader.readString("pull endpoint")
        guard !publish.isEmpty, !pull.isEmpty, publish.utf8.count <= Self.maxLength, pull.utf8.count <= Self.maxLength else {
            throw DecodingError(.invalid, "endpoint empty or longer than \(Self.maxLength) bytes")
        }
    }
}

extension ByteWriter {
    mutating func write(optional endpoints: Endpoints?) {
        if let endpoints {
            write(1)
            endpoints.encode(into: &self)
        } else {
            write(0)
        }
    }

    mutating func write(documentName name: String) {
        write(string: name)
    }
}

extension ByteReader {
    mutating func readOptionalEndpoints() throws(DecodingError) -> Endpoints? {
        switch try readByte("endpoints tag") {
        case 0: return nil
        case 1: return try Endpoints(decoding: &self)
        case let tag: throw DecodingError(.invalid, "endpoints tag \(tag)")
        }
    }

    mutating func readDocumentName() throws(DecodingError) -> String {
        let name = try readString("document ID")
        guard Topic.isValidName(name) else { throw DecodingError(.invalid, "document ID must be 1–255 bytes without NUL") }
        return name
    }
}

/// A member of a host's family, as the host tells its children (for promotion).
public struct ChildEntry: Hashable, Sendable {
    public var id: ReplicaID
    /// Nil for a client that cannot host (it cannot be promoted).
    public var endpoints: Endpoints?
    /// Join order: the successor is the lowest rank still alive.
    public var rank: UInt64

    public init(id: ReplicaID, endpoints: Endpoints?, rank: UInt64) {
        self.id = id
        self.endpoints = endpoints
        self.rank = rank
    }

    func encode(into writer: inout ByteWriter) {
        writer.write(id)
        writer.write(optional: endpoints)
        writer.write(varint: rank)
    }

    init(decoding reader: inout ByteReader) throws(DecodingError) {
        id = try reader.readReplicaID("child ID")
        endpoints = try reader.readOptionalEndpoints()
        rank = try reader.readVarint("child rank")
    }
}

/// A document's sync summary: a digest of its version vector and its operation count.
public struct DocumentDigest: Hashable, Sendable {
    public var document: String
    public var digest: UInt64
    public var operations: UInt64

    public init(document: String, digest: UInt64, operations: UInt64) {
        self.document = document
        self.digest = digest
        self.operations = operations
    }
}

/// Which documents a node (and its subtree) wants.
public enum Interest: Hashable, Sendable {
    /// Every document in the tree (a `zinc node`).
    case all
    /// Only these.
    case documents(Set<String>)

    public func includes(_ document: String) -> Bool {
        switch self {
        case .all: true
        case .documents(let set): set.contains(document)
        }
    }

    public func union(_ other: Interest) -> Interest {
        switch (self, other) {
        case (.all, _), (_, .all): .all
        case (.documents(let a), .documents(let b)): .documents(a.union(b))
        }
    }

    func encode(into writer: inout ByteWriter) {
        switch self {
        case .all: writer.write(0)
        case .documents(let set):
            writer.write(1)
            writer.write(varint: UInt64(set.count))
            for document in set.sorted() { writer.write(documentName: document) }
        }
    }

    init(decoding reader: inout ByteReader) throws(DecodingError) {
        switch try reader.readByte("interest tag") {
        case 0: self = .all
        case 1:
            let count = try reader.readCount("interest documents", minimumBytesEach: 2)
            var set = Set<String>()
            for _ in 0..<count { set.insert(try reader.readDocumentName()) }
            self = .documents(set)
        case let tag: throw DecodingError(.invalid, "interest tag \(tag)")
        }
    }
}

func encodeDigests(_ digests: [DocumentDigest], into writer: inout ByteWriter) {
    writer.write(varint: UInt64(digests.count))
    for digest in digests {
        writer.write(documentName: digest.document)
        writer.write(uint64: digest.digest)
        writer.write(varint: digest.operations)
    }
}

func decodeDigests(_ reader: inout ByteReader) throws(DecodingError) -> [DocumentDigest] {
    let count = try reader.readCount("digests", minimumBytesEach: 10)
    var digests: [DocumentDigest] = []
    digests.reserveCapacity(count)
    for _ in 0..<count {
        let document = try reader.readDocumentName()
        digests.append(DocumentDigest(document: document, digest: try reader.readUInt64("digest"), operations: try reader.readVarint("operations")))
    }
    return digests
}

/// The one-frame welcome an XPUB sends each new subscriber: who this node is and where to push.
public struct Beacon: WirePayload {
    public var node: ReplicaID
    public var endpoints: Endpoints
    public var root: ReplicaID
    public var term: UInt64
    public var depth: UInt32
    /// The node's ancestors, root first (empty for a root): a joiner on this list would make
    /// a cycle.
    public var path: [ReplicaID]

    public init(node: ReplicaID, endpoints: Endpoints, root: ReplicaID, term: UInt64, depth: UInt32, path: [ReplicaID] = []) {
        self.node = node
        self.endpoints = endpoints
        self.root = root
        self.term = term
        self.depth = depth
        self.path = path
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(1)
        writer.write(node)
        endpoints.encode(into: &writer)
        writer.write(root)
        writer.write(varint: term)
        writer.write(varint: UInt64(depth))
        encodePath(path, into: &writer)
    }

    public init(decoding reader: inout ByteReader) throws(DecodingError) {
        let version = try reader.readByte("beacon version")
        guard version == 1 else { throw DecodingError(.unsupportedVersion, "beacon version \(version)") }
        node = try reader.readReplicaID("beacon node")
        endpoints = try Endpoints(decoding: &reader)
        root = try reader.readReplicaID("beacon root")
        term = try reader.readVarint("beacon term")
        depth = UInt32(try reader.readVarint(max: 1 << 20, "beacon depth"))
        path = try decodePath(&reader)
    }

    /// The welcome frame: `W` then the encoded beacon.
    public var frame: [UInt8] { Topic.welcome.bytes + encoded }

    public init(frame: [UInt8]) throws(DecodingError) {
        guard frame.first == Topic.welcome.bytes.first else { throw DecodingError(.invalid, "not a welcome frame") }
        self = try Beacon(decoding: Array(frame.dropFirst()))
    }
}

/// A client asking a host to take it.
public struct JoinRequest: WirePayload {
    /// Where the joiner listens, if it can host a subtree (needed to promote it later).
    public var endpoints: Endpoints?
    /// The documents the joiner and its subtree want.
    public var interest: Interest
    /// Nodes in the joiner's subtree, itself included (for balancing).
    public var subtreeSize: UInt32
    /// True when the joiner moves because its parent died (it brings a subtree).
    public var afterFailover: Bool

    public init(endpoints: Endpoints?, interest: Interest, subtreeSize: UInt32 = 1, afterFailover: Bool = false) {
        self.endpoints = endpoints
        self.interest = interest
        self.subtreeSize = subtreeSize
        self.afterFailover = afterFailover
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(optional: endpoints)
        interest.encode(into: &writer)
        writer.write(varint: UInt64(subtreeSize))
        writer.write(afterFailover ? 1 : 0)
    }

    public init(decoding reader: inout ByteReader) throws(DecodingError) {
        endpoints = try reader.readOptionalEndpoints()
        interest = try Interest(decoding: &reader)
        subtreeSize = UInt32(try reader.readVarint(max: Int(UInt32.max), "subtree size"))
        afterFailover = try reader.readByte("after failover") != 0
    }
}

/// A host's acceptance of a joiner.
public struct Welcome: WirePayload {
    public var rank: UInt64
    public var root: ReplicaID
    /// The joiner's depth (the root has depth 0).
    public var depth: UInt32
    /// The host's own parent (where to go if the host dies and the joiner is promoted).
    public var grandparent: Endpoints?
    public var siblings: [ChildEntry]
    /// Documents the host replicates (a joiner interested in everything opens them all).
    public var documents: [String]
    /// The host's ancestors and the host, root first.
    public var path: [ReplicaID]

    public init(rank: UInt64, root: ReplicaID, depth: UInt32, grandparent: Endpoints?, siblings: [ChildEntry], documents: [String], path: [ReplicaID] = []) {
        self.path = path
        self.rank = rank
        self.root = root
        self.depth = depth
        self.grandparent = grandparent
        self.siblings = siblings
        self.documents = documents
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(varint: rank)
        writer.write(root)
        writer.write(varint: UInt64(depth))
        writer.write(optional: grandparent)
        writer.write(varint: UInt64(siblings.count))
        for sibling in siblings { sibling.encode(into: &writer) }
        writer.write(varint: UInt64(documents.count))
        for document in documents { writer.write(documentName: document) }
        encodePath(path, into: &writer)
    }

    public init(decoding reader: inout ByteReader) throws(DecodingError) {
        rank = try reader.readVarint("rank")
        root = try reader.readReplicaID("root")
        depth = UInt32(try reader.readVarint(max: 1 << 20, "depth"))
        grandparent = try reader.readOptionalEndpoints()
        let count = try reader.readCount("siblings", minimumBytesEach: 18)
        siblings = []
        for _ in 0..<count { siblings.append(try ChildEntry(decoding: &reader)) }
        let documentCount = try reader.readCount("documents", minimumBytesEach: 2)
        documents = []
        for _ in 0..<documentCount { documents.append(try reader.readDocumentName()) }
        path = try decodePath(&reader)
    }
}

/// "Join that node instead."
public struct Redirect: WirePayload {
    public var target: ReplicaID
    public var endpoints: Endpoints

    public init(target: ReplicaID, endpoints: Endpoints) {
        self.target = target
        self.endpoints = endpoints
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(target)
        endpoints.encode(into: &writer)
    }

    public init(decoding reader: inout ByteReader) throws(DecodingError) {
        target = try reader.readReplicaID("redirect target")
        endpoints = try Endpoints(decoding: &reader)
    }
}

/// A heartbeat. Down (host → children, tree topic): the tree's state the children need to heal.
/// Up (client → host): the client's subtree size. Both carry document digests for gap repair.
public struct Heartbeat: WirePayload {
    public var root: ReplicaID
    /// The sender's depth.
    public var depth: UInt32
    /// Down: the sender's own parent, for promotion.
    public var grandparent: Endpoints?
    /// Down: the sender's children, with ranks, for promotion.
    public var children: [ChildEntry]
    /// Up: nodes in the sender's subtree.
    public var subtreeSize: UInt32
    public var digests: [DocumentDigest]
    /// Down: the sender's ancestors and the sender, root first (cycle detection).
    public var path: [ReplicaID]
    /// Up: the document replicas authored in the sender's subtree (the host accepts new
    /// operations of these replicas from this child, and refuses ones claimed elsewhere).
    public var replicas: [ReplicaID]

    /// The most replicas a heartbeat claims.
    public static let maxReplicas = 4096

    public init(root: ReplicaID, depth: UInt32, grandparent: Endpoints? = nil, children: [ChildEntry] = [], subtreeSize: UInt32 = 1, digests: [DocumentDigest] = [], path: [ReplicaID] = [], replicas: [ReplicaID] = []) {
        self.path = path
        self.replicas = replicas
        self.root = root
        self.depth = depth
        self.grandparent = grandparent
        self.children = children
        self.subtreeSize = subtreeSize
        self.digests = digests
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(root)
        writer.write(varint: UInt64(depth))
        writer.write(optional: grandparent)
        writer.write(varint: UInt64(children.count))
        for child in children { child.encode(into: &writer) }
        writer.write(varint: UInt64(subtreeSize))
        encodeDigests(digests, into: &writer)
        encodePath(path, into: &writer)
        writer.write(varint: UInt64(replicas.count))
        for replica in replicas { writer.write(replica) }
    }

    public init(decoding reader: inout ByteReader) throws(DecodingError) {
        root = try reader.readReplicaID("root")
        depth = UInt32(try reader.readVarint(max: 1 << 20, "depth"))
        grandparent = try reader.readOptionalEndpoints()
        let count = try reader.readCount("children", minimumBytesEach: 18)
        children = []
        for _ in 0..<count { children.append(try ChildEntry(decoding: &reader)) }
        subtreeSize = UInt32(try reader.readVarint(max: Int(UInt32.max), "subtree size"))
        digests = try decodeDigests(&reader)
        path = try decodePath(&reader)
        let claimed = try reader.readCount("claimed replicas", minimumBytesEach: 16)
        guard claimed <= Self.maxReplicas else { throw DecodingError(.limitExceeded, "heartbeat claims \(claimed) replicas") }
        replicas = []
        replicas.reserveCapacity(claimed)
        for _ in 0..<claimed { replicas.append(try reader.readReplicaID("claimed replica")) }
    }
}

/// "This is what I have of `document`; send me the rest."
public struct SyncRequest: WirePayload {
    public var document: String
    public var version: VersionVector

    public init(document: String, version: VersionVector) {
        self.document = document
        self.version = version
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(documentName: document)
        version.encode(into: &writer)
    }

    public init(decoding reader: inout ByteReader) throws(DecodingError) {
        document = try reader.readDocumentName()
        version = try VersionVector(decoding: &reader)
    }
}

/// The reply: the responder's version vector (so the requester can send back what the
/// responder lacks) and the operations the requester lacks, if they fit in one message
/// (otherwise they follow as a transfer).
public struct SyncReply: WirePayload {
    public var document: String
    public var version: VersionVector
    /// An encoded fragment (self-contained), possibly empty.
    public var fragment: [UInt8]
    /// A transfer with the operations follows (they did not fit here).
    public var transferFollows: Bool

    public init(document: String, version: VersionVector, fragment: [UInt8], transferFollows: Bool = false) {
        self.document = document
        self.version = version
        self.fragment = fragment
        self.transferFollows = transferFollows
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(documentName: document)
        version.encode(into: &writer)
        writer.write(transferFollows ? 1 : 0)
        writer.write(lengthPrefixed: fragment)
    }

    public init(decoding reader: inout ByteReader) throws(DecodingError) {
        document = try reader.readDocumentName()
        version = try VersionVector(decoding: &reader)
        transferFollows = try reader.readByte("transfer follows") != 0
        fragment = try reader.readLengthPrefixed("fragment")
    }
}

/// What a transfer carries.
public enum TransferKind: UInt8, Sendable, Hashable {
    /// A whole-document snapshot (for a joiner that has nothing).
    case snapshot = 1
    /// An encoded fragment (for a joiner that has something).
    case fragment = 2
}

/// One chunk of a transfer. Chunk 0 names the kind, total size and covering version vector.
public struct TransferChunk: WirePayload {
    public var transfer: UInt64
    public var document: String
    public var index: UInt32
    public var count: UInt32
    public var kind: TransferKind
    public var totalSize: UInt64
    /// What the whole transfer covers (the sender's version at the time).
    public var covering: VersionVector
    public var bytes: [UInt8]

    public init(transfer: UInt64, document: String, index: UInt32, count: UInt32, kind: TransferKind, totalSize: UInt64, covering: VersionVector, bytes: [UInt8]) {
        self.transfer = transfer
        self.document = document
        self.index = index
        self.count = count
        self.kind = kind
        self.totalSize = totalSize
        self.covering = covering
        self.bytes = bytes
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(varint: transfer)
        writer.write(documentName: document)
        writer.write(varint: UInt64(index))
        writer.write(varint: UInt64(count))
        writer.write(kind.rawValue)
        writer.write(varint: totalSize)
        covering.encode(into: &writer)
        writer.write(lengthPrefixed: bytes)
    }

    public init(decoding reader: inout ByteReader) throws(DecodingError) {
        transfer = try reader.readVarint("transfer ID")
        document = try reader.readDocumentName()
        index = UInt32(try reader.readVarint(max: Int(UInt32.max), "chunk index"))
        count = UInt32(try reader.readVarint(max: Int(UInt32.max), "chunk count"))
        let raw = try reader.readByte("transfer kind")
        guard let kind = TransferKind(rawValue: raw) else { throw DecodingError(.invalid, "transfer kind \(raw)") }
        self.kind = kind
        totalSize = try reader.readVarint("total size")
        guard count > 0, index < count, totalSize <= UInt64(reader.limits.maxBytes) else {
            throw DecodingError(.invalid, "chunk \(index) of \(count), \(totalSize) bytes")
        }
        covering = try VersionVector(decoding: &reader)
        bytes = try reader.readLengthPrefixed("chunk bytes")
    }
}

/// "I have chunks up to (not including) `next` of `transfer`."
public struct TransferAck: WirePayload {
    public var transfer: UInt64
    public var document: String
    public var next: UInt32

    public init(transfer: UInt64, document: String, next: UInt32) {
        self.transfer = transfer
        self.document = document
        self.next = next
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(varint: transfer)
        writer.write(documentName: document)
        writer.write(varint: UInt64(next))
    }

    public init(decoding reader: inout ByteReader) throws(DecodingError) {
        transfer = try reader.readVarint("transfer ID")
        document = try reader.readDocumentName()
        next = UInt32(try reader.readVarint(max: Int(UInt32.max), "next chunk"))
    }
}

/// Where an application message goes.
public enum Routing: Hashable, Sendable {
    /// To every node below the sender.
    case down
    /// To the sender's parent only.
    case up
    /// To one node, anywhere in the tree (routed through the tree).
    case node(ReplicaID)
    /// To every node in the tree.
    case broadcast
}

/// An application message.
public struct ApplicationMessage: WirePayload {
    public var channel: String
    public var routing: Routing
    /// Unique per origin; with the origin it identifies the message (for de-duplication).
    public var sequence: UInt64
    /// Hops travelled so far (bounded to stop loops).
    public var hops: UInt8
    public var body: [UInt8]

    public init(channel: String, routing: Routing, sequence: UInt64, hops: UInt8 = 0, body: [UInt8]) {
        self.channel = channel
        self.routing = routing
        self.sequence = sequence
        self.hops = hops
        self.body = body
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(string: channel)
        switch routing {
        case .down: writer.write(0)
        case .up: writer.write(1)
        case .node(let id):
            writer.write(2)
            writer.write(id)
        case .broadcast: writer.write(3)
        }
        writer.write(varint: sequence)
        writer.write(hops)
        writer.write(lengthPrefixed: body)
    }

    public init(decoding reader: inout ByteReader) throws(DecodingError) {
        channel = try reader.readString("channel")
        guard Topic.isValidName(channel) else { throw DecodingError(.invalid, "channel must be 1–255 bytes without NUL") }
        switch try reader.readByte("routing") {
        case 0: routing = .down
        case 1: routing = .up
        case 2: routing = .node(try reader.readReplicaID("routing target"))
        case 3: routing = .broadcast
        case let tag: throw DecodingError(.invalid, "routing \(tag)")
        }
        sequence = try reader.readVarint("sequence")
        hops = try reader.readByte("hops")
        body = try reader.readLengthPrefixed("body")
    }
}

/// A node leaving cleanly. From a host to its children it names where they should go.
public struct Leave: WirePayload {
    public var successor: ChildEntry?

    public init(successor: ChildEntry?) {
        self.successor = successor
    }

    public func encode(into writer: inout ByteWriter) {
        if let successor {
            writer.write(1)
            successor.encode(into: &writer)
        } else {
            writer.write(0)
        }
    }

    public init(decoding reader: inout ByteReader) throws(DecodingError) {
        switch try reader.readByte("successor tag") {
        case 0: successor = nil
        case 1: successor = try ChildEntry(decoding: &reader)
        case let tag: throw DecodingError(.invalid, "successor tag \(tag)")
        }
    }
}

/// A root inviting another root to join it (they found each other: split brain).
public struct MergeInvitation: WirePayload {
    public var root: ReplicaID
    public var endpoints: Endpoints
    public var term: UInt64

    public init(root: ReplicaID, endpoints: Endpoints, term: UInt64) {
        self.root = root
        self.endpoints = endpoints
        self.term = term
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(root)
        endpoints.encode(into: &writer)
        writer.write(varint: term)
    }

    public init(decoding reader: inout ByteReader) throws(DecodingError) {
        root = try reader.readReplicaID("root")
        endpoints = try Endpoints(decoding: &reader)
        term = try reader.readVarint("term")
    }
}

/// The longest ancestor path accepted; longer means a cycle (or a tree too deep to be sane).
public let maxPathLength = 64

func encodePath(_ path: [ReplicaID], into writer: inout ByteWriter) {
    writer.write(varint: UInt64(path.count))
    for id in path { writer.write(id) }
}

func decodePath(_ reader: inout ByteReader) throws(DecodingError) -> [ReplicaID] {
    let count = try reader.readCount("path", minimumBytesEach: 16)
    guard count <= maxPathLength + 1 else { throw DecodingError(.limitExceeded, "path of \(count) nodes") }
    var path: [ReplicaID] = []
    path.reserveCapacity(count)
    for _ in 0..<count { path.append(try reader.readReplicaID("path node")) }
    return path
}
