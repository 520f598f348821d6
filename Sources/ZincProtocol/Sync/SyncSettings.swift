/// Tunables of document synchronisation (docs/protocol.md, "Limits and timers").
public struct SyncSettings: Sendable, Hashable {
    /// Replies larger than this go as a chunked, flow-controlled transfer.
    public var inlineReplyLimit = 256 << 10
    /// Bytes per transfer chunk.
    public var chunkSize = 256 << 10
    /// Chunks in flight per transfer before an acknowledgement is needed.
    public var window = 4
    /// Resend unacknowledged chunks after this long.
    public var chunkTimeout: Duration = .seconds(1)
    /// Give a transfer up after this many resends without progress.
    public var maxChunkRetries = 8
    /// An incoming transfer with no new chunk for this long is dropped.
    public var incomingTransferTimeout: Duration = .seconds(15)
    /// At most this many transfers in flight in each direction per document.
    public var maxTransfers = 16
    /// The largest transfer accepted.
    public var maxTransferBytes = 512 << 20
    /// A digest mismatch must persist this long before a repair starts (deltas in flight
    /// cause brief mismatches during active editing).
    public var repairDelay: Duration = .milliseconds(250)
    /// At most one repair request per peer per this interval.
    public var repairInterval: Duration = .milliseconds(500)
    /// Presence of peers not heard from expires after this long.
    public var presenceTimeout: Duration = .seconds(30)

    public init() {}
}
