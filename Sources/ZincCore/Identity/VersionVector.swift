/// What a replica has seen: for each replica, how many of its operations (counters `0..<n`).
///
/// Counters are contiguous: a replica never holds operation *n* of another replica without
/// holding every operation before it. So two vectors compare, merge and diff cheaply, and
/// "what do I lack?" is one subtraction per replica.
public struct VersionVector: Hashable, Sendable, CustomStringConvertible {
    /// Replica → number of its operations seen. Replicas with zero are absent.
    public private(set) var counters: [ReplicaID: UInt64]

    /// An empty vector: nothing seen.
    public init() { counters = [:] }

    /// A vector of `counters` (zero entries are dropped).
    public init(_ counters: [ReplicaID: UInt64]) {
        self.counters = counters.filter { $0.value > 0 }
    }

    /// The number of `replica`'s operations seen (the counter of the next one expected).
    public subscript(replica: ReplicaID) -> UInt64 {
        get { counters[replica] ?? 0 }
        set { counters[replica] = newValue == 0 ? nil : newValue }
    }

    /// True if the operation has been seen.
    package func contains(_ op: OpID) -> Bool { op.counter < self[op.replica] }

    /// The largest count a vector holds: a replica's operation counters run to 2^40 − 2.
    package static let maxCount: UInt64 = ItemID.maxCounter + 1

    /// The total number of operations seen.
    public var totalOperations: UInt64 { counters.values.reduce(0, &+) }

    /// True if nothing has been seen.
    public var isEmpty: Bool { counters.isEmpty }

    /// Pointwise maximum: everything either has seen.
    public mutating func merge(_ other: VersionVector) {
        for (replica, count) in other.counters where count > self[replica] { counters[replica] = count }
    }

    package func merging(_ other: VersionVector) -> VersionVector {
        var copy = self
        copy.merge(other)
        return copy
    }

    /// Pointwise minimum: what both have seen (a replica either lacks drops out).
    package func meeting(_ other: VersionVector) -> VersionVector {
        var result: [ReplicaID: UInt64] = [:]
        for (replica, count) in counters {
            let both = min(count, other[replica])
            if both > 0 { result[replica] = both }
        }
        return VersionVector(result)
    }

    /// How two vectors relate.
    public enum Ordering: Sendable, Hashable {
        case equal, before, after, concurrent
    }

    /// `.before` if `self` has seen a strict subset of `other`, `.after` for a superset, `.equal`,
    /// or `.concurrent` when each has seen something the other has not.
    public func compare(_ other: VersionVector) -> Ordering {
        var less = false, greater = false
        for (replica, count) in counters {
            let theirs = other[replica]
            if count < theirs { less = true } else if count > theirs { greater = true }
        }
        for (replica, count) in other.counters where counters[replica] == nil && count > 0 { less = true }
        switch (less, greater) {
        case (false, false): return .equal
        case (true, false): return .before
        case (false, true): return .after
        case (true, true): return .concurrent
        }
    }

    /// True if `self` has seen everything `other` has.
    package func dominates(_ other: VersionVector) -> Bool {
        let order = compare(other)
        return order == .equal || order == .after
    }

    /// The operations `self` has that `other` lacks, per replica, as counter ranges.
    package func missing(from other: VersionVector) -> [ReplicaID: Range<UInt64>] {
        var result: [ReplicaID: Range<UInt64>] = [:]
        for (replica, count) in counters where count > other[replica] {
            result[replica] = other[replica]..<count
        }
        return result
    }

    /// A 64-bit digest of the vector, equal for equal vectors whatever their insertion order,
    /// for cheap "are we in sync?" checks in heartbeats: the wrapping sum of one strong 64-bit
    /// mix per entry (order-independent, so no sorting). Specified in docs/protocol.md.
    package var digest: UInt64 {
        var sum: UInt64 = 0
        for (replica, count) in counters {
            sum &+= Self.mix(Self.mix(replica.high ^ Self.mix(replica.low)) ^ count)
        }
        return sum
    }

    /// SplitMix64's finaliser.
    package static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public var description: String {
        "[" + counters.sorted { $0.key < $1.key }.map { "\($0.key.shortDescription):\($0.value)" }.joined(separator: ", ") + "]"
    }
}

extension VersionVector {
    /// Encoding: varint entry count, then per entry (sorted by replica) 16 bytes of replica ID
    /// and a varint count.
    package func encode(into writer: inout ByteWriter) {
        let entries = counters.sorted { $0.key < $1.key }
        writer.write(varint: UInt64(entries.count))
        for (replica, count) in entries {
            writer.write(replica)
            writer.write(varint: count)
        }
    }

    package var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 1 + counters.count * 20)
        encode(into: &writer)
        return writer.bytes
    }

    package init(decoding reader: inout ByteReader) throws(FormatError) {
        let count = try reader.readCount("version vector entries", minimumBytesEach: 17)
        guard count <= reader.limits.maxReplicas else {
            throw FormatError(.limitExceeded, "version vector: \(count) replicas")
        }
        var counters: [ReplicaID: UInt64] = [:]
        counters.reserveCapacity(count)
        var previous: ReplicaID?
        for index in 0..<count {
            let replica = try reader.readReplicaID("version vector entry \(index)")
            let value = try reader.readVarint("version vector entry \(index) count")
            // One canonical encoding: entries in ascending replica order (so no repeats), none zero.
            if let previous, !(previous < replica) {
                throw FormatError(.invalid, "version vector: replica \(replica) out of order (entries must be sorted, each once)")
            }
            guard value > 0 else { throw FormatError(.invalid, "version vector: a zero count for \(replica)") }
            guard value <= Self.maxCount else { throw FormatError(.invalid, "version vector: count \(value) for \(replica) exceeds \(Self.maxCount)") }
            previous = replica
            counters[replica] = value
        }
        self.counters = counters
    }

    package init(decoding bytes: [UInt8], limits: DecodingLimits = .default) throws(FormatError) {
        self = try withReader(bytes, limits: limits) { (reader) throws(FormatError) -> VersionVector in
            let vector = try VersionVector(decoding: &reader)
            try reader.expectEnd("version vector")
            return vector
        }
    }
}
