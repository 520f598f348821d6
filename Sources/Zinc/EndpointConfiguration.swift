public import Logging
public import ZeroMQ
public import ZincCore
public import ZincProtocol
public import ZincStore

/// How to run one ``Endpoint``.
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
    /// PUB endpoints of nodes to join, tried in turn; empty to start as a root.
    public var join: [String] = []
    /// Where to serve the JSON admin interface (`zinc status`, `zinc doc`, `zinc edit`):
    /// `tcp://127.0.0.1:PORT`, `ipc://PATH` or `inproc://NAME`. Only loopback or ipc unless
    /// ``adminAllowsRemote``.
    public var admin: String?
    /// Allow a non-loopback admin address (anyone who can reach it can read and edit).
    public var adminAllowsRemote = false
    /// The cluster key: with one, every socket uses CURVE and only peers holding the key (or on
    /// its allow-list) are admitted (docs/security.md).
    public var key: ClusterKey?
    /// Children accepted before joiners are sent further down.
    public var fanout = 8
    /// Documents to replicate: `.all` for a pure relay node, or the documents the application
    /// opens (`.documents([])`, the default; opening adds to it).
    public var interest: Interest = .documents([])
    public var heartbeatInterval: Duration = .milliseconds(100)
    public var detector = FailureDetector.Settings()
    public var sync = SyncSettings()
    public var documentLimits = DocumentLimits.default
    /// Messages queued per peer in libzmq before a send would block (see docs/protocol.md,
    /// "Backpressure"): large enough to absorb bursts, small enough to bound memory.
    public var highWaterMark = 20_000
    /// Messages held by Zinc when libzmq's queue is full, before they are dropped and the
    /// peers are left to repair by digest.
    public var backlogLimit = 100_000
    /// The largest frame accepted from a peer (`ZMQ_MAXMSGSIZE`); larger ones disconnect it.
    public var maxMessageSize = 64 << 20
    /// How often the node's timers run.
    public var tickInterval: Duration = .milliseconds(10)
    /// Persist documents in SQLite in this directory (created if needed): they are loaded at
    /// start, and every change is recorded (docs/guarantees.md, "Durability").
    public var dataDirectory: String?
    /// How hard the store works to keep acknowledged edits (``Durability/full``: fsync before
    /// an edit is sent or acknowledged).
    public var durability: Durability = .full
    /// Documents to start with, by ID (in addition to those loaded from ``dataDirectory``).
    public var documents: [String: Document] = [:]
    /// The replica ID new documents are edited as; nil picks a fresh one unless `documents`
    /// carries one (never reuse an ID with an empty history).
    public var documentReplica: ReplicaID?
    /// The libzmq context; endpoints that talk over `inproc://` must share one.
    public var context: Context?
    public var logger = Logger(label: "zinc")

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
