/// What a cluster run explains on screen at each stage (`zinc-tree`, or `zinc cluster
/// --explain`): the protocol steps the viewer is watching, in plain words.
package enum Stage: String, Sendable {
    case forming, editing, suspecting, promoting, repairing, rejoining, converging, converged

    package var title: String {
        switch self {
        case .forming: "Forming the tree"
        case .editing: "Editing"
        case .suspecting: "The host is gone: suspicion"
        case .promoting: "Promotion"
        case .repairing: "Healing and repair"
        case .rejoining: "The old host comes back"
        case .converging: "Converging"
        case .converged: "Converged"
        }
    }

    package func explanation(fanout: Int) -> [String] {
        switch self {
        case .forming:
            [
                "Every node is told the same address: the first node's. A node joins by",
                "subscribing to its host's PUB socket (deltas come down) and connecting a PUSH to",
                "its PULL socket (deltas go up), then sending JOIN. A host with \(fanout) children",
                "answers REDIRECT with its least-loaded child, so the tree balances itself.",
                "The host then sends a snapshot to the newcomer alone, on its private topic.",
            ]
        case .editing:
            [
                "Edits land at random nodes. Each becomes a delta stamped with its origin and a",
                "Lamport clock; it is pushed up to the root and published down every branch. A",
                "node drops its own echo by origin and duplicates by operation ID. Heartbeats",
                "(every 100 ms) carry version-vector digests: a node that sees it is behind asks",
                "for exactly the operations it lacks.",
            ]
        case .suspecting:
            [
                "The root was killed with SIGKILL: no goodbye. Its children stop hearing",
                "heartbeats. Each child's failure detector (phi accrual over heartbeat gaps)",
                "first suspects the host, then declares it dead. Edits keep being applied",
                "locally meanwhile: nothing waits for the tree.",
            ]
        case .promoting:
            [
                "The children already know their siblings and ranks (the host kept them told),",
                "so they agree without a vote: the highest-ranked live child is promoted, takes",
                "term + 1 and becomes root; its siblings re-join it. Messages from the old term",
                "are rejected from now on, so the dead host can never take over again.",
            ]
        case .repairing:
            [
                "Every survivor is attached again. Nodes exchange version vectors with their",
                "new host: whatever one side holds and the other lacks is sent. An edit that",
                "reached any surviving node is not lost. The successor adopted all its siblings",
                "at once, beyond its fan-out of \(fanout); two seconds after its children settle",
                "it moves the excess down under its least-loaded child, so the tree rebalances.",
            ]
        case .rejoining:
            [
                "The killed host restarts from its store. Its term is stale, so it joins the new",
                "root as a client (a full host redirects it down) and pushes any edit it made",
                "that never left it before it died.",
            ]
        case .converging:
            [
                "Editing stopped. The check: every live node holds the same version vector and",
                "the same content digest (SHA-256), with one root and no orphan.",
            ]
        case .converged:
            [
                "Every live node holds an identical document. The summary below counts the",
                "edits acknowledged, the failover times and any edit lost (the promise is 0).",
            ]
        }
    }
}
