import ZincProtocol

/// How readily a node declares a silent neighbour dead (docs/deployment.md, "Failure detection
/// on a LAN and a WAN"). Every link runs a φ-accrual detector over heartbeats every 100 ms; a
/// wrong suspicion costs a failover and a re-join, never data.
public enum FailureDetection: String, Sendable, Hashable, CaseIterable {
    /// One machine or a LAN: a crashed parent is detected in about 0.3–0.5 s; pauses up to
    /// ~250 ms are ridden out.
    case lan
    /// A WAN, virtual machines, or neighbours that pause for long: about a second of extra
    /// silence is tolerated before a peer is suspected, so detection takes a few seconds.
    case wan

    package var settings: FailureDetector.Settings {
        switch self {
        case .lan: FailureDetector.Settings()
        case .wan: FailureDetector.Settings.wan
        }
    }
}
