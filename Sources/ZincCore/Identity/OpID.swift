/// The identity of one operation: the replica that made it and that replica's counter for it.
/// Counters start at 0 and increase by one per operation unit (per inserted or deleted item,
/// per key set), so a ``VersionVector`` can summarise everything a replica has seen.
public struct OpID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The replica that made the operation.
    public var replica: ReplicaID
    /// That replica's counter for it.
    public var counter: UInt64

    package init(replica: ReplicaID, counter: UInt64) {
        self.replica = replica
        self.counter = counter
    }

    public static func < (a: OpID, b: OpID) -> Bool {
        a.counter != b.counter ? a.counter < b.counter : a.replica < b.replica
    }

    public var description: String { "\(replica.shortDescription)@\(counter)" }
}
