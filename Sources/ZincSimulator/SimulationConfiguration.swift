import ZincCore

/// What can go wrong in a simulated network, and how often.
package struct FaultMix: Sendable, Hashable {
    /// Probability that one delivery is lost.
    package var drop = 0.03
    /// Probability that one control-plane exchange fails: a connection attempt is refused, a
    /// SUB connection resets before its welcome beacon or a subscription gets through (libzmq
    /// reconnects, re-sending its subscriptions, and the publisher sends a new welcome), a
    /// disconnect notice is never seen, a probe's beacon is lost.
    package var controlLoss = 0.03
    /// Probability that one delivery arrives twice.
    package var duplicate = 0.02
    /// One-way latency range.
    package var minimumLatency: Duration = .milliseconds(1)
    package var maximumLatency: Duration = .milliseconds(12)
    /// Probability that a delivery is held back up to ``reorderDelay`` (overtaken by later ones).
    package var reorder = 0.05
    package var reorderDelay: Duration = .milliseconds(60)
    /// Node crashes during the fault phase (expected count).
    package var crashes = 2.0
    /// Probability that a crashed node restarts later in the fault phase.
    package var restart = 0.6
    /// Probability that a restart keeps the node's documents (a data directory).
    package var persistence = 0.7
    /// Network partitions during the fault phase (expected count).
    package var partitions = 1.0
    package var partitionDuration: ClosedRange<Double> = 1.0...5.0
    /// One-way cuts during the fault phase (expected count): packets from one group of nodes to
    /// another are dropped, the other way they pass, and nodes in neither group reach both. A
    /// connection between the two groups dies both ways (TCP needs its acknowledgements back);
    /// datagrams (discovery) still cross the other way.
    package var oneWayCuts = 0.0
    package var oneWayCutDuration: ClosedRange<Double> = 2.0...10.0

    package init() {}

    /// No faults at all.
    package static let none: FaultMix = {
        var mix = FaultMix()
        mix.drop = 0
        mix.controlLoss = 0
        mix.duplicate = 0
        mix.reorder = 0
        mix.crashes = 0
        mix.partitions = 0
        return mix
    }()

    /// The default mix: drops, duplicates, reordering, crashes with restarts, partitions.
    package static let standard = FaultMix()
}

/// One simulation run.
package struct SimulationConfiguration: Sendable, Hashable {
    package var seed: UInt64
    package var nodes = 8
    package var fanout = 3
    /// How many nodes (the last ones, never node 0) start without endpoints: clients that
    /// cannot host a subtree.
    package var clients = 0
    /// How many browsers join through WebSocket gateways (docs/protocol.md §23), beyond
    /// ``nodes``: leaves that know two hosting nodes as their gateways, speak to their parent
    /// over the gateway channel, and leave a host when their connection closes (at once when the
    /// host can see it, or when its pings go unanswered for ``gatewayTimeout``: the gateway pings
    /// every second and closes a connection silent for 3 s; a browser answers pings even when
    /// its tab's timers are throttled).
    package var browsers = 0
    package var gatewayTimeout: Duration = .seconds(3)
    /// Every node is given node 0 as its only seed (as when each is started with one `--join`),
    /// instead of every other node. Crashed nodes keep their data (and so the peers they
    /// remember): one lost with its data while node 0 is dead could never find the tree.
    package var singleSeed = false
    /// Nodes get no seeds at all: they find each other by UDP discovery (docs/protocol.md,
    /// "Discovery"), one broadcast segment that partitions cut like any link.
    package var discovery = false
    package var documents = 2
    /// Virtual time with faults and edits.
    package var duration: Duration = .seconds(12)
    /// Quiet virtual time afterwards (partitions healed, no new crashes) to converge.
    package var settle: Duration = .seconds(12)
    /// Edits per virtual second across the tree.
    package var editRate = 15.0
    package var faults = FaultMix.standard
    /// The shortest time between two runs of a node's timers (they run at the machine's next
    /// deadline, as in the runtime, but no sooner).
    package var tick: Duration = .milliseconds(25)
    /// Run every node's timers at the fixed cadence instead, and fail the run if a tick before
    /// the deadline the machine gave after its last input does anything: checks that an idle
    /// node may sleep until ``NodeMachine/nextDeadline(now:)``.
    package var auditDeadlines = false
    /// When set, the last node starts only at this time (a late joiner).
    package var lateJoinerAt: Duration?
    /// Every node trims its documents' history as often as it can (every half second, as far
    /// as every member of its tree holds, keeping nothing): replicas that come back from below
    /// the floor, and trees that merge after a partition, must catch up from states.
    package var trimming = false
    /// Certified links (docs/protocol.md §24): every node holds a certificate from one
    /// authority and applies the access rules; the last `readers` clients (never more than
    /// ``clients``) are readers covering the first document only. Zero: no certificates.
    package var readers = 0
    /// Certificates without readers (every node a member of every document).
    package var certified = false
    /// Batching with negotiation (docs/protocol.md §4): most nodes batch, packing what one of
    /// their steps sends on a socket wherever the peers accept packed frames. Every eighth node
    /// (from n2) plays a node of a version before 0.2.0 (``BatchingRole/legacy``), and every
    /// eighth (from n4) one started with batching off, so every kind of node meets the others
    /// as in a cluster being upgraded.
    package var batching = false

    /// What a node does with packed frames in a ``batching`` run.
    package enum BatchingRole: Sendable, Hashable {
        /// Sends packed frames where its peers accept them (the default of this version).
        case batches
        /// Accepts packed frames and says so, but sends three frames (`--no-batch`).
        case plain
        /// A node of a version before 0.2.0: its joins and heartbeats say nothing of packed
        /// frames, and it drops every packed frame it receives as malformed.
        case legacy
    }

    /// Node `index`'s part in a ``batching`` run; nil when the run does not batch, or for a
    /// browser (its gateway sends it each message on its own).
    package func batchingRole(of index: Int) -> BatchingRole? {
        guard batching, index < nodes else { return nil }
        switch index % 8 {
        case 2: return .legacy
        case 4: return .plain
        default: return .batches
        }
    }

    package init(seed: UInt64) {
        self.seed = seed
    }
}

