/// A Lamport clock: a counter that orders events consistently with causality. If event *a*
/// happened before *b*, then `time(a) < time(b)`; the converse does not hold, so equal or
/// crossing times from different replicas are broken by ``ReplicaID``.
package struct LamportClock: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The time of the latest event this clock has seen or made.
    package private(set) var time: UInt64

    /// Every Lamport time stays below 2^53 (docs/protocol.md §7, "Limits"): exact as a double,
    /// so a JavaScript client holds it as a number.
    package static let ceiling: UInt64 = 1 << 53
    /// A remote operation's times must stay below 2^52, so a peer can never push a replica's
    /// clock into the last half: 2^52 local operations always remain.
    package static let remoteCeiling: UInt64 = 1 << 52

    package init(time: UInt64 = 0) { self.time = time }

    /// A local event: advances the clock and returns the event's time.
    @discardableResult
    package mutating func tick() -> UInt64 {
        time &+= 1
        return time
    }

    /// Reserves `count` consecutive times for a batch of local events; returns the first.
    package mutating func tick(_ count: Int) -> UInt64 {
        let first = time &+ 1
        time &+= UInt64(count)
        return first
    }

    /// A message stamped `remote` arrived: the clock moves past it (max + 1).
    package mutating func receive(_ remote: UInt64) {
        time = max(time, remote) &+ 1
    }

    /// Moves the clock to at least `remote` without counting an event (used when loading state).
    package mutating func advance(toAtLeast remote: UInt64) {
        time = max(time, remote)
    }

    package static func < (a: LamportClock, b: LamportClock) -> Bool { a.time < b.time }

    package var description: String { "L\(time)" }
}
