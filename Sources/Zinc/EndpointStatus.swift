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

    /// What the node has counted since it started, by name: `status.counters[.promotions]`.
    public struct Counters: Sendable, Hashable {
        /// A counter. The raw value is its key in the JSON status.
        public enum Name: String, Sendable, Hashable, CaseIterable, Codable {
            /// Messages read from the sockets.
            case messagesIn
            /// Messages sent.
            case messagesOut
            /// libzmq messages sent: one per message, or one per packed frame of several when
            /// batching (``EndpointConfiguration/batchesMessages``).
            case framesOut
            /// Malformed or invalid messages dropped.
            case badMessages
            /// Protocol messages refused (wrong sender, a loop, ...).
            case rejected
            /// Messages dropped for carrying an older term.
            case staleTerm
            /// Messages dropped because a peer was not keeping up (repaired later by digest).
            case backpressureDrops
            /// Local edits that waited because a child was a flow window behind.
            case editsHeldBack
            /// Children the node stopped waiting for after they stayed a window behind for the
            /// pacing limit (repaired by digest instead).
            case slowChildrenReleased
            /// Writes to the store that failed (and were retried).
            case storeErrors
            /// Secure handshakes that failed.
            case handshakeFailures
            /// Peers the cluster key's authenticator refused.
            case peersRefused
            /// Joiners sent further down the tree.
            case redirects
            /// Children moved under another child to respect the fan-out.
            case rebalances
            /// Times this node took over from a dead parent.
            case promotions
            /// Parents declared dead.
            case parentFailures
            /// Children declared dead.
            case childFailures
            /// Other trees merged with.
            case merges
            /// Document repairs started.
            case repairs
            /// Remote operation units applied.
            case operationsApplied
            /// Remote operation units already held.
            case duplicateOperations
            /// Operation units made here.
            case localOperations
            /// Chunked transfers completed.
            case transfers
            /// Operation units refused (invalid, or not trusted from that sender).
            case operationsRejected
            /// Discovery announcements this node broadcast.
            case discoveryAnnounced
            /// Announcements heard from nodes of this node's cluster.
            case discoveryHeard
            /// Discovery datagrams of other clusters, ignored.
            case discoveryIgnored
            /// Discovery datagrams dropped: malformed, oversized, unreachable, or over the rate.
            case discoveryDropped
            /// Surveys (`zinc discover`) answered.
            case surveysAnswered
            /// WebSocket connections the gateway accepted.
            case gatewayConnections
            /// Gateway frames refused: malformed, a text frame, a forbidden subscription, a
            /// message sent as another node than the connection's.
            case gatewayRefused
            /// Messages not sent to a browser that was not reading (repaired by digest).
            case gatewayDrops
            /// Certificates the lobby admitted.
            case certificatesAdmitted
            /// Certificates the lobby refused: untrusted, expired, revoked or malformed.
            case certificatesRefused
            /// Subscriptions not applied: a document the subscriber's certificate does not
            /// cover, or a node ID bound to another key.
            case subscriptionsRefused
            /// Messages refused by the access rules (operations from a reader, a document not
            /// covered, a node ID bound to another key).
            case accessRefused
            /// Of those, operations sent by readers.
            case readerWritesRefused
            /// Admitted peers cut when their certificate expired or was revoked.
            case peersCut
            /// Replicas a child's heartbeat claimed that another child holds, or this node
            /// owns, once per heartbeat (certified trees: a replica stays bound to the node that
            /// first claimed it).
            case claimsRefused
        }

        private var values: [Name: UInt64] = [:]

        /// All counters at zero.
        public init() {}

        /// The counter's value (zero if it never moved).
        public subscript(name: Name) -> UInt64 {
            get { values[name] ?? 0 }
            set { values[name] = newValue }
        }
    }

    /// What a certified node's certificate says.
    public struct CertificateStatus: Sendable, Hashable, Codable {
        /// The name the authority certified.
        public var name: String
        /// `member` or `reader`.
        public var role: String
        /// The document patterns it covers (`notes`, `wiki/*`).
        public var documents: [String]
        /// The certified name of the host this node is connected to, if any.
        public var parent: String?
        /// The certified names of its tree children, by node ID (browsers have none).
        public var children: [String: String] = [:]

        package init(name: String, role: String, documents: [String], parent: String?, children: [String: String]) {
            self.name = name
            self.role = role
            self.documents = documents
            self.parent = parent
            self.children = children
        }

        private enum CodingKeys: String, CodingKey { case name, role, documents, parent, children }

        /// Decodes a status, older ones (without `children`) included.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            role = try container.decode(String.self, forKey: .role)
            documents = try container.decode([String].self, forKey: .documents)
            parent = try container.decodeIfPresent(String.self, forKey: .parent)
            children = try container.decodeIfPresent([String: String].self, forKey: .children) ?? [:]
        }
    }

    /// One document the node replicates.
    public struct DocumentStatus: Sendable, Hashable, Codable {
        /// The document's ID.
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

    /// The node's ID.
    public var id: ReplicaID
    /// The name the node was started with, if any.
    public var name: String?
    /// Where the node stands in its tree.
    public var role: Role
    /// The state of the link to the parent.
    public var link: Link
    /// The parent, once joined.
    public var parent: ReplicaID?
    /// The joined children, by ID.
    public var children: [ReplicaID]
    /// The tree's term: it grows with every promotion and merge.
    public var term: UInt64
    /// Hops from the root (0 for the root).
    package var depth: UInt32
    package var root: ReplicaID
    /// The latest Lamport time of any document here.
    package var lamport: UInt64
    /// Operations held per replica, over every document (the pointwise maximum).
    public var versionVector: VersionVector
    /// Where the node listens, if it can host.
    public var addresses: Endpoint.Addresses?
    /// Where browsers connect (`ws://HOST:PORT/zinc`), if the node runs a WebSocket gateway.
    public var webSocket: String?
    /// Browsers connected through the gateway (they are among ``children`` too).
    public var browsers: [ReplicaID] = []
    /// A certified node's certificate: its name, role and document patterns.
    public var certificate: CertificateStatus?
    /// A certified node's latest refusals (certificates, subscriptions, messages), oldest first.
    public var refusals: [String] = []
    /// Where the node sends packed frames now (docs/protocol.md §4): neither with batching off
    /// (``EndpointConfiguration/batchesMessages``), otherwise where the peers said they read them.
    public var packing = Packing()
    /// The documents the node replicates, by ID.
    public var documents: [DocumentStatus]
    /// What the node has counted since it started.
    public var counters: Counters

    /// Where a batching node packs: to its children while every child of the tree said it reads
    /// packed frames, and to a parent that said so. A node of an earlier version among the
    /// children turns ``toChildren`` off.
    public struct Packing: Sendable, Hashable, Codable {
        /// On the PUB socket, to every child.
        public var toChildren = false
        /// On the PUSH socket, to the parent.
        public var toParent = false

        public init(toChildren: Bool = false, toParent: Bool = false) {
            self.toChildren = toChildren
            self.toParent = toParent
        }
    }
}
