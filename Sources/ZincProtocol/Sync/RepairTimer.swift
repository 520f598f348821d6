/// When digest repair acts for one peer (docs/protocol.md §11.1): a digest mismatch that lasts
/// ``SyncSettings/repairDelay`` starts a repair, at most one per
/// ``SyncSettings/repairInterval``, unless it is deltas still on their way.
struct RepairTimer: Sendable {
    /// Since when the digests have differed (not counting a mismatch taken for deltas in
    /// flight).
    private var mismatchSince: Duration?
    /// The operation totals (this node's, the peer's) at the previous digest.
    private var lastTotals: (mine: UInt64, theirs: UInt64)?
    /// Since when a mismatch has been taken for deltas in flight.
    private var inFlightSince: Duration?
    private var lastRepair: Duration?

    /// The digests agree: nothing is missing either way.
    mutating func matched() {
        mismatchSince = nil
        lastTotals = nil
        inFlightSince = nil
    }

    /// The peer's version became known (or a transfer with it is the repair): a mismatch
    /// counts afresh from the next digest.
    mutating func restartMismatch() {
        mismatchSince = nil
    }

    /// A sync request went to the peer by other means (joining it).
    mutating func requested(at now: Duration) {
        lastRepair = now
    }

    /// The digests differ (totals `mine` and `theirs`): true if a repair is due now, and then
    /// it counts as started. `settled` is false while this node waits for a missing operation
    /// (then a mismatch is never taken for deltas in flight).
    mutating func mismatch(mine: UInt64, theirs: UInt64, settled: Bool, now: Duration, _ settings: SyncSettings) -> Bool {
        if inFlight(mine: mine, theirs: theirs, settled: settled, now: now, settings) {
            mismatchSince = now
            return false
        }
        let since = mismatchSince ?? now
        mismatchSince = since
        guard now - since >= settings.repairDelay else { return false }
        if let lastRepair, now - lastRepair < settings.repairInterval { return false }
        lastRepair = now
        return true
    }

    /// True if the mismatch is deltas still on their way, not a gap: either side's operation
    /// total grew since the previous digest and nothing here waits for a missing operation.
    /// Repairing then re-sent everything in flight, to every child, as long as a stream lasted
    /// (a 1,000,000-delta fan-out never ended). At most ``SyncSettings/inFlightLimit`` in a
    /// row, so a gap the stream hides (an operation lost at the end of one author's burst
    /// while another writes on) is still repaired.
    private mutating func inFlight(mine: UInt64, theirs: UInt64, settled: Bool, now: Duration, _ settings: SyncSettings) -> Bool {
        let previous = lastTotals
        lastTotals = (mine, theirs)
        guard let previous, mine > previous.mine || theirs > previous.theirs, settled else {
            inFlightSince = nil
            return false
        }
        let since = inFlightSince ?? now
        inFlightSince = since
        guard now - since < settings.inFlightLimit else {
            inFlightSince = nil
            return false
        }
        return true
    }
}
