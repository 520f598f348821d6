package import ZincCore

/// One UDP datagram of discovery (docs/protocol.md, "Discovery"): a hosting node's periodic
/// announcement, a census question from `zinc discover`, or a node's answer to one.
package enum DiscoveryDatagram: Sendable, Hashable {
    case announcement(Announcement)
    case survey(Survey)
    case answer(SurveyAnswer)

    /// The largest datagram sent or accepted (fits one Ethernet frame with IP and UDP headers).
    package static let maxSize = 1400
    /// The smallest survey accepted: padding keeps an answer at most a few times larger than
    /// the question, so nodes are poor amplifiers for a forged source address.
    package static let minSurveySize = 256
    /// The UDP port discovery uses unless configured otherwise.
    package static let defaultPort: UInt16 = 7670
    static let magic: [UInt8] = [0x5A, 0x4E, 0x44]  // "ZND"
    static let version: UInt8 = 1

    enum Kind: UInt8 {
        case announcement = 1, survey = 2, answer = 3
    }

    package var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 128)
        writer.write(Self.magic)
        writer.write(Self.version)
        switch self {
        case .announcement(let announcement):
            writer.write(Kind.announcement.rawValue)
            announcement.encode(into: &writer)
        case .survey(let survey):
            writer.write(Kind.survey.rawValue)
            survey.encode(into: &writer)
            let padding = Self.minSurveySize - writer.bytes.count
            if padding > 0 { writer.write([UInt8](repeating: 0, count: padding)) }
        case .answer(let answer):
            writer.write(Kind.answer.rawValue)
            answer.encode(into: &writer)
        }
        return writer.bytes
    }

    /// Decodes a datagram from anyone on the network: bounded, validated, never trapping.
    package init(decoding bytes: [UInt8]) throws(FormatError) {
        guard bytes.count <= Self.maxSize else { throw FormatError(.limitExceeded, "discovery datagram of \(bytes.count) bytes (at most \(Self.maxSize))") }
        self = try withReader(bytes) { (reader) throws(FormatError) -> DiscoveryDatagram in
            let magic = try reader.readBytes(3, "discovery magic")
            guard magic == Self.magic else { throw FormatError(.invalid, "not a Zinc discovery datagram") }
            let version = try reader.readByte("discovery version")
            guard version == Self.version else { throw FormatError(.unsupportedVersion, "discovery version \(version)") }
            let kind = try reader.readByte("discovery kind")
            switch Kind(rawValue: kind) {
            case .announcement:
                let announcement = try Announcement(decoding: &reader)
                try reader.expectEnd("announcement")
                return .announcement(announcement)
            case .survey:
                guard bytes.count >= Self.minSurveySize else {
                    throw FormatError(.invalid, "survey of \(bytes.count) bytes (padded to at least \(Self.minSurveySize))")
                }
                let survey = try Survey(decoding: &reader)
                // The rest is padding, and padding is zeros.
                while !reader.isAtEnd {
                    guard try reader.readByte("survey padding") == 0 else { throw FormatError(.invalid, "survey padding that is not zero") }
                }
                return .survey(survey)
            case .answer:
                let answer = try SurveyAnswer(decoding: &reader)
                try reader.expectEnd("survey answer")
                return .answer(answer)
            case nil:
                throw FormatError(.invalid, "discovery kind \(kind)")
            }
        }
    }
}

/// A cluster's name in discovery: 1–64 bytes of UTF-8 without NUL.
package enum ClusterName {
    package static let maxLength = 64

    package static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxLength && !name.utf8.contains(0)
    }

    static func read(_ reader: inout ByteReader, allowEmpty: Bool = false) throws(FormatError) -> String {
        let name = try reader.readString("cluster name")
        guard (allowEmpty && name.isEmpty) || isValid(name) else {
            throw FormatError(.invalid, "cluster name must be 1–\(maxLength) bytes without NUL")
        }
        return name
    }
}

/// A hosting node telling its network segment where it is and how loaded it is.
package struct Announcement: Sendable, Hashable {
    package var cluster: String
    package var node: ReplicaID
    package var root: ReplicaID
    package var term: UInt64
    package var depth: UInt32
    /// Children it has now, and how many it accepts before redirecting joiners.
    package var children: UInt32
    package var fanout: UInt32
    /// Where it listens. A wildcard host (`0.0.0.0`, `*`) means the datagram's source address.
    package var endpoints: Endpoints

    package init(cluster: String, node: ReplicaID, root: ReplicaID, term: UInt64, depth: UInt32, children: UInt32, fanout: UInt32, endpoints: Endpoints) {
        self.cluster = cluster
        self.node = node
        self.root = root
        self.term = term
        self.depth = depth
        self.children = children
        self.fanout = fanout
        self.endpoints = endpoints
    }

    /// True if the announcer's tree has more than one node: it has a parent or children.
    package var treeHasMembers: Bool { root != node || children > 0 }

    func encode(into writer: inout ByteWriter) {
        writer.write(string: cluster)
        writer.write(node)
        writer.write(root)
        writer.write(varint: term)
        writer.write(varint: UInt64(depth))
        writer.write(varint: UInt64(children))
        writer.write(varint: UInt64(fanout))
        endpoints.encode(into: &writer)
    }

    init(decoding reader: inout ByteReader) throws(FormatError) {
        cluster = try ClusterName.read(&reader)
        node = try reader.readReplicaID("announcing node")
        root = try reader.readReplicaID("announced root")
        term = try reader.readVarint("announced term")
        depth = UInt32(try reader.readVarint(max: 1 << 20, "announced depth"))
        children = UInt32(try reader.readVarint(max: 1 << 20, "announced children"))
        fanout = UInt32(try reader.readVarint(max: 1 << 20, "announced fan-out"))
        guard fanout >= 1 else { throw FormatError(.invalid, "announced fan-out 0") }
        endpoints = try Endpoints(decoding: &reader)
    }
}

