/// A deterministic rendering of everything a document shows, for comparing replicas and for
/// content digests: equal renderings mean equal visible state.
extension Document {
    /// Every container's visible state, one line per container, sorted by container ID.
    package func canonicalContent() -> String {
        var lines: [String] = []
        for (index, id) in containers.ids.enumerated() {
            let slot = Int(containers.slots[index])
            let body: String
            switch id.type {
            case .text:
                guard sequences[slot].visibleCount > 0 else { continue }
                body = Value.quote(Self.string(fromScalars: sequences[slot].elements()))
            case .list:
                guard sequences[slot].visibleCount > 0 else { continue }
                body = "[" + listElements(sequences[slot].elements(), slot: slot).map(\.canonical).joined(separator: ",") + "]"
            case .map:
                let entries = maps[slot].entries.filter { $0.value.value != .deleted }.sorted { $0.key < $1.key }
                guard !entries.isEmpty else { continue }
                body = "{" + entries.map { Value.quote($0.key) + ":" + $0.value.value.canonical }.joined(separator: ",") + "}"
            case .register:
                guard let winner = registers[slot].winner else { continue }
                body = winner.value.json
            case .multiValueRegister:
                guard !registers[slot].values.isEmpty else { continue }
                body = "<" + registers[slot].values.map(\.value.json).joined(separator: "|") + ">"
            case .counter:
                guard counters[slot].value != 0 else { continue }
                body = String(counters[slot].value)
            case .set:
                let elements = sets[slot].tags.filter { !$0.value.isEmpty }.map(\.key.json).sorted()
                guard !elements.isEmpty else { continue }
                body = "#{" + elements.joined(separator: ",") + "}"
            }
            lines.append("\(id) = \(body)")
        }
        return lines.sorted().joined(separator: "\n")
    }
}

extension ListElement {
    var canonical: String {
        switch self {
        case .value(let value): value.json
        case .container(let type): "<\(type)>"
        }
    }
}

extension MapValue {
    var canonical: String {
        switch self {
        case .value(let value): value.json
        case .container(let type): "<\(type)>"
        case .deleted: "<deleted>"
        }
    }
}
