package import ZincCore

/// How one node behaves in the tree.
package struct NodeConfiguration: Sendable, Hashable {
    /// The node's identity (also the replica ID it edits documents as).
    package var id: ReplicaID
    /// Where this node listens for children; nil for a node that cannot host a subtree.
    package var endpoints: Endpoints?
    /// PUB endpoints of nodes to join, tried in turn until one answers; empty to start as root.
    package var join: [String]
    /// Addresses the node was linked with before a restart (``RememberedPeers``): probed for
    /// other trees of its cluster, and so known when a merge invitation names one, even on a
    /// node that joins no seed.
    package var remembered: [String] = []
    /// How long to wait for one seed's beacon before trying the next.
    package var seedTimeout: Duration = .seconds(1)
    /// Children accepted before joiners are redirected down the tree.
    package var fanout: Int = 8
    /// Browsers this node's WebSocket gateway takes as children (§23), beyond the fan-out.
    package var gatewayClients: Int = 10_000
    /// The documents this node replicates for itself (its children may add more).
    package var interest: Interest = .all
    /// How often a node sends a heartbeat on an idle link.
    package var heartbeatInterval: Duration = .milliseconds(100)
    /// How long a join may go unanswered before the joiner looks elsewhere.
    package var joinTimeout: Duration = .seconds(2)
    /// How often a joiner repeats its join request until welcomed.
    package var joinRetryInterval: Duration = .milliseconds(300)
    /// How long a host waits for a joiner's directed subscription before welcoming anyway.
    package var welcomeDeferral: Duration = .milliseconds(500)
    /// How long a host's children must be unchanged before it moves children beyond its
    /// fan-out (a failover's successor adopts up to twice as many) under other children.
    package var rebalanceDelay: Duration = .seconds(2)
    /// Failure detection.
    package var detector = FailureDetector.Settings()
    /// UDP discovery by cluster name (docs/protocol.md, "Discovery"); nil when off.
    package var discovery: DiscoveryView.Settings?
    /// For de-duplication: how many of each origin's latest application sequence numbers are
    /// remembered, and for how many origins (docs/protocol.md §16).
    package var applicationWindow = 4096
    package var applicationOrigins = 1024
    /// The sequence number of this run's first application message. The runtime starts at a
    /// random one, so that a node restarted under the same ID does not repeat numbers its
    /// peers still remember, and have them dropped as duplicates (docs/protocol.md §16).
    package var firstApplicationSequence: UInt64 = 1
    /// Whether the node's joins, welcomes and heartbeats say that it accepts packed frames
    /// (docs/protocol.md §4.2). Every node of this version does; the simulator turns it off to
    /// play a node of a version before 0.2.0.
    package var acceptsPackedFrames = true
    /// Whether a replica one child claims is refused to the others (``TrustTable/exclusive``):
    /// set in a certified tree, where child IDs are bound to certified names (§24.2 item 7).
    package var exclusiveClaims = false

    package init(id: ReplicaID, endpoints: Endpoints? = nil, join: [String] = []) {
        self.id = id
        self.endpoints = endpoints
        self.join = join
    }
}
