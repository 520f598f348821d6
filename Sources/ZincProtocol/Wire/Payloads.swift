public import ZincCore

/// A payload type with a bounded binary encoding.
package protocol WirePayload: Sendable, Hashable {
    func encode(into writer: inout ByteWriter)
    init(decoding reader: inout ByteReader) throws(FormatError)
}

extension WirePayload {
    package var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 64)
        encode(into: &writer)
        return writer.bytes
    }

    package init(decoding bytes: [UInt8], limits: DecodingLimits = .default) throws(FormatError) {
        self = try withReader(bytes, limits: limits) { (reader) throws(FormatError) -> Self in
            let value = try Self(decoding: &reader)
            try reader.expectEnd("\(Self.self)")
            return value
        }
    }
}

/// Where a hosting node listens: its PUB socket (what others join) and its PULL socket (where
/// its clients push).
package struct Endpoints: Hashable, Sendable, CustomStringConvertible {
    package var publish: String
    package var pull: String

    package init(publish: String, pull: String) {
        self.publish = publish
        self.pull = pull
    }

    package var description: String { publish }

    static let maxLength = 1024

    func encode(into writer: inout ByteWriter) {
        writer.write(string: publish)
        writer.write(string: pull)
    }

    init(decoding reader: inout ByteReader) throws(FormatError) {
        publish = try reader.readString("publish endpoint")
        pull = try reader.readString("pull endpoint")
        guard !publish.isEmpty, !pull.isEmpty, publish.utf8.count <= Self.maxLength, pull.utf8.count <= Self.maxLength else {
            throw FormatError(.invalid, "endpoint empty or longer than \(Self.maxLength) bytes")
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
    mutating func readOptionalEndpoints() throws(FormatError) -> Endpoints? {
        switch try readByte("endpoints tag") {
        case 0: return nil
        case 1: return try Endpoints(decoding: &self)
        case let tag: throw FormatError(.invalid, "endpoints tag \(tag)")
        }
    }

    mutating func readDocumentName() throws(FormatError) -> String {
        try readName("document ID")
    }

    /// A document ID or channel: valid UTF-8, then 1–255 bytes without NUL (``Topic/isValidName(_:)``),
    /// checked on the bytes before a `String` is made; this runs for every application message.
    mutating func readName(_ what: String) throws(FormatError) -> String {
        let count = try readVarint(max: limits.maxBytes, what)
        return try withBytes(count, what) { (raw) throws(FormatError) -> String in
            guard isValidUTF8(raw) else { throw FormatError(.invalid, what + ": not valid UTF-8") }
            guard Topic.isValidName(bytes: raw) else {
                throw FormatError(.invalid, what + " must be 1–255 bytes without NUL")
            }
            return String(decoding: raw, as: UTF8.self)
        }
    }
}

/// A member of a host's family, as the host tells its children (for promotion).
package struct ChildEntry: Hashable, Sendable {
    package var id: ReplicaID
    /// Nil for a client that cannot host (it cannot be promoted).
    package var endpoints: Endpoints?
    /// Join order: the successor is the lowest rank still alive.
    package var rank: UInt64

    package init(id: ReplicaID, endpoints: Endpoints?, rank: UInt64) {
        self.id = id
        self.endpoints = endpoints
        self.rank = rank
    }

    func encode(into writer: inout ByteWriter) {
        writer.write(id)
        writer.write(optional: endpoints)
        writer.write(varint: rank)
    }

    init(decoding reader: inout ByteReader) throws(FormatError) {
        id = try reader.readReplicaID("child ID")
        endpoints = try reader.readOptionalEndpoints()
        rank = try reader.readVarint("child rank")
    }
}

/// A document's sync summary: a digest of its version vector and its operation count.
package struct DocumentDigest: Hashable, Sendable {
    package var document: String
    package var digest: UInt64
    package var operations: UInt64

    package init(document: String, digest: UInt64, operations: UInt64) {
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

    package func includes(_ document: String) -> Bool {
        switch self {
        case .all: true
        case .documents(let set): set.contains(document)
        }
    }

    package func union(_ other: Interest) -> Interest {
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

    init(decoding reader: inout ByteReader) throws(FormatError) {
        switch try reader.readByte("interest tag") {
        case 0: self = .all
        case 1:
            let count = try reader.readCount("interest documents", minimumBytesEach: 2)
            var set = Set<String>()
            for _ in 0..<count { set.insert(try reader.readDocumentName()) }
            self = .documents(set)
        case let tag: throw FormatError(.invalid, "interest tag \(tag)")
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

func decodeDigests(_ reader: inout ByteReader) throws(FormatError) -> [DocumentDigest] {
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
package struct Beacon: WirePayload {
    package var node: ReplicaID
    package var endpoints: Endpoints
    package var root: ReplicaID
    package var term: UInt64
    package var depth: UInt32
    /// The node's ancestors, root first (empty for a root): a joiner on this list would make
    /// a cycle.
    package var path: [ReplicaID]

    package init(node: ReplicaID, endpoints: Endpoints, root: ReplicaID, term: UInt64, depth: UInt32, path: [ReplicaID] = []) {
        self.node = node
        self.endpoints = endpoints
        self.root = root
        self.term = term
        self.depth = depth
        self.path = path
    }

    package func encode(into writer: inout ByteWriter) {
        writer.write(1)
        writer.write(node)
        endpoints.encode(into: &writer)
        writer.write(root)
        writer.write(varint: term)
        writer.write(varint: UInt64(depth))
        encodePath(path, into: &writer)
    }

    package init(decoding reader: inout ByteReader) throws(FormatError) {
        let version = try reader.readByte("beacon version")
        guard version == 1 else { throw FormatError(.unsupportedVersion, "beacon version \(version)") }
        node = try reader.readReplicaID("beacon node")
        endpoints = try Endpoints(decoding: &reader)
        root = try reader.readReplicaID("beacon root")
        term = try reader.readVarint("beacon term")
        depth = UInt32(try reader.readVarint(max: 1 << 20, "beacon depth"))
        path = try decodePath(&reader)
    }

    /// The welcome frame: `W` then the encoded beacon.
    package var frame: [UInt8] { Topic.welcome.bytes + encoded }

    package init(frame: [UInt8]) throws(FormatError) {
        guard frame.first == Topic.welcome.bytes.first else { throw FormatError(.invalid, "not a welcome frame") }
        self = try Beacon(decoding: Array(frame.dropFirst()))
    }
}

/// A client asking a host to take it.
package struct JoinRequest: WirePayload {
    /// Where the joiner listens, if it can host a subtree (needed to promote it later).
    package var endpoints: Endpoints?
    /// The documents the joiner and its subtree want.
    package var interest: Interest
    /// Nodes in the joiner's subtree, itself included (for balancing).
    package var subtreeSize: UInt32
    /// True when the joiner moves because its parent died (it brings a subtree).
    package var afterFailover: Bool

    package init(endpoints: Endpoints?, interest: Interest, subtreeSize: UInt32 = 1, afterFailover: Bool = false) {
        self.endpoints = endpoints
        self.interest = interest
        self.subtreeSize = subtreeSize
        self.afterFailover = afterFailover
    }

    package func encode(into writer: inout ByteWriter) {
        writer.write(optional: endpoints)
        interest.encode(into: &writer)
        writer.write(varint: UInt64(subtreeSize))
        writer.write(afterFailover ? 1 : 0)
    }

    package init(decoding reader: inout ByteReader) throws(FormatError) {
        endpoints = try reader.readOptionalEndpoints()
        interest = try Interest(decoding: &reader)
        subtreeSize = UInt32(try reader.readVarint(max: Int(UInt32.max), "subtree size"))
        afterFailover = try reader.readByte("after failover") != 0
    }
}

/// A host's acceptance of a joiner.
package struct Welcome: WirePayload {
    package var rank: UInt64
    package var root: ReplicaID
    /// The joiner's depth (the root has depth 0).
    package var depth: UInt32
    /// The host's own parent (where to go if the host dies and the joiner is promoted).
    package var grandparent: Endpoints?
    package var siblings: [ChildEntry]
    /// Documents the host replicates (a joiner interested in everything opens them all).
    package var documents: [String]
    /// The host's ancestors and the host, root first.
    package var path: [ReplicaID]

    package init(rank: UInt64, root: ReplicaID, depth: UInt32, grandparent: Endpoints?, siblings: [ChildEntry], documents: [String], path: [ReplicaID] = []) {
        self.path = path
        self.rank = rank
        self.root = root
        self.depth = depth
        self.grandparent = grandparent
        self.siblings = siblings
        self.documents = documents
    }

    package func encode(into writer: inout ByteWriter) {
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

    package init(decoding reader: inout ByteReader) throws(FormatError) {
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
package struct Redirect: WirePayload {
    package var target: ReplicaID
    package var endpoints: Endpoints

    package init(target: ReplicaID, endpoints: Endpoints) {
        self.target = target
        self.endpoints = endpoints
    }

    package func encode(into writer: inout ByteWriter) {
        writer.write(target)
        endpoints.encode(into: &writer)
    }

    package init(decoding reader: inout ByteReader) throws(FormatError) {
        target = try reader.readReplicaID("redirect target")
        endpoints = try Endpoints(decoding: &reader)
    }
}

/// A heartbeat. Down (host → children, tree topic): the tree's state the children need to heal.
/// Up (client → host): the client's subtree size. Both carry document digests for gap repair.
package struct Heartbeat: WirePayload {
    package var root: ReplicaID
    /// The sender's depth.
    package var depth: UInt32
    /// Down: the sender's own parent, for promotion.
    package var grandparent: Endpoints?
    /// Down: the sender's children, with ranks, for promotion.
    package var children: [ChildEntry]
    /// Up: nodes in the sender's subtree.
    package var subtreeSize: UInt32
    package var digests: [DocumentDigest]
    /// Down: the sender's ancestors and the sender, root first (cycle detection).
    package var path: [ReplicaID]
    /// Up: the document replicas authored in the sender's subtree (the host accepts new
    /// operations of these replicas from this child, and refuses ones claimed elsewhere).
    package var replicas: [ReplicaID]
    /// Both ways: membership gossip, the sender itself first (docs/protocol.md, "Membership
    /// gossip").
    package var rumors: [MembershipView.Rumor]

    /// The most replicas a heartbeat claims.
    package static let maxReplicas = 4096
    /// The most rumors a heartbeat carries.
    package static let maxRumors = 8

    package init(root: ReplicaID, depth: UInt32, grandparent: Endpoints? = nil, children: [ChildEntry] = [], subtreeSize: UInt32 = 1, digests: [DocumentDigest] = [], path: [ReplicaID] = [], replicas: [ReplicaID] = [], rumors: [MembershipView.Rumor] = []) {
        self.path = path
        self.rumors = rumors
        self.replicas = replicas
        self.root = root
        self.depth = depth
        self.grandparent = grandparent
        self.children = children
        self.subtreeSize = subtreeSize
        self.digests = digests
    }

    package func encode(into writer: inout ByteWriter) {
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
        writer.write(varint: UInt64(rumors.count))
        for rumor in rumors {
            writer.write(string: rumor.publish)
            writer.write(rumor.root)
            writer.write(varint: rumor.wireAge)
        }
    }

    package init(decoding reader: inout ByteReader) throws(FormatError) {
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
        guard claimed <= Self.maxReplicas else { throw FormatError(.limitExceeded, "heartbeat claims \(claimed) replicas") }
        replicas = []
        replicas.reserveCapacity(claimed)
        for _ in 0..<claimed { replicas.append(try reader.readReplicaID("claimed replica")) }
        let rumorCount = try reader.readCount("rumors", minimumBytesEach: 19)
        guard rumorCount <= Self.maxRumors else { throw FormatError(.limitExceeded, "heartbeat carries \(rumorCount) rumors") }
        rumors = []
        for _ in 0..<rumorCount {
            let publish = try reader.readString("rumored address")
            guard !publish.isEmpty, publish.utf8.count <= Endpoints.maxLength else { throw FormatError(.invalid, "rumored address empty or longer than \(Endpoints.maxLength) bytes") }
            let root = try reader.readReplicaID("rumored root")
            let age = try reader.readVarint(max: Int(MembershipView.Rumor.maxWireAge), "rumor age")
            rumors.append(MembershipView.Rumor(publish: publish, root: root, age: .milliseconds(Int64(age) * 100)))
        }
    }
}

extension MembershipView.Rumor {
    /// The largest age on the wire, in tenths of a second.
    static let maxWireAge: UInt64 = 1 << 20

    /// The age on the wire: whole tenths of a second, clamped to what a decoder accepts. In
    /// integers: `Duration / Duration` is a `Double`, and 99,942.3 s ÷ 0.1 s gives 999,422.99…,
    /// which truncated did not decode to the same age.
    var wireAge: UInt64 {
        let (seconds, attoseconds) = age.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let tenths = seconds.multipliedReportingOverflow(by: 10)
        guard !tenths.overflow else { return Self.maxWireAge }
        return min(UInt64(tenths.partialValue) + UInt64(attoseconds / 100_000_000_000_000_000), Self.maxWireAge)
    }
}

/// A held version (type 14, on the document's topic): from a child, what every member of its
/// subtree holds; from the parent, what every member of the tree holds.
package struct HeldVersion: WirePayload {
    package var version: VersionVector

    package init(version: VersionVector) {
        self.version = version
    }

    package func encode(into writer: inout ByteWriter) {
        version.encode(into: &writer)
    }

    package init(decoding reader: inout ByteReader) throws(FormatError) {
        version = try VersionVector(decoding: &reader)
    }
}

/// "This is what I have of `document`; send me the rest."
package struct SyncRequest: WirePayload {
    package var document: String
    package var version: VersionVector

    package init(document: String, version: VersionVector) {
        self.document = document
        self.version = version
    }

    package func encode(into writer: inout ByteWriter) {
        writer.write(documentName: document)
        version.encode(into: &writer)
    }

    package init(decoding reader: inout ByteReader) throws(FormatError) {
        document = try reader.readDocumentName()
        version = try VersionVector(decoding: &reader)
    }
}

/// The reply: the responder's version vector (so the requester can send back what the
/// responder lacks) and the operations the requester lacks, if they fit in one message
/// (otherwise they follow as a transfer).
package struct SyncReply: WirePayload {
    package var document: String
    package var version: VersionVector
    /// An encoded fragment (self-contained), possibly empty.
    package var fragment: [UInt8]
    /// A transfer with the operations follows (they did not fit here).
    package var transferFollows: Bool

    package init(document: String, version: VersionVector, fragment: [UInt8], transferFollows: Bool = false) {
        self.document = document
        self.version = version
        self.fragment = fragment
        self.transferFollows = transferFollows
    }

    package func encode(into writer: inout ByteWriter) {
        writer.write(documentName: document)
        version.encode(into: &writer)
        writer.write(transferFollows ? 1 : 0)
        writer.write(lengthPrefixed: fragment)
    }

    package init(decoding reader: inout ByteReader) throws(FormatError) {
        document = try reader.readDocumentName()
        version = try VersionVector(decoding: &reader)
        transferFollows = try reader.readByte("transfer follows") != 0
        fragment = try reader.readLengthPrefixed("fragment")
    }
}

/// What a transfer carries.
package enum TransferKind: UInt8, Sendable, Hashable {
    /// A whole-document snapshot (for a joiner that has nothing).
    case snapshot = 1
    /// An encoded fragment (for a joiner that has something).
    case fragment = 2
}

/// One chunk of a transfer. Chunk 0 names the kind, total size and covering version vector.
package struct TransferChunk: WirePayload {
    package var transfer: UInt64
    package var document: String
    package var index: UInt32
    package var count: UInt32
    package var kind: TransferKind
    package var totalSize: UInt64
    /// What the whole transfer covers (the sender's version at the time).
    package var covering: VersionVector
    package var bytes: [UInt8]

    package init(transfer: UInt64, document: String, index: UInt32, count: UInt32, kind: TransferKind, totalSize: UInt64, covering: VersionVector, bytes: [UInt8]) {
        self.transfer = transfer
        self.document = document
        self.index = index
        self.count = count
        self.kind = kind
        self.totalSize = totalSize
        self.covering = covering
        self.bytes = bytes
    }

    package func encode(into writer: inout ByteWriter) {
        writer.write(varint: transfer)
        writer.write(documentName: document)
        writer.write(varint: UInt64(index))
        writer.write(varint: UInt64(count))
        writer.write(kind.rawValue)
        writer.write(varint: totalSize)
        covering.encode(into: &writer)
        writer.write(lengthPrefixed: bytes)
    }

    package init(decoding reader: inout ByteReader) throws(FormatError) {
        transfer = try reader.readVarint("transfer ID")
        document = try reader.readDocumentName()
        index = UInt32(try reader.readVarint(max: Int(UInt32.max), "chunk index"))
        count = UInt32(try reader.readVarint(max: Int(UInt32.max), "chunk count"))
        let raw = try reader.readByte("transfer kind")
        guard let kind = TransferKind(rawValue: raw) else { throw FormatError(.invalid, "transfer kind \(raw)") }
        self.kind = kind
        totalSize = try reader.readVarint("total size")
        guard count > 0, index < count, totalSize <= UInt64(reader.limits.maxBytes) else {
            throw FormatError(.invalid, "chunk \(index) of \(count), \(totalSize) bytes")
        }
        covering = try VersionVector(decoding: &reader)
        bytes = try reader.readLengthPrefixed("chunk bytes")
    }
}

/// "I have chunks up to (not including) `next` of `transfer`."
package struct TransferAck: WirePayload {
    package var transfer: UInt64
    package var document: String
    package var next: UInt32

    package init(transfer: UInt64, document: String, next: UInt32) {
        self.transfer = transfer
        self.document = document
        self.next = next
    }

    package func encode(into writer: inout ByteWriter) {
        writer.write(varint: transfer)
        writer.write(documentName: document)
        writer.write(varint: UInt64(next))
    }

    package init(decoding reader: inout ByteReader) throws(FormatError) {
        transfer = try reader.readVarint("transfer ID")
        document = try reader.readDocumentName()
        next = UInt32(try reader.readVarint(max: Int(UInt32.max), "next chunk"))
    }
}

/// Where an application message goes in the tree.
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
package struct ApplicationMessage: WirePayload {
    package var channel: String
    package var routing: Routing
    /// Unique per origin; with the origin it identifies the message (for de-duplication).
    package var sequence: UInt64
    /// Hops travelled so far (bounded to stop loops).
    package var hops: UInt8
    package var body: [UInt8]

    package init(channel: String, routing: Routing, sequence: UInt64, hops: UInt8 = 0, body: [UInt8]) {
        self.channel = channel
        self.routing = routing
        self.sequence = sequence
        self.hops = hops
        self.body = body
    }

    package func encode(into writer: inout ByteWriter) {
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

    package init(decoding reader: inout ByteReader) throws(FormatError) {
        channel = try reader.readName("channel")
        switch try reader.readByte("routing") {
        case 0: routing = .down
        case 1: routing = .up
        case 2: routing = .node(try reader.readReplicaID("routing target"))
        case 3: routing = .broadcast
        case let tag: throw FormatError(.invalid, "routing \(tag)")
        }
        sequence = try reader.readVarint("sequence")
        hops = try reader.readByte("hops")
        body = try reader.readLengthPrefixed("body")
    }
}

/// A node leaving cleanly. From a host to its children it names where they should go.
package struct Leave: WirePayload {
    package var successor: ChildEntry?

    package init(successor: ChildEntry?) {
        self.successor = successor
    }

    package func encode(into writer: inout ByteWriter) {
        if let successor {
            writer.write(1)
            successor.encode(into: &writer)
        } else {
            writer.write(0)
        }
    }

    package init(decoding reader: inout ByteReader) throws(FormatError) {
        switch try reader.readByte("successor tag") {
        case 0: successor = nil
        case 1: successor = try ChildEntry(decoding: &reader)
        case let tag: throw FormatError(.invalid, "successor tag \(tag)")
        }
    }
}

/// A root inviting another root to join it (they found each other: split brain).
package struct MergeInvitation: WirePayload {
    package var root: ReplicaID
    package var endpoints: Endpoints
    package var term: UInt64

    package init(root: ReplicaID, endpoints: Endpoints, term: UInt64) {
        self.root = root
        self.endpoints = endpoints
        self.term = term
    }

    package func encode(into writer: inout ByteWriter) {
        writer.write(root)
        endpoints.encode(into: &writer)
        writer.write(varint: term)
    }

    package init(decoding reader: inout ByteReader) throws(FormatError) {
        root = try reader.readReplicaID("root")
        endpoints = try Endpoints(decoding: &reader)
        term = try reader.readVarint("term")
    }
}

/// The longest ancestor path accepted; longer means a cycle (or a tree too deep to be sane).
package let maxPathLength = 64

func encodePath(_ path: [ReplicaID], into writer: inout ByteWriter) {
    writer.write(varint: UInt64(path.count))
    for id in path { writer.write(id) }
}

func decodePath(_ reader: inout ByteReader) throws(FormatError) -> [ReplicaID] {
    let count = try reader.readCount("path", minimumBytesEach: 16)
    guard count <= maxPathLength + 1 else { throw FormatError(.limitExceeded, "path of \(count) nodes") }
    var path: [ReplicaID] = []
    path.reserveCapacity(count)
    for _ in 0..<count { path.append(try reader.readReplicaID("path node")) }
    return path
}
