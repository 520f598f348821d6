/// How much memory a document holds, counted from its storage: every array's capacity times
/// its element stride, plus a fixed overhead per heap allocation (header and malloc's own
/// bookkeeping). Deterministic, unlike sampling the process heap.
extension Document {
    /// Estimated bytes of heap memory this document holds (not shared with other copies).
    package var memoryFootprint: Int { memoryParts.total }

    /// ``memoryFootprint`` by what holds it.
    package var memoryParts: MemoryParts {
        var parts = MemoryParts()
        func array<T>(_ values: [T]) -> Int {
            values.capacity == 0 ? 0 : values.capacity * MemoryLayout<T>.stride + Self.allocationOverhead
        }
        for tree in sequences {
            parts.sequences += array(tree.leaves) + array(tree.nodes) + array(tree.index)
            for leaf in tree.leaves { parts.sequences += array(leaf.runs) + array(leaf.content) }
            for node in tree.nodes { parts.sequences += array(node.children) + array(node.counts) }
            tree.tombstones.forEach { _, entry in parts.deletedContent += entry.content.allocatedBytes + Self.allocationOverhead }
            for map in tree.index {
                for chunk in map.chunks { parts.sequences += array(chunk) }
                parts.sequences += map.chunks.count * MemoryLayout<UInt64>.stride + Self.allocationOverhead
            }
        }
        parts.other += array(sequences) + array(listValues)
        for values in listValues { parts.other += array(values) }
        // Counting must not decode what is still encoded (``ReplicaLogs``): those logs count as their bytes.
        for index in logs.indices {
            guard let log = logs.held(index) else { continue }
            parts.history += array(log.runs) + array(log.deleteSpans) + array(log.payloads)
        }
        parts.history += logs.count * MemoryLayout<ReplicaLog>.stride + logs.deferredBytes + array(versions) + (historyBase.map { $0.state.count + $0.deletedAtFloor.count * 64 } ?? 0)
        parts.other += replicas.count * (MemoryLayout<ReplicaID>.stride * 3 + 8) + containers.count * 64
        parts.other += maps.reduce(0) { $0 + $1.entries.count * 96 } + sets.reduce(0) { $0 + $1.tags.count * 96 }
        return parts
    }

    /// Where a document's memory goes (estimated bytes).
    package struct MemoryParts: Codable, Sendable, Equatable {
        /// Texts' and lists' item trees: runs (deleted ones too), visible content, ID index.
        package var sequences = 0
        /// Content of deleted items, kept for past versions.
        package var deletedContent = 0
        /// The operation logs and the base where trimmed history starts.
        package var history = 0
        /// Tables, maps, sets, registers, list values.
        package var other = 0

        package var total: Int { sequences + deletedContent + history + other }
    }

    /// Array header plus malloc's bookkeeping, per allocation.
    static var allocationOverhead: Int { 48 }
}
