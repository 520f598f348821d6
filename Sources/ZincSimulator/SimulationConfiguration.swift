import ZincCore

/// What can go wrong in a simulated network, and how often.
public struct FaultMix: Sendable, Hashable {
    /// Probability that one delivery is lost.
    public var drop = 0.03
    /// Probability that one delivery arrives twice.
    public var duplicate = 0.02
    /// One-way latency range.
    public var minimumLatency: Duration = .milliseconds(1)
    public var maximumLatency: Duration = .milliseconds(12)
    /// Probability that a delivery is held back up to ``reorderDelay`` (overtaken by later ones).
    public var reorder = 0.05
    public var reorderDelay: Duration = .milliseconds(60)
    /// Node crashes during the fault phase (expected count).
    public var crashes = 2.0
    /// Probability that a crashed node restarts later in the fault phase.
    public var restart = 0.6
    /// Probability that a restart keeps the node's documents (a data directory).
    public var persistence = 0.7
    /// Network partitions during the fault phase (expected count).
    public var partitions = 1.0
    public var partitionDuration: ClosedRange<Double> = 1.0...5.0

    public init() {}

    /// No faults at all.
    public static let none: FaultMix = {
        var mix = FaultMix()
        mix.drop = 0
        mix.duplicate = 0
        mix.reorder = 0
        mix.crashes = 0
        mix.partitions = 0
        return mix
    }()

    /// The default mix: drops, duplicates, reordering, crashes with restarts, partitions.
    public static let standard = FaultMix()
}

/// One simulation run.
public struct SimulationConfiguration: Sendable, Hashable {
    public var seed: UInt64
    public var nodes = 8
    public var fanout = 3
    /// How many nodes (the last ones, never node 0) start without endpoints: clients that
    /// cannot host a subtree.
    public var clients = 0
    /// Every node is given node 0 as its only seed (as when each is started with one `--join`),
    /// instead of every other node.
    public var singleSeed = false
    public var documents = 2
    /// Virtual time with faults and edits.
    public var duration: Duration = .seconds(12)
    /// Quiet virtual time afterwards (partitions healed, no new crashes) to converge.
    public var settle: Duration = .seconds(12)
    /// Edits per virtual second across the tree.
    public var editRate = 15.0
    public var faults = FaultMix.standard
    /// How often each node's timers run.
    public var tick: Duration = .milliseconds(25)
    /// When set, the last node starts only at this time (a late joiner).
    public var lateJoinerAt: Duration?

    public init(seed: UInt64) {
        self.seed = seed
    }
}

/// What a run found.
public struct SimulationResult: Sendable, Hashable {
    public var seed: UInt64
    /// Empty when every check passed.
    public var failures: [String] = []
    public var events = 0
    public var deliveries = 0
    public var dropped = 0
    public var crashes = 0
    public var restarts = 0
    public var partitions = 0
    public var promotions = 0
    public var merges = 0
    public var rebalances = 0
    public var edits = 0
    /// Edits whose author died before anyone received them (allowed: nothing survived).
    public var editsLostWithAuthor = 0
    public var liveNodes = 0
    public var roots = 0

    public var passed: Bool { failures.isEmpty }

    public var summary: String {
        "seed \(seed): \(passed ? "ok" : "FAILED") — \(liveNodes) live nodes, \(edits) edits (\(editsLostWithAuthor) lost with their author), \(crashes) crashes, \(restarts) restarts, \(partitions) partitions, \(promotions) promotions, \(merges) merges, \(rebalances) rebalances, \(deliveries) deliveries (\(dropped) dropped)"
            + (passed ? "" : "\n  " + failures.joined(separator: "\n  "))
    }
}
