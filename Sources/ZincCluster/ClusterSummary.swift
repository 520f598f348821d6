import Foundation
/// The outcome of `zinc cluster` (its JSON keys are what scripts read).
package struct ClusterSummary: Codable, Sendable {
    package var converged = false
    package var nodes = 0
    package var liveNodes = 0
    package var fanout = 0
    package var depth: UInt32 = 0
    package var edits = 0
    package var acknowledgedEdits = 0
    package var failedEdits = 0
    /// Seconds from start until every node was attached to the tree.
    package var formationSeconds: Double?
    package var killedHost: String?
    /// Seconds from the SIGKILL until a successor was root under a new term.
    package var promotionSeconds: Double?
    package var newRoot: String?
    /// Seconds from the SIGKILL until every surviving node was attached to the healed tree.
    package var healSeconds: Double?
    package var term: UInt64 = 0
    /// Seconds from the SIGKILL until every host was back within its fan-out.
    package var balancedSeconds: Double?
    /// At the end: every host within its fan-out, the most children any host had, and the
    /// children moved down to rebalance.
    package var balanced = false
    package var maxChildren = 0
    package var rebalances: UInt64 = 0
    /// Seconds from the last edit until every live node held the same document.
    package var convergeSeconds: Double?
    /// Operations acknowledged by surviving nodes that are missing from the converged document.
    package var lostOperations: UInt64 = 0
    package var survivingOperations: UInt64 = 0
    /// Operations the killed host made, and how many of them reached the tree before it died.
    package var killedHostOperations: UInt64 = 0
    package var killedHostOperationsKept: UInt64 = 0
    package var restartedAsClient: Bool?
    package var promotions: UInt64 = 0
    package var merges: UInt64 = 0
    package var sha256: String?
    package var length = 0
    package var elapsedSeconds = 0.0
    package var error: String?

    package var text: String {
        var lines = ["", "summary"]
        func row(_ label: String, _ value: String) { lines.append("  " + label.padding(toLength: 18, withPad: " ", startingAt: 0) + value) }
        row("nodes", "\(nodes) started, \(liveNodes) live at the end (fan-out \(fanout), depth \(depth))")
        if let formationSeconds { row("tree formed", "in \(format(formationSeconds)) s") }
        row("edits", "\(edits) requested, \(acknowledgedEdits) applied, \(failedEdits) failed (a node was down)")
        if let killedHost {
            let promotion = promotionSeconds.map { "\(newRoot ?? "?") promoted after \(format($0)) s (term \(term))" } ?? "no promotion seen"
            row("host killed", "\(killedHost) (SIGKILL); \(promotion)")
            if let healSeconds { row("tree healed", "\(format(healSeconds)) s after the kill (every survivor attached under the new root)") }
            row("killed host", "\(killedHostOperationsKept) of \(killedHostOperations) operations it made reached the tree before it died")
            if let restartedAsClient { row("restarted", restartedAsClient ? "\(killedHost) rejoined as a client, did not take over" : "\(killedHost) did not rejoin") }
        }
        if converged {
            row("converged", "yes" + (convergeSeconds.map { ", \(format($0)) s after the last edit" } ?? "") + "; \(liveNodes) nodes hold \(length) characters, sha256 \(sha256?.prefix(16) ?? "?")…")
        } else {
            row("converged", "NO")
        }
        row("balance", balanced
            ? "every host within fan-out \(fanout); \(rebalances) child\(rebalances == 1 ? "" : "ren") moved down" + (balancedSeconds.map { ", \(format($0)) s after the kill" } ?? "")
            : "NO: a host has \(maxChildren) children, over the fan-out of \(fanout)")
        row("lost edits", "\(lostOperations) of \(survivingOperations) operations made at surviving nodes")
        row("failovers", "\(promotions) promotion\(promotions == 1 ? "" : "s"), \(merges) merge\(merges == 1 ? "" : "s")")
        row("elapsed", "\(format(elapsedSeconds)) s")
        if let error { row("error", error) }
        return lines.joined(separator: "\n")
    }

    private func format(_ seconds: Double) -> String { String(format: "%.2f", seconds) }
}
