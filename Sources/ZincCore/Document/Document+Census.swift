extension Document {
    /// How many sequence items (visible or deleted) each replica inserted into this document's
    /// texts and lists, counted from the sequences themselves: an accounting independent of the
    /// version vector, so a test can tell an insert applied twice (an extra item) from one
    /// applied once.
    ///
    /// - Complexity: O(runs).
    package var insertedItemsByReplica: [ReplicaID: Int] {
        var counts: [UInt32: Int] = [:]
        for sequence in sequences {
            var leaf = sequence.firstLeaf
            while leaf >= 0 {
                for run in sequence.leaves[Int(leaf)].runs { counts[run.id.replica, default: 0] += run.count }
                leaf = sequence.leaves[Int(leaf)].next
            }
        }
        var result: [ReplicaID: Int] = [:]
        for (index, count) in counts { result[replicas[index], default: 0] += count }
        return result
    }
}
