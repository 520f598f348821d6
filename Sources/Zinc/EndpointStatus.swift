import ZincCore
import ZincProtocol
import ZeroMQ

/// A snapshot of an endpoint's state, for `zinc status` and monitoring.
public struct EndpointStatus: Sendable, Codable, Hashable {
    public struct DocumentStatus: Sendable, Codable, Hashable {
        public var id: String
        /// Unicode scalars in the main text.
        public var length: Int
        /// Operations held.
        public var operations: UInt64
        /// Hex SHA-256 of the document's visible content (``Document/canonicalContent()``).
        public var sha256: String
        public var versionVector: [String: UInt64]
        public var pending: Int
    }

    public var id: String
    /// The name the node was started with, if any.
    public var name: String?
    /// "root", "host" (joined, with children), "client" (joined, no children) or "joining" (no
    /// parent yet: connecting to a seed, joining, or failing over — not a root).
    public var role: String
    /// "joined …", "joining …", "connecting to …", "failing over" or "none".
    public var link: String
    public var parent: String?
    public var children: [String]
    public var term: UInt64
    public var depth: UInt32
    public var root: String
    public var lamport: UInt64
    /// Operations held per replica, over every document (the pointwise maximum).
    public var versionVector: [String: UInt64]
    public var endpoints: [String: String]?
    public var documents: [DocumentStatus]
    public var counters: [String: UInt64]

    init(_ listener: ChannelListener) {
        let core = listener.machine.core
        id = core.id.description
        name = listener.configuration.name
        role = core.role.rawValue
        link = core.parentState
        parent = core.parentID?.description
        children = core.childIDs.map(\.description)
        term = core.term
        depth = core.depth
        root = core.root.description
        lamport = listener.machine.documents.values.map(\.document.lamport).max() ?? 0
        var merged = VersionVector()
        for sync in listener.machine.documents.values { merged.merge(sync.document.versionVector) }
        versionVector = merged.stringKeyed
        endpoints = core.configuration.endpoints.map { ["publish": $0.publish, "pull": $0.pull] }
        documents = listener.machine.documents.keys.sorted().compactMap { id in
            guard let sync = listener.machine.documents[id] else { return nil }
            let document = sync.document
            return DocumentStatus(
                id: id, length: document.length(), operations: document.versionVector.totalOperations,
                sha256: SHA256.hex(Array(document.canonicalContent().utf8)),
                versionVector: document.versionVector.stringKeyed,
                pending: document.pendingOperationCount)
        }
        counters = listener.allCounters()
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, role, link, parent, children, term, depth, root, lamport, versionVector, endpoints, documents, counters
    }

    /// Encodes every key, `parent` and `endpoints` as `null` when absent (scripts test for it).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(role, forKey: .role)
        try container.encode(link, forKey: .link)
        try container.encode(parent, forKey: .parent)
        try container.encode(children, forKey: .children)
        try container.encode(term, forKey: .term)
        try container.encode(depth, forKey: .depth)
        try container.encode(root, forKey: .root)
        try container.encode(lamport, forKey: .lamport)
        try container.encode(versionVector, forKey: .versionVector)
        try container.encode(endpoints, forKey: .endpoints)
        try container.encode(documents, forKey: .documents)
        try container.encode(counters, forKey: .counters)
    }
}

extension ChannelListener {
    /// Every counter the endpoint keeps, by name (the keys of `zinc status`'s `counters`).
    func allCounters() -> [String: UInt64] {
        let core = machine.core
        var counters: [String: UInt64] = [
            "messagesIn": self.counters.messagesIn,
            "messagesOut": self.counters.messagesOut,
            "badMessages": self.counters.badMessages + core.counters.badMessages,
            "rejected": core.counters.rejected,
            "staleTerm": core.counters.staleTerm,
            "backpressureDrops": self.counters.backpressureDrops,
            "storeErrors": self.counters.storeErrors,
            "handshakeFailures": self.counters.handshakeFailures,
            "peersRefused": configuration.key.map { ZAPRegistry.shared.denials($0, context: publisher.context) } ?? 0,
            "redirects": core.counters.redirects,
            "rebalances": core.counters.rebalances,
            "promotions": core.counters.promotions,
            "parentFailures": core.counters.parentFailures,
            "childFailures": core.counters.childFailures,
            "merges": core.counters.merges,
        ]
        for sync in machine.documents.values {
            counters["repairs", default: 0] += sync.counters.repairsStarted
            counters["operationsApplied", default: 0] += sync.counters.operationsApplied
            counters["duplicateOperations", default: 0] += sync.counters.duplicateOperations
            counters["localOperations", default: 0] += sync.counters.localOperations
            counters["badMessages", default: 0] += sync.counters.badMessages
            counters["transfers", default: 0] += sync.counters.transfersCompleted
            counters["operationsRejected", default: 0] += sync.counters.operationsRejected
        }
        return counters
    }
}
