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
    /// At most one repair request per peer per this interval.
    package var repairInterval: Duration = .milliseconds(500)
    /// Presence of peers not heard from expires after this long.
    package var presenceTimeout: Duration = .seconds(30)

    package init() {}
}
