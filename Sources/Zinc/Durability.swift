import ZincStore

/// How hard an endpoint with a data directory works to keep what it acknowledged
/// (docs/guarantees.md, "Durability").
public enum Durability: String, Sendable, Hashable, CaseIterable {
    /// Every local edit is on disk (fsync) before it is sent or acknowledged: it survives
    /// process crashes and power loss. The default.
    case full
    /// Survives a crash of the process; a power loss or kernel crash may lose the last
    /// transactions (it never corrupts the store).
    case normal
    /// No fsync: fastest; an operating-system crash may lose recent edits.
    case off

    var store: ZincStore.Durability {
        switch self {
        case .full: .full
        case .normal: .normal
        case .off: .off
        }
    }
}
