import ZincStore

/// A snapshot of an endpoint's state, as ``Endpoint/status()`` and `zinc status` report it.
///
/// Its JSON form (the admin interface's `status` reply) keeps the keys and string values
/// scripts read: `role` is `"root"`, `"host"`, `"client"` or `"joining"`, `link` reads like
/// `"joined 1a2b3c4d"`, and `counters` is an object of named numbers.
public struct EndpointStatus: Sendable, Hashable {
    /// Where a node stands in its tree.
    public enum Role: String, Sendable, Hashable, Codable {
        /// The root of a tree: no parent, and not looking for one.
        case root
        /// Joined to a parent, with children of its own.
        case host
        /// Joined to a parent, without children.
        case client
        /// Looking for a parent: connecting to a seed, joining, or failing over. Not a root,
        /// although it has no parent.
        case joining
    }

    /// The state of the link to the parent.
    public enum Link: Sendable, Hashable, CustomStringConvertible {
        /// No parent, and not looking for one (a root).
        case none
        /// Connecting to a seed or a would-be parent at this address.
        case connecting(to: String)
        /// Asked this node to be its child; waiting for the welcome.
        case joining(ReplicaID)
        /// Joined: this node is the parent.
        case joined(ReplicaID)
        /// The parent died; looking for its successor.
        case failingOver

        /// True once a parent has welcomed the node.
        public var isJoined: Bool {
            if case .joined = self { true } else { false }
        }

        /// The form `zinc status` shows (and the JSON carries).
        public var description: String {
            switch self {
            case .none: "none"
            case .connecting(let address): "connecting to \(address)"
            case .joining(let node): "joining \(node.shortDescription)"
            case .joined(let node): "joined \(node.shortDescription)"
            case .failingOver: "failing over"
            }
        }
    }

    /// What the node has counted since it started.
    public struct Counters: Sendable, Hashable, Codable {
        /// Messages read from the sockets.
        public var messagesIn: UInt64 = 0
        /// Messages sent.
        public var messagesOut: UInt64 = 0
        /// Malformed or invalid messages dropped.
        public var badMessages: UInt64 = 0
        /// Protocol messages refused (wrong sender, a loop, ...).
        public var rejected: UInt64 = 0
        /// Messages dropped for carrying an older term.
        public var staleTerm: UInt64 = 0
        /// Messages dropped because a peer was not keeping up (repaired later by digest).
        public var backpressureDrops: UInt64 = 0
        /// Writes to the store that failed (and were retried).
        public var storeErrors: UInt64 = 0
        /// Secure handshakes that failed.
        public var handshakeFailures: UInt64 = 0
        /// Peers the cluster key's authenticator refused.
        public var peersRefused: UInt64 = 0
        /// Joiners sent further down the tree.
        public var redirects: UInt64 = 0
        /// Children moved under another child to respect the fan-out.
        public var rebalances: UInt64 = 0
        /// Times this node took over from a dead parent.
        public var promotions: UInt64 = 0
        /// Parents declared dead.
        public var parentFailures: UInt64 = 0
        /// Children declared dead.
        public var childFailures: UInt64 = 0
        /// Other trees merged with.
        public var merges: UInt64 = 0
        /// Document repairs started.
        public var repairs: UInt64 = 0
        /// Remote operation units applied.
        public var operationsApplied: UInt64 = 0
        /// Remote operation units already held.
        public var duplicateOperations: UInt64 = 0
        /// Operation units made here.
        public var localOperations: UInt64 = 0
        /// Chunked transfers completed.
        public var transfers: UInt64 = 0
        /// Operation units refused (invalid, or not trusted from that sender).
        public var operationsRejected: UInt64 = 0

        public init() {}
    }

    /// One document the node replicates.
    public struct DocumentStatus: Sendable, Hashable, Codable {
        public var id: String
        /// Unicode scalars in the main text.
        public var length: Int
        /// Operations held.
        public var operations: UInt64
        /// Hex SHA-256 of the document's visible content: equal on replicas that agree.
        public var sha256: String
        /// Operations held, per replica.
        public var versionVector: VersionVector
        /// Remote operations held back until what they depend on arrives.
        public var pending: Int
    }

    public var id: ReplicaID
    /// The name the node was started with, if any.
    public var name: String?
    public var role: Role
    public var link: Link
    public var parent: ReplicaID?
    public var children: [ReplicaID]
    /// The tree's term: it grows with every promotion and merge.
    public var term: UInt64
    /// Hops from the root (0 for the root).
    public var depth: UInt32
    public var root: ReplicaID
    /// The latest Lamport time of any document here.
    public var lamport: UInt64
    /// Operations held per replica, over every document (the pointwise maximum).
    public var versionVector: VersionVector
    /// Where the node listens, if it can host.
    public var addresses: Endpoint.Addresses?
    public var documents: [DocumentStatus]
    public var counters: Counters
}
