import Foundation
import Zinc

/// The demo's screen: the tree with each worker's share of the work, the totals, the events.
enum DemoScreen {
    struct Row {
        var name: String
        var status: EndpointStatus?
        var fate: String
        var done: Int
        var executions: Int
    }

    static func render(
        title: String, rows: [Row], names: [String: String], summary: DemoSummary,
        outstanding: Int, rate: Double, events: ArraySlice<String>
    ) -> [String] {
        var lines = [title, ""]
        lines.append(pad("node", 8) + pad("role", 8) + pad("parent", 11) + pad("depth", 6) + pad("done", 7) + pad("runs", 7) + "share")
        let total = max(1, rows.reduce(0) { $0 + $1.done })
        let widest = max(1, rows.map(\.done).max() ?? 1)
        for row in rows {
            let role = row.fate == "running" ? (row.status?.role.rawValue ?? "…") : row.fate
            let parent = row.status?.parent.map { names[$0.description] ?? $0.shortDescription } ?? (row.fate == "running" ? "…" : "")
            let depth = row.status.map { "\($0.depth)" } ?? ""
            let bar = String(repeating: "█", count: row.done * 30 / widest)
            let share = String(format: "%4.1f%%", 100 * Double(row.done) / Double(total))
            lines.append(pad(row.name, 8) + pad(role, 8) + pad(parent, 11) + pad(depth, 6) + pad("\(row.done)", 7) + pad("\(row.executions)", 7) + share + " " + bar)
        }
        lines.append("")
        lines.append(String(format: "submitted %d   done %d   in flight %d   %.0f jobs/s   re-sent %d   ran twice %d",
                            summary.submitted, summary.completed, outstanding, rate, summary.resubmitted, summary.duplicateExecutions))
        lines.append("")
        lines += events
        return lines
    }

    static func printSummary(_ summary: DemoSummary) {
        print("")
        print("summary")
        print("  jobs submitted      \(summary.submitted)")
        print("  jobs done           \(summary.completed)  (\(String(format: "%.0f", summary.jobsPerSecond)) jobs/s)")
        print("  lost                \(summary.lost)")
        print("  re-sent             \(summary.resubmitted)  (claimant died, or unclaimed in time)")
        print("  ran twice           \(summary.duplicateExecutions)  (idempotent: the ledger keeps one result per job)")
        if let evenness = summary.evenness {
            print("  evenness            \(String(format: "%.2f", evenness))  (slowest ÷ fastest rate among workers present throughout)")
        }
        if !summary.killed.isEmpty { print("  killed              \(summary.killed.joined(separator: ", "))") }
        if !summary.left.isEmpty { print("  left cleanly        \(summary.left.joined(separator: ", "))") }
        if !summary.joinedLater.isEmpty { print("  joined later        \(summary.joinedLater.joined(separator: ", "))") }
        for worker in summary.workers {
            print("    \(pad(worker.name, 6)) \(pad("\(worker.done) jobs", 11)) \(String(format: "%5.1f", worker.jobsPerSecond)) jobs/s over \(String(format: "%4.1f", worker.aliveSeconds)) s  \(worker.fate)")
        }
        if let error = summary.error { print("  error: \(error)") }
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
