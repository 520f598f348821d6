/// A document-local item identifier: a replica *index* (into the document's replica table) and
/// that replica's op counter, packed into 64 bits so runs and indexes stay small and fast.
///
/// 24 bits of replica index (16.7 M replicas per document; the top value is reserved for
/// ``none``) and 40 bits of counter (10¹² ops per replica).
struct ItemID: Hashable, Comparable, Sendable, CustomStringConvertible {
    var raw: UInt64

    static let counterBits: UInt64 = 40
    static let counterMask: UInt64 = (1 << counterBits) - 1
    /// The largest counter an item may carry.
    static let maxCounter: UInt64 = counterMask - 1
    /// The largest replica index a document may hold.
    static let maxReplica: UInt32 = (1 << 24) - 2
    /// "No item": the document's start (as a left origin) or end (as a right origin).
    static let none = ItemID(raw: .max)

    init(raw: UInt64) { self.raw = raw }

    init(replica: UInt32, counter: UInt64) {
        raw = UInt64(replica) << Self.counterBits | (counter & Self.counterMask)
    }

    var replica: UInt32 { UInt32(truncatingIfNeeded: raw >> Self.counterBits) }
    var counter: UInt64 { raw & Self.counterMask }
    var isNone: Bool { raw == .max }

    /// The item `n` counters later from the same replica.
    @inline(__always) func advanced(by n: Int) -> ItemID { ItemID(raw: raw &+ UInt64(n)) }

    static func < (a: ItemID, b: ItemID) -> Bool { a.raw < b.raw }

    var description: String { isNone ? "∅" : "\(replica):\(counter)" }
}

/// A contiguous range of items from one replica: `start`, `start+1`, ... `start+length-1`.
struct ItemSpan: Hashable, Sendable {
    var start: ItemID
    var length: Int

    var end: ItemID { start.advanced(by: length) }
}
