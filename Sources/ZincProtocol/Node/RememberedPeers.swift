/// Peer addresses a node keeps across restarts (in its data directory), and how they extend its
/// seeds (docs/protocol.md §9, "Seeds"). The runtime and the simulator both follow these rules.
package enum RememberedPeers {
    /// The most addresses kept.
    package static let limit = 16

    /// The seeds of a starting node: the configured ones, then the remembered ones not among
    /// them (never its own address). A node configured without seeds is a root by intent and
    /// gets none.
    package static func seeds(configured: [String], remembered: [String], own: String?) -> [String] {
        guard !configured.isEmpty else { return [] }
        var seeds = configured
        for address in remembered where address != own && !seeds.contains(address) { seeds.append(address) }
        return seeds
    }

    /// What to keep: the node's current links (``NodeCore/knownPeers``) first, then what was
    /// remembered before, at most ``limit``.
    package static func merge(current: [String], previous: [String]) -> [String] {
        var peers = current
        for address in previous where !peers.contains(address) { peers.append(address) }
        return Array(peers.prefix(limit))
    }
}
