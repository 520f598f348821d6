import ZincProtocol

/// When a document drops history below the version every member of the tree holds.
/// Trimmed history cannot be rebuilt by time travel (``Document/at(_:)``) at that node, and a
/// replica that comes back from below it gets the document's state instead of its operations;
/// nothing the tree holds is ever lost (docs/guarantees.md, "Trimming history").
public enum HistoryTrimming: String, Sendable, Hashable, CaseIterable {
    /// Never: every version stays reachable; the history and the store grow with every edit.
    case never
    /// Only when asked (`zinc trim`).
    case manual
    /// When the history holds more than 4 times as many operations as the document has
    /// visible items and entries (and at least 100,000), keeping the last 10,000 Lamport ticks
    /// (about the last 10,000 operations) for time travel. The default: a document edited for a
    /// long time, or rewritten in place, keeps a bounded history and store.
    case automatic

    var policy: TrimPolicy {
        switch self {
        case .never: .never
        case .manual: .manual
        case .automatic: .automatic()
        }
    }
}