/// A census question: every node of the cluster named (every cluster, if empty) answers.
package struct Survey: Sendable, Hashable {
    package var cluster: String
    /// Echoed in answers, so an asker ignores answers to someone else's survey.
    package var nonce: UInt64

    package init(cluster: String, nonce: UInt64) {
        self.cluster = cluster
        self.nonce = nonce
    }

    func encode(into writer: inout ByteWriter) {
        writer.write(string: cluster)
        writer.write(uint64: nonce)
    }

    init(decoding reader: inout ByteReader) throws(FormatError) {
        cluster = try ClusterName.read(&reader, allowEmpty: true)
        nonce = try reader.readUInt64("survey nonce")
    }

    /// True if a node of `cluster` answers this survey.
    package func asks(_ cluster: String) -> Bool { self.cluster.isEmpty || self.cluster == cluster }
}

/// One node's answer to a survey.
package struct SurveyAnswer: Sendable, Hashable {
    /// Where a node stands in its tree, as answered.
    package enum Role: UInt8, Sendable, Hashable, CaseIterable {
        case root = 0, host = 1, client = 2, joining = 3
    }

    package var nonce: UInt64
    package var cluster: String
    package var node: ReplicaID
    package var role: Role
    package var parent: ReplicaID?
    package var children: UInt32
    package var root: ReplicaID
    package var term: UInt64
    package var depth: UInt32
    /// Nil for a node that cannot host.
    package var endpoints: Endpoints?
    /// How many documents the node replicates, and the IDs of those listed (all that fit, or
    /// none in a keyed cluster: document names are not told to anyone who asks).
    package var documentCount: UInt32
    package var documents: [String]

    package init(
        nonce: UInt64, cluster: String, node: ReplicaID, role: Role, parent: ReplicaID?, children: UInt32, root: ReplicaID, term: UInt64, depth: UInt32,
        endpoints: Endpoints?, documentCount: UInt32, documents: [String]
    ) {
        self.nonce = nonce
        self.cluster = cluster
        self.node = node
        self.role = role
        self.parent = parent
        self.children = children
        self.root = root
        self.term = term
        self.depth = depth
        self.endpoints = endpoints
        self.documentCount = documentCount
        self.documents = documents
    }

    func encode(into writer: inout ByteWriter) {
        writer.write(uint64: nonce)
        writer.write(string: cluster)
        writer.write(node)
        writer.write(role.rawValue)
        if let parent {
            writer.write(1)
            writer.write(parent)
        } else {
            writer.write(0)
        }
        writer.write(varint: UInt64(children))
        writer.write(root)
        writer.write(varint: term)
        writer.write(varint: UInt64(depth))
        writer.write(optional: endpoints)
        writer.write(varint: UInt64(documentCount))
        writer.write(varint: UInt64(documents.count))
        for document in documents { writer.write(documentName: document) }
    }

    init(decoding reader: inout ByteReader) throws(FormatError) {
        nonce = try reader.readUInt64("answer nonce")
        cluster = try ClusterName.read(&reader)
        node = try reader.readReplicaID("answering node")
        let roleByte = try reader.readByte("answer role")
        guard let role = Role(rawValue: roleByte) else { throw FormatError(.invalid, "answer role \(roleByte)") }
        self.role = role
        switch try reader.readByte("answer parent tag") {
        case 0: parent = nil
        case 1: parent = try reader.readReplicaID("answer parent")
        case let tag: throw FormatError(.invalid, "answer parent tag \(tag)")
        }
        children = UInt32(try reader.readVarint(max: 1 << 20, "answer children"))
        root = try reader.readReplicaID("answer root")
        term = try reader.readVarint("answer term")
        depth = UInt32(try reader.readVarint(max: 1 << 20, "answer depth"))
        endpoints = try reader.readOptionalEndpoints()
        documentCount = UInt32(try reader.readVarint(max: Int(UInt32.max), "answer document count"))
        let listed = try reader.readCount("answer documents", minimumBytesEach: 2)
        guard listed <= documentCount else { throw FormatError(.invalid, "answer lists \(listed) of \(documentCount) documents") }
        documents = []
        for _ in 0..<listed { documents.append(try reader.readDocumentName()) }
    }

    /// Lists as many of `all` (sorted) as fit in one datagram beside the rest of the answer.
    package mutating func list(_ all: [String]) {
        documentCount = UInt32(clamping: all.count)
        documents = []
        var size = DiscoveryDatagram.answer(self).encoded.count
        for document in all {
            // A name's length prefix is one byte below 128 bytes, two above (names are at most
            // 255); the listed count's varint grows a byte when it reaches 128.
            let length = document.utf8.count
            let cost = length + (length < 128 ? 1 : 2) + (documents.count == 127 ? 1 : 0)
            guard size + cost <= DiscoveryDatagram.maxSize else { break }
            documents.append(document)
            size += cost
        }
    }
}
