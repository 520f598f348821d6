public import Logging
package import ZeroMQ

/// How to run one ``Endpoint``.
///
/// ```swift
/// var configuration = EndpointConfiguration()
/// configuration.bind = "tcp://127.0.0.1:7000"          // host a subtree (PUB 7000, PULL 7001)
/// configuration.join = ["tcp://127.0.0.1:6000"]        // …under this host
/// configuration.dataDirectory = "/var/lib/myapp/zinc"  // keep documents across restarts
/// ```
public struct EndpointConfiguration: Sendable {
    /// The node's identity in the tree (random by default; ``ReplicaID/init(deterministicFrom:)``
    /// gives a stable one from a name).
    public var id: ReplicaID
    /// A human name for logs and status (`zinc node --id NAME`).
    public var name: String?
    /// Where to listen for children, if this endpoint should be able to host a subtree:
    /// `tcp://127.0.0.1:7000` (PUB on 7000, PULL on 7001), `tcp://127.0.0.1:*` (any two ports),
    /// `ipc:///tmp/zinc-a` or `inproc://a` (the PULL endpoint gets a `.pull` suffix).
    public var bind: String?
    /// The host to advertise to others instead of the bound one (for wildcard binds).
    public var advertiseHost: String?
    /// PUB addresses of nodes to join, tried in turn; empty to start as a root.
    public var join: [String] = []
    /// Find the tree of a cluster by name over UDP (with or without ``join``); nil (the
    /// default) to use ``join`` only.
    public var discover: Discovery?
    /// Accept browsers over WebSocket (docs/web.md): each joins the tree as a child of this
    /// node. Nil (the default) for none.
    public var webSocket: WebSocketGateway?
    /// Where to serve the JSON admin interface (`zinc status`, `zinc doc`, `zinc edit`):
    /// `tcp://127.0.0.1:PORT`, `ipc://PATH` or `inproc://NAME`: loopback or ipc only (it has
    /// no authentication of its own beyond the cluster key).
    public var admin: String?
    /// Allow a non-loopback admin address (anyone who can reach it can read and edit).
    package var adminAllowsRemote = false
    /// The cluster key: with one, every socket uses CURVE and only peers holding the key (or on
    /// its allow-list) are admitted (docs/security.md).
    public var key: ClusterKey?
    /// This node's certified identity (instead of a cluster key): per-node CURVE keys, roles
    /// and document permissions (docs/security.md, "Node certificates").
    public var identity: NodeIdentity?
    /// Children accepted before joiners are sent further down.
    public var fanout = 8
    /// Documents to replicate: ``Interest/all`` for a pure relay node, or the documents the
    /// application opens (`.documents([])`, the default; opening adds to it).
    public var interest: Interest = .documents([])
    /// How often the node tells its parent and children it is alive (failure detection takes
    /// a few of these).
    public var heartbeatInterval: Duration = .milliseconds(100)
    /// Consecutive local edits closer together than this, with no caret jump between them,
    /// form one undo step (Yjs's UndoManager uses 500 ms). Zero makes every edit its own step.
    public var undoCaptureWindow: Duration = .milliseconds(500)
    /// When documents drop the history every neighbour holds: ``HistoryTrimming/automatic``
    /// by default, so that a long-lived document's history and store stay bounded.
    public var historyTrimming = HistoryTrimming.automatic
    /// Persist documents in SQLite in this directory (created if needed): they are loaded at
    /// start, and every change is recorded (docs/guarantees.md, "Durability").
    public var dataDirectory: String?
    /// How hard the store works to keep acknowledged edits.
    public var durability: Durability = .full
    /// Documents to start with, by ID (in addition to those loaded from ``dataDirectory``).
    public var documents: [String: Document] = [:]
    /// Where the endpoint logs (swift-log).
    public var logger = Logger(label: "zinc")

    /// Bounds for what documents accept from other replicas.
    package var documentLimits = DocumentLimits.default
    /// Messages queued per peer in libzmq before a send would block (docs/protocol.md,
    /// "Backpressure"): large enough to absorb bursts, small enough to bound memory.
    package var highWaterMark = 20_000
    /// Messages held by Zinc when libzmq's queue is full, before they are dropped and the
    /// peers are left to repair by digest.
    package var backlogLimit = 100_000
    /// Per-child flow control (docs/protocol.md, "Flow control"): local edits of a document
    /// wait while its slowest child is this many local deltas behind (as its heartbeats
    /// report). Half the high-water mark, so the publisher never drops for a child that keeps
    /// reporting.
    package var flowWindow = 10_000
    /// The longest a local edit waits for a slow child; then the node stops waiting for that
    /// child (it is repaired by digest, and counts again once it caught up).
    package var pacingLimit: Duration = .seconds(1)
    /// The largest frame accepted from a peer; larger ones disconnect it.
    package var maxMessageSize = 64 << 20
    /// The replica ID new documents are edited as; nil picks a fresh one unless `documents`
    /// carries one (never reuse an ID with an empty history).
    package var documentReplica: ReplicaID?
    /// The shortest time between two runs of the node's timers: they run at the machine's next
    /// deadline (``NodeMachine/nextDeadline(now:)``), never sooner than this after the last run.
    /// The simulator runs them the same way.
    package var tickInterval: Duration = .milliseconds(25)
    /// How readily a silent neighbour is declared dead: ``FailureDetection/lan`` (the
    /// default) or ``FailureDetection/wan``.
    public var failureDetection: FailureDetection = .lan
    /// The failure detector's thresholds.
    package var detector: FailureDetector.Settings { failureDetection.settings }
    /// Document synchronisation tunables (transfer chunks, repair timing).
    package var sync = SyncSettings()
    /// Send the messages that leave on a socket in one turn of the endpoint's I/O loop as
    /// packed frames (docs/protocol.md §4): one libzmq message per run of one topic, up to
    /// 64 KiB, instead of one per message. It carries a burst in fewer messages and wake-ups
    /// (docs/benchmarks.md). Packed frames go only to peers that said they accept them: to the
    /// children while every child of the tree does, and to a parent that does; a node of an
    /// earlier version gets three frames (docs/deployment.md, "Batching").
    public var batchesMessages = true
    /// The libzmq context; endpoints that talk over `inproc://` must share one (all endpoints
    /// share one unless a test gives its own).
    package var context: Context?

    /// A configuration for a node with identity `id` (random by default): a root with no sockets bound until `bind` or `join` say otherwise.
    public init(id: ReplicaID = .random()) {
        self.id = id
    }
}

/// The libzmq context shared by endpoints that do not bring their own.
enum SharedContext {
    static let context: Context = {
        var configuration = Context.Configuration()
        configuration.ioThreads = 1
        configuration.maxSockets = 65_536
        // A failed context means no libzmq at all: nothing could work, so stop loudly.
        guard let context = try? Context(configuration) else { fatalError("libzmq could not create a context") }
        return context
    }()
}

extension EndpointConfiguration {
    /// True if links are authenticated (a cluster key or a certified identity).
    var isSecured: Bool { key != nil || identity != nil }

    /// Makes `socket` a server of this node's security: the cluster key's or its own key's.
    func configureServer(_ socket: Socket) throws(ZMQError) {
        try key?.configureServer(socket)
        try identity?.configureServer(socket)
    }
}