/// What a run found.
package struct SimulationResult: Sendable, Hashable {
    package var seed: UInt64
    /// Empty when every check passed.
    package var failures: [String] = []
    package var events = 0
    package var deliveries = 0
    package var dropped = 0
    /// Control-plane losses: refused connections, SUB connections reset (and re-made), lost
    /// disconnect notices and probe beacons, and control messages cut off by a partition.
    package var controlFaults = 0
    package var crashes = 0
    package var restarts = 0
    package var partitions = 0
    package var promotions = 0
    package var merges = 0
    package var rebalances = 0
    package var edits = 0
    /// Edits whose author died before anyone received them (allowed: nothing survived).
    package var editsLostWithAuthor = 0
    package var liveNodes = 0
    package var roots = 0
    /// Times the live nodes trimmed a document's history, and took in a state because the
    /// history they needed was trimmed.
    package var trims = 0
    package var statesMerged = 0
    /// One-way cuts that lasted 6 s or more and ended with no partition under way, and those of
    /// them whose live nodes stood as one tree (routed around the cut) just before it healed.
    package var oneWayCutsEnded = 0
    package var oneWayCutsWhole = 0
    /// Certified runs: messages and subscriptions the access rules refused.
    package var accessRefused = 0
    package var subscriptionsRefused = 0
    /// Certified runs: replica claims the live nodes refused (held by another child: a subtree
    /// that moved, claimed on its new route before its old one let go).
    package var claimsRefused = 0
    /// Batching runs: packed frames the legacy nodes dropped (sent to them before their host
    /// learned what they accept, or after it stopped counting them as children).
    package var packedDroppedByLegacy = 0
    /// Reader documents holding operations no member holds (their author died first; readers'
    /// operations are never taken, not even relayed ones).
    package var keptOnlyByReaders = 0

    package var passed: Bool { failures.isEmpty }

    package var summary: String {
        "seed \(seed): \(passed ? "ok" : "FAILED") — \(liveNodes) live nodes, \(edits) edits (\(editsLostWithAuthor) lost with their author), \(crashes) crashes, \(restarts) restarts, \(partitions) partitions, \(promotions) promotions, \(merges) merges, \(rebalances) rebalances, \(deliveries) deliveries (\(dropped) dropped), \(controlFaults) control-plane faults"
            + (trims > 0 ? ", \(trims) trims, \(statesMerged) states merged" : "")
            + (oneWayCutsEnded > 0 ? ", one tree at the end of \(oneWayCutsWhole) of \(oneWayCutsEnded) one-way cuts" : "")
            + (packedDroppedByLegacy > 0 ? ", \(packedDroppedByLegacy) packed frames dropped by legacy nodes" : "")
            + (accessRefused + subscriptionsRefused > 0 ? ", \(accessRefused) messages and \(subscriptionsRefused) subscriptions refused by the access rules" : "")
            + (claimsRefused > 0 ? ", \(claimsRefused) replica claims refused" : "")
            + (passed ? "" : "\n  " + failures.joined(separator: "\n  "))
    }
}
