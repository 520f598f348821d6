/// How much memory a document holds, counted from its storage: every array's capacity times
/// its element stride, plus a fixed overhead per heap allocation (header and malloc's own
/// bookkeeping). Deterministic, unlike sampling the process heap.
extension Document {
    /// Estimated bytes of heap memory this document holds (not shared with other copies).
    package var memoryFootprint: Int {
        var total = 0
        func array<T>(_ values: [T]) -> Int {
            values.capacity == 0 ? 0 : values.capacity * MemoryLayout<T>.stride + Self.allocationOverhead
        }
        for tree in sequences {
            total += array(tree.leaves) + array(tree.nodes) + array(tree.index)
            for leaf in tree.leaves { total += array(leaf.runs) + array(leaf.content) }
            for node in tree.nodes { total += array(node.children) + array(node.counts) }
            tree.tombstones.forEach { _, entry in total += entry.content.allocatedBytes + Self.allocationOverhead }
            for map in tree.index {
                for chunk in map.chunks { total += array(chunk) }
                total += map.chunks.count * MemoryLayout<UInt64>.stride + Self.allocationOverhead
            }
        }
        total += array(sequences) + array(listValues)
        for values in listValues { total += array(values) }
        for log in logs { total += array(log.runs) + array(log.deleteSpans) + array(log.payloads) }
        total += array(logs) + array(versions)
        total += replicas.count * (MemoryLayout<ReplicaID>.stride * 3 + 8) + containers.count * 64
        total += maps.reduce(0) { $0 + $1.entries.count * 96 } + sets.reduce(0) { $0 + $1.tags.count * 96 }
        return total
    }

    /// Array header plus malloc's bookkeeping, per allocation.
    static var allocationOverhead: Int { 48 }
}
