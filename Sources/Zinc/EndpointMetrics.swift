import Metrics

/// Reports an endpoint's counters and gauges through swift-metrics, once a second from the I/O
/// thread (so the hot path only bumps plain integers). With no metrics backend bootstrapped
/// this costs nothing; with one (Prometheus, StatsD, OTel) every node's health is scraped
/// under the labels `zinc_<counter>` with a `node` dimension.
struct EndpointMetrics {
    private let dimensions: [(String, String)]
    private var counters: [String: Counter] = [:]
    private var reported: [String: UInt64] = [:]
    private let children: Gauge
    private let term: Gauge
    private let documents: Gauge
    private let loopTimer: Metrics.Timer

    init(node: String) {
        dimensions = [("node", node)]
        children = Gauge(label: "zinc_children", dimensions: dimensions)
        term = Gauge(label: "zinc_term", dimensions: dimensions)
        documents = Gauge(label: "zinc_documents", dimensions: dimensions)
        loopTimer = Metrics.Timer(label: "zinc_tick_duration", dimensions: dimensions)
    }

    /// Adds what each counter gained since the last report.
    mutating func report(_ values: EndpointStatus.Counters, children: Int, term: UInt64, documents: Int) {
        for counter in EndpointStatus.Counters.Name.allCases {
            let name = counter.rawValue
            let value = values[counter]
            let gained = value &- (reported[name] ?? 0)
            guard gained > 0, gained < UInt64(Int64.max) else { continue }
            let counter = counters[name] ?? Counter(label: "zinc_\(name)", dimensions: dimensions)
            counters[name] = counter
            counter.increment(by: Int64(gained))
            reported[name] = value
        }
        self.children.record(children)
        self.term.record(Double(term))
        self.documents.record(documents)
    }

    /// How long one timer pass took.
    func recordTick(_ duration: Duration) {
        loopTimer.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}
