/// Why a document operation was refused.
public struct DocumentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of refusal.
    public enum Reason: String, Sendable, Hashable {
        /// A position or range is outside the container.
        case outOfRange
        /// An operation does not fit the container's type.
        case typeMismatch
        /// A limit was reached (replicas, counters, document size).
        case limitExceeded
        /// Encoded input could not be decoded.
        case malformed
        /// An operation is impossible as stated (an origin that is not in the container, ...).
        case invalidOperation
        /// The document is read-only: a past version, or a replica that may not write.
        case readOnly
        /// History this replica does not hold (trimmed, or never received) was asked for.
        case historyUnavailable
    }

    /// The kind of refusal.
    public let reason: Reason
    /// What was refused and why, for people.
    public let message: String

    package init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    init(_ decoding: FormatError) {
        self.init(.malformed, decoding.description)
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}
