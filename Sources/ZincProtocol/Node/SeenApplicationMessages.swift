package import ZincCore

/// The application messages a node has seen, for de-duplication (docs/protocol.md §16): a
/// ``SequenceWindow`` for each origin, for up to `maxOrigins` origins. When a new origin finds
/// the table full it takes the slot of the origin first heard longest ago.
///
/// A burst from one origin, the common case, hashes nothing: the last origin's slot is kept.
package struct SeenApplicationMessages: Sendable {
    private let width: Int
    private let maxOrigins: Int
    private var slots: [ReplicaID: Int] = [:]
    private var windows: [SequenceWindow] = []
    /// The origin of each window, by slot.
    private var owners: [ReplicaID] = []
    /// The slot the next new origin takes once the table is full.
    private var nextReplaced = 0
    private var recentOrigin: ReplicaID?
    private var recentSlot = 0

    /// `width` sequence numbers per origin (rounded up to a multiple of 64), for up to `maxOrigins`.
    package init(width: Int, maxOrigins: Int) {
        self.width = width
        self.maxOrigins = max(1, maxOrigins)
    }

    /// How many origins have a window.
    package var origins: Int { windows.count }

    /// Records message `sequence` of `origin`. False if it was seen already.
    package mutating func insert(origin: ReplicaID, sequence: UInt64) -> Bool {
        let slot: Int
        if origin == recentOrigin {
            slot = recentSlot
        } else if let known = slots[origin] {
            slot = known
        } else {
            recentSlot = add(origin, first: sequence)
            recentOrigin = origin
            return true
        }
        recentOrigin = origin
        recentSlot = slot
        return windows[slot].insert(sequence)
    }

    private mutating func add(_ origin: ReplicaID, first: UInt64) -> Int {
        let window = SequenceWindow(width: width, first: first)
        guard windows.count == maxOrigins else {
            slots[origin] = windows.count
            windows.append(window)
            owners.append(origin)
            return windows.count - 1
        }
        let slot = nextReplaced
        nextReplaced = (nextReplaced + 1) % maxOrigins
        slots[owners[slot]] = nil
        slots[origin] = slot
        owners[slot] = origin
        windows[slot] = window
        return slot
    }
}
