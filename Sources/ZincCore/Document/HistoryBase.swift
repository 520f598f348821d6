/// Where a trimmed history starts: the document as it was at its log bases, stored without
/// what the document's own state gives back.
///
/// The sequences at the floor are rebuilt from the document's own (``Document/historyBaseDocument()``):
/// their items are those below the floor, in the same order, and an item deleted now was
/// visible at the floor exactly when an operation the logs still hold deleted it, unless it
/// was deleted at the floor already (two concurrent deletes on either side of the floor):
/// those items are listed in `deletedAtFloor`. Everything else (maps, registers, counters,
/// sets) is in `state`, a snapshot whose sequences are empty.
struct HistoryBase: Sendable, Hashable {
    /// A version-2 snapshot of the document at the floor, with every text and list empty.
    var state: [UInt8]
    /// Items the logs delete that were deleted at the floor already, ascending per container
    /// and replica.
    var deletedAtFloor: [DeletedRange]

    struct DeletedRange: Sendable, Hashable {
        var container: ContainerID
        var replica: ReplicaID
        var counters: Range<UInt64>
    }

    init(state: [UInt8], deletedAtFloor: [DeletedRange] = []) {
        self.state = state
        self.deletedAtFloor = deletedAtFloor
    }

    func encode(into writer: inout ByteWriter) {
        writer.write(lengthPrefixed: state)
        writer.write(varint: deletedAtFloor.count)
        for range in deletedAtFloor {
            range.container.encode(into: &writer)
            writer.write(range.replica)
            writer.write(varint: range.counters.lowerBound)
            writer.write(varint: UInt64(range.counters.count))
        }
    }

    var encoded: [UInt8] {
        var writer = ByteWriter()
        encode(into: &writer)
        return writer.bytes
    }

    init(decoding reader: inout ByteReader) throws(FormatError) {
        state = try reader.readLengthPrefixed("history base state")
        let count = try reader.readCount("history base deleted ranges", minimumBytesEach: 20)
        deletedAtFloor = []
        deletedAtFloor.reserveCapacity(count)
        for _ in 0..<count {
            let container = try ContainerID(decoding: &reader)
            guard container.type == .text || container.type == .list else {
                throw FormatError(.invalid, "history base: deleted items in \(container), which is not a sequence")
            }
            let replica = try reader.readReplicaID("history base deleted replica")
            let start = try reader.readVarint("history base deleted start")
            let length = try reader.readVarint("history base deleted length")
            guard length > 0, start <= ItemID.maxCounter, length <= ItemID.maxCounter - start else {
                throw FormatError(.invalid, "history base: deleted range out of bounds")
            }
            deletedAtFloor.append(DeletedRange(container: container, replica: replica, counters: start..<start + length))
        }
    }

    /// Adds `counters` of `replica` in `container`, keeping the list sorted and merged.
    mutating func addDeleted(_ counters: Range<UInt64>, of replica: ReplicaID, in container: ContainerID) {
        addDeleted([DeletedRange(container: container, replica: replica, counters: counters)])
    }

    /// Adds `ranges` (in any order) in one sort, keeping the list sorted and merged.
    mutating func addDeleted(_ ranges: [DeletedRange]) {
        let added = ranges.filter { !$0.counters.isEmpty }
        guard !added.isEmpty else { return }
        deletedAtFloor.append(contentsOf: added)
        var keys: [ContainerID: [UInt8]] = [:]
        func key(_ id: ContainerID) -> [UInt8] {
            if let known = keys[id] { return known }
            var writer = ByteWriter()
            id.encode(into: &writer)
            keys[id] = writer.bytes
            return writer.bytes
        }
        deletedAtFloor.sort { first, second in
            if first.container != second.container { return key(first.container).lexicographicallyPrecedes(key(second.container)) }
            return (first.replica, first.counters.lowerBound) < (second.replica, second.counters.lowerBound)
        }
        var merged: [DeletedRange] = []
        for range in deletedAtFloor {
            if var last = merged.last, last.container == range.container, last.replica == range.replica, range.counters.lowerBound <= last.counters.upperBound {
                last.counters = last.counters.lowerBound..<max(last.counters.upperBound, range.counters.upperBound)
                merged[merged.count - 1] = last
            } else {
                merged.append(range)
            }
        }
        deletedAtFloor = merged
    }
}
