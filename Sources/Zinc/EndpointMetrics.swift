import Metrics

/// Reports an endpoint's counters and gauges through swift-metrics, once a second from the I/O
/// thread (so the hot path only bumps plain integers), and the time each delta took to apply.
/// With no metrics backend bootstrapped this costs nothing; with one (Prometheus: `zinc node
/// --metrics`, or an app's own bootstrap) every node is scraped under `zinc_*` names with a
/// `node` dimension: each status counter as `zinc_<name>_total` (snake case), gauges for role,
/// children, depth, term, documents, pending operations and queued messages, and the histogram
/// `zinc_delta_apply_seconds`.
struct EndpointMetrics {
    /// What the I/O thread reports once a second.
    struct Snapshot {
        var counters: EndpointStatus.Counters
        var role: EndpointStatus.Role
        var children: Int
        var depth: UInt32
        var term: UInt64
        var documents: Int
        var pendingOperations: Int
        var queuedMessages: Int
    }

    private let dimensions: [(String, String)]
    private var counters: [EndpointStatus.Counters.Name: Counter] = [:]
    private var reported: [EndpointStatus.Counters.Name: UInt64] = [:]
    private let roles: [EndpointStatus.Role: Gauge]
    private let children: Gauge
    private let depth: Gauge
    private let term: Gauge
    private let documents: Gauge
    private let pendingOperations: Gauge
    private let queuedMessages: Gauge
    private let loopTimer: Metrics.Timer
    private let deltaApply: Metrics.Timer

    init(node: String) {
        let dimensions = [("node", node)]
        self.dimensions = dimensions
        var roles: [EndpointStatus.Role: Gauge] = [:]
        for role in [EndpointStatus.Role.root, .host, .client, .joining] {
            roles[role] = Gauge(label: "zinc_role", dimensions: dimensions + [("role", role.rawValue)])
        }
        self.roles = roles
        children = Gauge(label: "zinc_children", dimensions: dimensions)
        depth = Gauge(label: "zinc_depth", dimensions: dimensions)
        term = Gauge(label: "zinc_term", dimensions: dimensions)
        documents = Gauge(label: "zinc_documents", dimensions: dimensions)
        pendingOperations = Gauge(label: "zinc_pending_operations", dimensions: dimensions)
        queuedMessages = Gauge(label: "zinc_queued_messages", dimensions: dimensions)
        // Every status counter exists from the start, so a scrape shows the zeros too.
        for name in EndpointStatus.Counters.Name.allCases {
            counters[name] = Counter(label: Self.counterLabel(name), dimensions: dimensions)
        }
        loopTimer = Metrics.Timer(label: "zinc_tick_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        deltaApply = Metrics.Timer(label: "zinc_delta_apply_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
    }

    /// The Prometheus name of a status counter: `zinc_<snake case>_total`.
    static func counterLabel(_ name: EndpointStatus.Counters.Name) -> String {
        var snake = ""
        for character in name.rawValue {
            if character.isUppercase {
                snake += "_" + character.lowercased()
            } else {
                snake.append(character)
            }
        }
        return "zinc_\(snake)_total"
    }

    /// Adds what each counter gained since the last report and sets the gauges.
    mutating func report(_ snapshot: Snapshot) {
        for name in EndpointStatus.Counters.Name.allCases {
            let value = snapshot.counters[name]
            let gained = value &- (reported[name] ?? 0)
            guard gained > 0, gained < UInt64(Int64.max) else { continue }
            counters[name]?.increment(by: Int64(gained))
            reported[name] = value
        }
        for (role, gauge) in roles { gauge.record(role == snapshot.role ? 1 : 0) }
        children.record(snapshot.children)
        depth.record(Int(snapshot.depth))
        term.record(Double(snapshot.term))
        documents.record(snapshot.documents)
        pendingOperations.record(snapshot.pendingOperations)
        queuedMessages.record(snapshot.queuedMessages)
    }

    /// How long one timer pass took.
    func recordTick(_ duration: Duration) {
        loopTimer.recordNanoseconds(Self.nanoseconds(duration))
    }

    /// How long one delta took to decode, apply and relay.
    func recordDeltaApply(_ duration: Duration) {
        deltaApply.recordNanoseconds(Self.nanoseconds(duration))
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
