import ZincCore
import ZincProtocol

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
    public var role: String
    /// "joined …", "joining …", "connecting to …", "failing over" or "none".
    public var link: String
    public var parent: String?
    public var children: [String]
    public var term: UInt64
    public var depth: UInt32
    public var root: String
    public var lamport: UInt64
    public var endpoints: [String: String]?
    public var documents: [DocumentStatus]
    public var counters: [String: UInt64]

    init(_ listener: ChannelListener) {
        let core = listener.machine.core
        id = core.id.description
        role = core.role.rawValue
        link = core.parentState
        parent = core.parentID?.description
        children = core.childIDs.map(\.description)
        term = core.term
        depth = core.depth
        root = core.root.description
        lamport = listener.machine.documents.values.map(\.document.lamport).max() ?? 0
        endpoints = core.configuration.endpoints.map { ["publish": $0.publish, "pull": $0.pull] }
        documents = listener.machine.documents.keys.sorted().compactMap { id in
            guard let sync = listener.machine.documents[id] else { return nil }
            let document = sync.document
            return DocumentStatus(
                id: id, length: document.length(), operations: document.versionVector.totalOperations,
                sha256: SHA256.hex(Array(document.canonicalContent().utf8)),
                versionVector: Dictionary(uniqueKeysWithValues: document.versionVector.counters.map { ($0.key.description, $0.value) }),
                pending: document.pendingOperationCount)
        }
        var counters: [String: UInt64] = [
            "messagesIn": listener.counters.messagesIn,
            "messagesOut": listener.counters.messagesOut,
            "badMessages": listener.counters.badMessages + core.counters.badMessages,
            "rejected": core.counters.rejected,
            "staleTerm": core.counters.staleTerm,
            "backpressureDrops": listener.counters.backpressureDrops,
            "redirects": core.counters.redirects,
            "promotions": core.counters.promotions,
            "parentFailures": core.counters.parentFailures,
            "childFailures": core.counters.childFailures,
            "merges": core.counters.merges,
        ]
        for sync in listener.machine.documents.values {
            counters["repairs", default: 0] += sync.counters.repairsStarted
            counters["operationsApplied", default: 0] += sync.counters.operationsApplied
            counters["duplicateOperations", default: 0] += sync.counters.duplicateOperations
            counters["localOperations", default: 0] += sync.counters.localOperations
            counters["badMessages", default: 0] += sync.counters.badMessages
            counters["transfers", default: 0] += sync.counters.transfersCompleted
        }
        self.counters = counters
    }
}
