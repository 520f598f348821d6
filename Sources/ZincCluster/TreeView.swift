import Foundation
import Zinc

/// Draws the tree the nodes report, one line per node, with box-drawing edges.
enum TreeView {
    struct Entry {
        var name: String
        var status: EndpointStatus?
        var killed: Bool
        var note: String?
    }

    static func render(_ entries: [Entry], document: String, referenceDigest: String?) -> [String] {
        let byID = Dictionary(entries.compactMap { entry in entry.status.map { ($0.id.description, entry) } }, uniquingKeysWith: { first, _ in first })
        var lines: [String] = []
        var drawn = Set<String>()

        func line(_ entry: Entry) -> String {
            guard let status = entry.status else {
                return entry.name.padding(toLength: 5, withPad: " ", startingAt: 0) + (entry.killed ? "✝ killed" : "(no answer)") + (entry.note.map { "  \($0)" } ?? "")
            }
            let doc = status.documents.first { $0.id == document }
            let ops = doc.map { "ops \($0.operations)".padding(toLength: 10, withPad: " ", startingAt: 0) } ?? "no document"
            let mark = doc.map { $0.sha256 == referenceDigest ? "✓" : "…" } ?? " "
            let role = status.role.rawValue.count >= 6 ? status.role.rawValue : status.role.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
            var text = "\(entry.name.padding(toLength: 5, withPad: " ", startingAt: 0))\(role) term \(status.term)  \(ops) \(mark)"
            if let doc { text += " \(doc.sha256.prefix(8))" }
            if !status.link.isJoined, status.role != .root { text += "  [\(status.link)]" }
            if let note = entry.note { text += "  \(note)" }
            return text
        }

        func draw(_ id: String, prefix: String, isLast: Bool, depth: Int) {
            guard let entry = byID[id], !drawn.contains(id), depth < 64 else { return }
            drawn.insert(id)
            let branch = depth == 0 ? "" : (isLast ? "└─ " : "├─ ")
            lines.append(prefix + branch + line(entry))
            let children = (entry.status?.children ?? []).map(\.description).filter { byID[$0] != nil }
            let childPrefix = depth == 0 ? "" : prefix + (isLast ? "   " : "│  ")
            for (index, child) in children.enumerated() {
                draw(child, prefix: childPrefix, isLast: index == children.count - 1, depth: depth + 1)
            }
        }

        // Tops of trees: roots first, then nodes still looking for a parent with a subtree.
        let tops = entries.compactMap(\.status).filter { $0.parent == nil && ($0.role == .root || !$0.children.isEmpty) }
        for status in tops.filter({ $0.role == .root }) + tops.filter({ $0.role != .root }) {
            draw(status.id.description, prefix: "", isLast: true, depth: 0)
        }
        let rest = entries.filter { entry in entry.status.map { !drawn.contains($0.id.description) } ?? true }
        if !rest.isEmpty && !lines.isEmpty { lines.append("") }
        for entry in rest { lines.append(line(entry) + (entry.status != nil ? "  (not attached)" : "")) }
        return lines
    }
}
