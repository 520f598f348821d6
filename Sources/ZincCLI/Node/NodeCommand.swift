import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals
import ZeroMQ
import Zinc
import ZincCore
import ZincProtocol

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run one node until SIGINT or SIGTERM, then leave the tree cleanly.",
        discussion: """
        A node with --bind can host a subtree (PUB on the port, PULL on the next one); with
        --join it attaches to an existing tree (several --join addresses are tried in turn;
        a full host redirects it further down). A node replicates every document in its tree.

        Examples:
          zinc node --bind tcp://127.0.0.1:7000 --admin tcp://127.0.0.1:7900 --id root
          zinc node --bind tcp://127.0.0.1:7002 --join tcp://127.0.0.1:7000 --admin tcp://127.0.0.1:7901
          zinc node --join tcp://127.0.0.1:7000 --fanout 4 --log-level debug
          zinc node --bind tcp://0.0.0.0:7000 --discover notes     (no --join: finds the tree of "notes")
          zinc node --bind tcp://127.0.0.1:7000 --cert root.cert --trust ca/authority.pub
        """
    )

    @Option(help: "Listen for children here: tcp://HOST:PORT (PUB on PORT, PULL on PORT+1), ipc://PATH, or tcp://HOST:* for any ports.")
    var bind: String?

    @Option(help: "The PUB address of a node to join (repeat for fallbacks).")
    var join: [String] = []

    @Option(help: "Find the tree of this cluster name by UDP broadcast on this machine and its LAN segments (with or without --join).")
    var discover: String?

    @Option(help: "The UDP port discovery announces on and listens to (the same for the whole cluster).")
    var discoverPort: UInt16 = Discovery.defaultPort

    @Option(help: "The node's name (or UUID); a stable ID is derived from a name.")
    var id: String?

    @Option(help: "Children accepted before joiners are redirected to the least-loaded child.")
    var fanout = 8

    @Option(help: "Serve the JSON admin interface here (loopback TCP or ipc), for zinc status/doc/edit.")
    var admin: String?

    @Option(help: "Persist documents in this directory (SQLite, WAL); a restarted node reloads them and pushes what the tree lacks.")
    var dataDir: String?

    @Option(help: "With --data-dir: full (fsync before an edit is sent or acknowledged), normal (survives process crashes) or off.")
    var durability: Durability = .full

    @Option(help: "A cluster key file from `zinc keygen`: every socket then uses CURVE.")
    var key: String?

    @Option(help: "This node's certificate from `zinc cert issue` (instead of --key): per-node CURVE keys, a role and document permissions.")
    var cert: String?

    @Option(help: "An authority's public key file (authority.pub), or a directory of *.pub files, whose certificates this node accepts; repeat to trust two during a rotation.")
    var trust: [String] = []

    @Option(help: "A revocation list (`zinc cert revoke`): certificates no longer accepted. Re-read, with the --trust files, on SIGHUP.")
    var revocations: String?

    @Option(help: "When documents drop history every neighbour holds: automatic (when it outgrows the document), manual (zinc trim) or never.")
    var historyTrimming: HistoryTrimming = .automatic

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Log format: text (for people) or json (one object per line, for log shippers).")
    var logFormat: LogFormat = .text

    @Option(help: "Serve Prometheus metrics at http://HOST:PORT/metrics (port 0: any free port).")
    var metrics: String?

    @Option(help: "The host to advertise to joiners instead of the bound one (for 0.0.0.0 binds).")
    var advertise: String?

    @Option(help: "How readily a silent neighbour is declared dead: lan (about 0.3–0.5 s) or wan (tolerates a second of extra silence; for WANs and pausing VMs).")
    var failureDetection: FailureDetection = .lan

    @Option(help: "Accept browsers over WebSocket at ws://HOST:PORT/zinc, and serve the web editor at http://HOST:PORT/ (port 0: any free port).")
    var websocket: String?

    @Flag(help: "Let --websocket listen on an address other than loopback (browsers are not authenticated: anyone who reaches it can read and edit).")
    var websocketPublic = false

    @Flag(inversion: .prefixedNo, help: "Send what leaves a socket in one turn of the I/O loop as packed frames, one per run of a topic, to peers that accept them (docs/protocol.md §4).")
    var batch = true

    @Option(help: .hidden) var parentPid: Int32?

    func validate() throws {
        guard fanout >= 1 && fanout <= 1024 else { throw ValidationError("--fanout must be between 1 and 1024") }
        if bind == nil && join.isEmpty && discover == nil {
            throw ValidationError("give --bind (to start a tree), --join or --discover (to join one), or both")
        }
        if cert != nil && key != nil { throw ValidationError("give --key (a shared cluster key) or --cert (this node's certificate), not both") }
        if cert != nil && trust.isEmpty { throw ValidationError("--cert needs at least one --trust authority.pub") }
        if cert == nil && (!trust.isEmpty || revocations != nil) { throw ValidationError("--trust and --revocations go with --cert") }
        if let discover, !Discovery.isValidName(discover) { throw ValidationError("--discover: a cluster name is 1–64 bytes without NUL") }
        if let websocket {
            let gateway = try Self.gateway(websocket, isPublic: websocketPublic)
            if !gateway.isPublic && !gateway.isLoopback {
                throw ValidationError("--websocket \(websocket): not a loopback address; add --websocket-public to serve browsers beyond this machine")
            }
        } else if websocketPublic {
            throw ValidationError("--websocket-public needs --websocket HOST:PORT")
        }
    }

    /// `HOST:PORT` (`[::1]:PORT` for IPv6) as a gateway configuration.
    static func gateway(_ text: String, isPublic: Bool) throws -> WebSocketGateway {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--websocket takes HOST:PORT, such as 127.0.0.1:8080")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("--websocket takes HOST:PORT, such as 127.0.0.1:8080") }
        return WebSocketGateway(host: host, port: port, isPublic: isPublic)
    }

    func run() async throws {
        LoggingSetup.bootstrap(level: logLevel, format: logFormat)
        var logger = Logger(label: "zinc")
        logger[metadataKey: "node"] = "\(id ?? "zinc")"
        var configuration = EndpointConfiguration(id: NodeNaming.replicaID(for: id))
        configuration.name = id
        configuration.bind = bind
        configuration.join = join
        configuration.discover = discover.map { Discovery(cluster: $0, port: discoverPort) }
        configuration.fanout = fanout
        configuration.admin = admin
        configuration.advertiseHost = advertise
        configuration.interest = .all
        configuration.logger = logger
        configuration.dataDirectory = dataDir
        configuration.batchesMessages = batch
        configuration.durability = durability
        configuration.historyTrimming = historyTrimming
        configuration.failureDetection = failureDetection
        configuration.webSocket = try websocket.map { try Self.gateway($0, isPublic: websocketPublic) }
        if let key {
            do {
                configuration.key = try ClusterKey(contentsOf: key)
            } catch {
                throw CLIError("\(error)")
            }
        }
        if let cert {
            do {
                configuration.identity = try NodeIdentity(certificate: cert, trusting: trust, revocationList: revocations)
            } catch {
                throw CLIError("\(error)")
            }
        }

        // Before the endpoint exists, so its metrics go to the Prometheus registry.
        var metricsServer: MetricsServer?
        if let metrics {
            let registry = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: registry)
            // Deltas apply in microseconds, timer passes in well under a millisecond: the default
            // buckets (5 ms to 10 s) would put every sample in the first.
            let fine: [Duration] = [.microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
                                    .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100)]
            factory.durationHistogramBuckets = ["zinc_delta_apply_seconds": fine, "zinc_tick_seconds": fine]
            MetricsSystem.bootstrap(factory)
            do {
                metricsServer = try MetricsServer(hostPort: metrics, registry: registry, context: Context())
            } catch {
                throw CLIError("cannot serve metrics on \(metrics): \(error)")
            }
        }
        defer { metricsServer?.stop() }

        let endpoint: Endpoint
        do {
            endpoint = try Endpoint(configuration)
        } catch {
            throw CLIError("\(error)")
        }
        var line = "zinc node \(id ?? endpoint.id.shortDescription) (\(endpoint.id))"
        if let endpoints = endpoint.addresses { line += " hosting on \(endpoints.publish) (PUB) and \(endpoints.pull) (PULL)" }
        if !join.isEmpty { line += ", joining \(join.joined(separator: ", "))" }
        if let discover { line += ", discovering cluster \"\(discover)\" on UDP port \(discoverPort)" }
        if let admin { line += ", admin on \(admin)" }
        if let identity = configuration.identity { line += ", certified as \(identity.name) (\(identity.role == .member ? "member" : "reader"))" }
        if let dataDir { line += ", documents in \(dataDir) (\(endpoint.configuration.documents.count) loaded)" }
        if let metricsServer { line += ", metrics on http://\(metricsServer.address)/metrics" }
        if let webSocket = endpoint.webSocket { line += ", browsers on \(webSocket) (editor at \(webSocket.replacingOccurrences(of: "ws://", with: "http://").replacingOccurrences(of: WebSocketGateway.path, with: "/")))" }
        print(line)
        fflush(nil)

        let service = NodeService(endpoint: endpoint, logger: logger, watchedParent: parentPid, reloadsTrust: cert != nil)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "zinc.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await group.run()
    }
}
