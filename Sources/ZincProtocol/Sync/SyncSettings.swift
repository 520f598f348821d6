/// Tunables of document synchronisation (docs/protocol.md, "Limits and timers").
package struct SyncSettings: Sendable, Hashable {
    /// Replies larger than this go as a chunked, flow-controlled transfer.
    package var inlineReplyLimit = 256 << 10
    /// Bytes per transfer chunk.
    package var chunkSize = 256 << 10
    /// Chunks in flight per transfer before an acknowledgement is needed.
    package var window = 4
    /// Resend unacknowledged chunks after this long.
    package var chunkTimeout: Duration = .seconds(1)
    /// Give a transfer up after this many resends without progress.
    package var maxChunkRetries = 8
    /// An incoming transfer with no new chunk for this long is dropped.
    package var incomingTransferTimeout: Duration = .seconds(15)
    /// At most this many transfers in flight in each direction per document.
    package var maxTransfers = 16
    /// The largest transfer accepted.
    package var maxTransferBytes = 512 << 20
    /// A digest mismatch must persist this long before a repair starts (deltas in flight
    /// cause brief mismatches during active editing).
    package var repairDelay: Duration = .milliseconds(250)
    /// The longest a digest mismatch is taken for deltas in flight while operation totals
    /// grow (docs/protocol.md §11.1): after this a repair starts even during a stream.
    package var inFlightLimit: Duration = .seconds(30)
    /// At most one repair request per peer per this interval.
    package var repairInterval: Duration = .milliseconds(500)
    /// Presence of peers not heard from expires after this long.
    package var presenceTimeout: Duration = .seconds(30)
    /// When a document drops history every member of the tree holds (docs/guarantees.md,
    /// "Trimming history").
    package var trimming = TrimPolicy.automatic()
    /// How often the automatic policy looks.
    package var trimCheckInterval: Duration = .seconds(10)
    /// Held versions go up and down at most this often, when they change.
    package var heldReportInterval: Duration = .seconds(1)
    /// ...and this often when they do not (a report lost with a link is sent again).
    package var heldReportRefresh: Duration = .seconds(30)

    package init() {}
}

/// When a document drops history below the version every member of the tree holds.
package enum TrimPolicy: Sendable, Hashable {
    /// Never: every version stays reachable by time travel; the store grows with the history.
    case never
    /// Only when asked (`zinc trim`).
    case manual
    /// When the history holds more than `ratio` times as many operations as the document has
    /// items and entries, and at least `minimum`: trim, keeping the last `keep` Lamport ticks'
    /// worth of operations for time travel.
    case automatic(ratio: UInt64 = 4, minimum: UInt64 = 100_000, keep: UInt64 = 10_000)
}
